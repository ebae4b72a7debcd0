/**
 * A cold encode reads from R2 only the encoder's byte ranges (issue 27, item 4): the header, the
 * small tensors (b_enc, b_dec, the threshold, the scaling) and W_enc — never decoder.weight nor
 * Adam's moments — whatever the dtype, and its codes are the whole model's.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { clearModelCache } from '../../src/api/models/service.js';
import { convertWeightDtype } from '../../src/model/convert-dtype.js';
import { readBinaryModelFile, toBinaryModelFile } from '../../src/model/model-file-binary.js';
import { call, ENCODE, request, trainModel, TRAINING_DATA } from './helpers.js';

interface Read {
  offset: number;
  length: number;
}

/** The bucket as the Worker sees it, every body read recorded (a read without a range is the whole object). */
function recordingBucket(reads: Read[]): R2Bucket {
  return new Proxy(env.MODELS, {
    get(target, property) {
      if (property === 'get') {
        return async (key: string, options?: R2GetOptions) => {
          const object = await target.get(key, options);
          if (object && 'body' in object) {
            const range = options?.range as { offset?: number; length?: number } | undefined;
            reads.push({ offset: range?.offset ?? 0, length: range?.length ?? object.size });
          }
          return object;
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The absolute byte ranges of a stored model's tensors, by name. */
async function tensorRanges(id: string): Promise<{ size: number; headerEnd: number; ranges: Map<string, [number, number]> }> {
  const bytes = new Uint8Array(await (await env.MODELS.get(`models/${id}.json`))!.arrayBuffer());
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets?: [number, number] }>;
  const ranges = new Map<string, [number, number]>();
  for (const [name, entry] of Object.entries(header)) if (entry.data_offsets) ranges.set(name, [8 + headerLength + entry.data_offsets[0], 8 + headerLength + entry.data_offsets[1]]);
  return { size: bytes.length, headerEnd: 8 + headerLength, ranges };
}

async function coldEncode(id: string, reads: Read[]): Promise<number[][]> {
  clearModelCache();
  const res = await app.request(request(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA } }), undefined, { ...env, MODELS: recordingBucket(reads) });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return (JSON.parse(text) as { codes: number[][] }).codes;
}

async function warmCodes(id: string): Promise<number[][]> {
  // Through the whole model (reconstruct loads it, and encode then uses the cached model).
  clearModelCache();
  expect((await call(`/v1/models/${id}/reconstruct`, { token: ENCODE, json: { inputs: TRAINING_DATA } })).status).toBe(200);
  const res = await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { codes: number[][] }).codes;
}

/** Checks the reads: the header, every tensor but the decoder's weights and the optimizer's, nothing else. */
async function expectEncoderOnly(id: string, reads: Read[]): Promise<void> {
  const { size, headerEnd, ranges } = await tensorRanges(id);
  const skipped = [...ranges].filter(([name]) => name === 'decoder.weight' || name === 'decoder.weight_scale' || name.startsWith('optimizer.'));
  const needed = [...ranges].filter(([name]) => !skipped.some(([other]) => other === name));
  const neededBytes = headerEnd + needed.reduce((sum, [, [from, to]]) => sum + to - from, 0);
  const total = reads.reduce((sum, read) => sum + read.length, 0);
  // Only alignment padding (< 8 bytes between neighbours) beyond the tensors needed.
  expect(total).toBeGreaterThanOrEqual(neededBytes);
  expect(total - neededBytes).toBeLessThan(8 * needed.length);
  expect(total).toBeLessThan(size);
  for (const read of reads) {
    for (const [name, [from, to]] of skipped) {
      expect(read.offset + read.length <= from || read.offset >= to, `a read [${read.offset}, ${read.offset + read.length}) overlaps ${name}`).toBe(true);
    }
  }
}

describe('a cold encode reads only the encoder from R2', () => {
  it('should read neither decoder.weight nor Adam\'s moments of a float32 model (decoder.weight lies between the encoder\'s tensors), with the whole model\'s codes', async () => {
    const { id } = await trainModel({ config: { architecture: 'jumprelu', hiddenSize: 64, normalize: 'standardize' } });
    const expected = await warmCodes(id);
    const reads: Read[] = [];
    expect(await coldEncode(id, reads)).toEqual(expected);
    await expectEncoderOnly(id, reads);
  });

  it('should read only the encoder of bf16 and int8 models, with the whole model\'s codes', async () => {
    const { id } = await trainModel({ config: { architecture: 'relu', hiddenSize: 64, normalize: 'minmax' } });
    const f32 = readBinaryModelFile(new Uint8Array(await (await call(`/v1/models/${id}/export?format=safetensors`)).arrayBuffer()));
    for (const dtype of ['bf16', 'int8'] as const) {
      const res = await call('/v1/models/import', { body: toBinaryModelFile(convertWeightDtype(f32, dtype)), headers: { 'content-type': 'application/octet-stream' } });
      expect(res.status).toBe(201);
      const { id: copy } = (await res.json()) as { id: string };
      const expected = await warmCodes(copy);
      const reads: Read[] = [];
      expect(await coldEncode(copy, reads), dtype).toEqual(expected);
      await expectEncoderOnly(copy, reads);
    }
  });

  it('should serve a warm encode from the cached encoder without reading a body, and refuse an encoder above MAX_ENCODER_BYTES with 413', async () => {
    const { id } = await trainModel({ config: { architecture: 'relu', hiddenSize: 64 } });
    const first: Read[] = [];
    const codes = await coldEncode(id, first);
    const reads: Read[] = [];
    const res = await app.request(request(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA } }), undefined, { ...env, MODELS: recordingBucket(reads) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { codes: number[][] }).codes).toEqual(codes);
    expect(reads).toEqual([]);
    clearModelCache();
    const small = await app.request(request(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA } }), undefined, { ...env, MAX_ENCODER_BYTES: '1000' });
    const problem = (await small.json()) as { detail: string };
    expect(small.status).toBe(413);
    expect(problem.detail).toContain('MAX_ENCODER_BYTES');
  });
});
