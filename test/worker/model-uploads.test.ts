/**
 * Models uploaded in parts (issue 27, item 4): an edge-sae model file larger than one request goes
 * up in parts to one R2 object (a multipart upload straight to the model's key), checked part by
 * part and at completion; bad parts, wrong sizes, a bad file and aborted or expired uploads leave
 * nothing stored.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { convertWeightDtype } from '../../src/model/convert-dtype.js';
import { toBinaryModelFile } from '../../src/model/model-file-binary.js';
import { withHeader } from '../helpers/bad-binary-models.js';
import { widenedModel } from '../helpers/wide-model.js';
import { call, ENCODE, expectProblem, trainModel } from './helpers.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

interface Upload {
  id: string;
  partCount: number;
  partBytes: number;
  lastPartBytes: number;
  received: number[];
  missing: number;
  status: string;
}

async function smallModelFile(architecture = 'relu'): Promise<Uint8Array> {
  const { id } = await trainModel({ config: { architecture, hiddenSize: 16, normalize: 'standardize' } });
  return new Uint8Array(await (await call(`/v1/models/${id}/export?format=safetensors`)).arrayBuffer());
}

async function start(body: Record<string, unknown>): Promise<Upload> {
  const res = await call('/v1/models/uploads', { json: body });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as Upload;
}

const putPart = (id: string, n: number, bytes: Uint8Array) =>
  call(`/v1/models/uploads/${id}/parts/${n}`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });

const partOf = (file: Uint8Array, upload: Upload, n: number) => file.subarray(n * upload.partBytes, Math.min(file.length, (n + 1) * upload.partBytes));

async function expectPart(res: Response): Promise<Upload> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Upload;
}

const complete = (id: string) => call(`/v1/models/uploads/${id}/complete`, { method: 'POST' });

/** Where two byte arrays first differ (-1: equal); never a diff of megabytes in a failure message. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}

async function storedBytes(id: string): Promise<Uint8Array> {
  return new Uint8Array(await (await storedModel(id))!.arrayBuffer());
}

async function storedModel(id: string): Promise<R2ObjectBody | null> {
  return env.MODELS.get(`models/${id}.json`);
}

function stubOf(id: string) {
  return env.MODEL_UPLOADS.get(env.MODEL_UPLOADS.idFromName(id));
}

async function uploadIdOf(id: string): Promise<string> {
  return runInDurableObject(stubOf(id), async (_instance, state) => (await state.storage.get<{ uploadId: string }>('upload'))!.uploadId);
}

/**
 * Whether R2 no longer holds the multipart upload (its parts): a part sent to it must fail once it
 * is aborted. (Part 10,000, which no completion lists, so the probe changes nothing that counts.)
 */
async function multipartGone(id: string, uploadId: string): Promise<boolean> {
  try {
    await env.MODELS.resumeMultipartUpload(`models/${id}.json`, uploadId).uploadPart(10_000, new Uint8Array(1));
    return false;
  } catch {
    return true;
  }
}

describe('models uploaded in parts', () => {
  it('should store a model file sent in parts (part 0 first, the others in any order) as one object, byte for byte, and encode it as the same file imported whole', async () => {
    const { file } = widenedModel(await smallModelFile('jumprelu'), 300_000);
    expect(file.length).toBeGreaterThan(2 * PART);
    const upload = await start({ bytes: file.length, partBytes: PART, name: 'wide' });
    expect(upload).toMatchObject({ partCount: 3, partBytes: PART, lastPartBytes: file.length - 2 * PART, received: [], missing: 3, status: 'open' });
    for (const n of [0, 2, 1]) await expectPart(await putPart(upload.id, n, partOf(file, upload, n)));
    // Sending a part again replaces it.
    expect((await expectPart(await putPart(upload.id, 1, partOf(file, upload, 1)))).received).toEqual([0, 1, 2]);
    const res = await complete(upload.id);
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/models/${upload.id}`);
    const model = JSON.parse(text) as { id: string; name: string; inputSize: number; hiddenSize: number; config: { architecture: string } };
    expect(model).toMatchObject({ id: upload.id, name: 'wide', inputSize: 4, hiddenSize: 300_000, config: { architecture: 'jumprelu' } });
    const stored = (await storedModel(upload.id))!;
    expect(firstDifference(new Uint8Array(await stored.arrayBuffer()), file)).toBe(-1);
    expect(stored.customMetadata).toMatchObject({ name: 'wide', inputSize: '4', hiddenSize: '300000', version: '1', inferenceBytes: String(file.length) });
    expect((await (await call(`/v1/models/uploads/${upload.id}`)).json()) as Upload).toMatchObject({ status: 'completed', missing: 0 });
    await expectProblem(await complete(upload.id), 409);

    // The same file imported whole (it fits one request) encodes the same.
    const imported = await call('/v1/models/import', { body: file, headers: { 'content-type': 'application/octet-stream' } });
    expect(imported.status).toBe(201);
    const { id: whole } = (await imported.json()) as { id: string };
    const input = [0.3, -0.2, 0.9, 0.1];
    const encode = async (id: string) => {
      const answer = await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { input, top: 32 } });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { features: unknown[] }).features;
    };
    expect(await encode(upload.id)).toEqual(await encode(whole));
  });

  it('should store a small bf16 model in one part', async () => {
    const { state } = widenedModel(await smallModelFile(), 64);
    const file = toBinaryModelFile(convertWeightDtype(state, 'bf16'));
    const upload = await start({ bytes: file.length });
    expect(upload.partCount).toBe(1);
    await expectPart(await putPart(upload.id, 0, file));
    expect((await complete(upload.id)).status).toBe(201);
    expect(firstDifference(await storedBytes(upload.id), file)).toBe(-1);
  });

  it('should refuse bad parts with 422 or 409 naming what is wrong, keep the good ones, and complete once they are right', async () => {
    const { file } = widenedModel(await smallModelFile(), 200_000, 3);
    const upload = await start({ bytes: file.length, partBytes: PART });
    expect(upload.partCount).toBe(2);
    // Part 1 before part 0: the header is not known yet.
    expect((await expectProblem(await putPart(upload.id, 1, partOf(file, upload, 1)), 409)).detail).toContain('Send part 0 first');
    // Wrong lengths, and a part past the last.
    expect((await expectProblem(await putPart(upload.id, 0, file.subarray(0, PART - 8)), 422)).detail).toContain(`part 0 has ${PART - 8} bytes; it must have ${PART}`);
    expect((await expectProblem(await putPart(upload.id, 2, new Uint8Array(8)), 422)).detail).toContain('there is no part 2');
    await expectPart(await putPart(upload.id, 0, partOf(file, upload, 0)));
    expect((await expectProblem(await putPart(upload.id, 1, file.subarray(PART, file.length - 8)), 422)).detail).toContain(`it must have ${upload.lastPartBytes}`);
    // A value that is not finite, named by tensor and cell.
    const bad = partOf(file, upload, 1).slice();
    new Float32Array(bad.buffer, 64, 1)[0] = Number.NaN;
    const problem = await expectProblem(await putPart(upload.id, 1, bad), 422);
    expect(problem.type).toContain('invalid-model-file');
    expect(problem.detail).toMatch(/Part 1: model file field "(encoder|decoder)\.weight\[\d+\]\[\d+\]": must be a finite float32 number, got NaN/);
    // Part 0 again with another header: refused, the first one kept.
    const other = partOf(file, upload, 0).slice();
    const text = new TextDecoder().decode(other.subarray(0, 4096));
    const at = text.indexOf('"inputSize":"4"') + '"inputSize":"'.length;
    expect(at).toBeGreaterThan(20);
    other[at] = '5'.charCodeAt(0);
    expect((await expectProblem(await putPart(upload.id, 0, other), 409)).detail).toContain('another header');
    const incomplete = await expectProblem(await complete(upload.id), 409);
    expect(incomplete.type).toContain('upload-incomplete');
    expect(incomplete.missing).toEqual([1]);
    expect(await storedModel(upload.id)).toBeNull();
    await expectPart(await putPart(upload.id, 1, partOf(file, upload, 1)));
    expect((await complete(upload.id)).status).toBe(201);
    expect(firstDifference(await storedBytes(upload.id), file)).toBe(-1);
  });

  it('should refuse a file that is not what was declared or not a model file, storing nothing', async () => {
    const file = await smallModelFile();
    // Declared one byte short or 8 long: the header's tensors say where the file ends.
    for (const bytes of [file.length - 1, file.length + 8]) {
      const upload = await start({ bytes });
      const body = new Uint8Array(bytes);
      body.set(file.subarray(0, Math.min(bytes, file.length)));
      expect((await expectProblem(await putPart(upload.id, 0, body), 422)).detail).toContain(`but the upload declared ${bytes} bytes`);
    }
    const notModel = withHeader(file, (header) => {
      header.__metadata__.format = 'something-else';
    });
    const upload = await start({ bytes: notModel.length });
    expect((await expectProblem(await putPart(upload.id, 0, notModel), 422)).detail).toContain('__metadata__.format');
    // A header that parses but a model the reader refuses: found at completion, nothing stored, the upload still open.
    const badConfig = withHeader(file, (header) => {
      header.__metadata__.config = '{"architecture": "no-such-thing"}';
    });
    const late = await start({ bytes: badConfig.length });
    await expectPart(await putPart(late.id, 0, badConfig));
    const refused = await expectProblem(await complete(late.id), 422);
    expect(refused.type).toContain('invalid-model-file');
    expect(refused.detail).toContain('config');
    expect(await storedModel(late.id)).toBeNull();
    expect(((await (await call(`/v1/models/uploads/${late.id}`)).json()) as Upload).status).toBe('open');
    // Start requests out of bounds: 422 or 413.
    await expectProblem(await call('/v1/models/uploads', { json: { bytes: 20 * MiB, partBytes: MiB } }), 422);
    await expectProblem(await call('/v1/models/uploads', { json: { bytes: 20 * MiB, partBytes: PART + 4 } }), 422);
    expect((await expectProblem(await call('/v1/models/uploads', { json: { bytes: 20 * MiB, partBytes: 64 * MiB } }), 413)).limit).toBe('MAX_PART_BYTES');
    expect((await expectProblem(await call('/v1/models/uploads', { json: { bytes: 10_001 * 8 * MiB } }), 413)).detail).toContain("more than R2's 10000");
    await expectProblem(await call('/v1/models/uploads', { json: { bytes: 100 }, token: ENCODE }), 403);
  });

  it('should leave nothing stored when an upload is aborted or expires', async () => {
    const { file } = widenedModel(await smallModelFile(), 200_000, 5);
    const aborted = await start({ bytes: file.length, partBytes: PART });
    await expectPart(await putPart(aborted.id, 0, partOf(file, aborted, 0)));
    await expectPart(await putPart(aborted.id, 1, partOf(file, aborted, 1)));
    const uploadId = await uploadIdOf(aborted.id);
    expect(await multipartGone(aborted.id, uploadId)).toBe(false);
    await expectProblem(await call(`/v1/models/uploads/${aborted.id}`, { method: 'DELETE', token: ENCODE }), 403);
    expect((await call(`/v1/models/uploads/${aborted.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await multipartGone(aborted.id, uploadId)).toBe(true);
    expect(await storedModel(aborted.id)).toBeNull();
    await expectProblem(await call(`/v1/models/uploads/${aborted.id}`), 404);
    await expectProblem(await putPart(aborted.id, 1, partOf(file, aborted, 1)), 404);
    await expectProblem(await complete(aborted.id), 404);

    const abandoned = await start({ bytes: file.length, partBytes: PART });
    await expectPart(await putPart(abandoned.id, 0, partOf(file, abandoned, 0)));
    const abandonedId = await uploadIdOf(abandoned.id);
    const stub = stubOf(abandoned.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true); // early: kept
    expect(await multipartGone(abandoned.id, abandonedId)).toBe(false);
    await runInDurableObject(stub, async (_instance, state) => {
      const record = (await state.storage.get<{ expiresAt: number }>('upload'))!;
      await state.storage.put('upload', { ...record, expiresAt: Date.now() - 1 });
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await multipartGone(abandoned.id, abandonedId)).toBe(true);
    expect(await storedModel(abandoned.id)).toBeNull();
    await expectProblem(await call(`/v1/models/uploads/${abandoned.id}`), 404);
    // A completed upload cannot be aborted: its model is deleted instead.
    const small = await smallModelFile();
    const done = await start({ bytes: small.length });
    await expectPart(await putPart(done.id, 0, small));
    expect((await complete(done.id)).status).toBe(201);
    await expectProblem(await call(`/v1/models/uploads/${done.id}`, { method: 'DELETE' }), 409);
    expect(await storedModel(done.id)).not.toBeNull();
  });
});
