/**
 * Models in their binary form inside the Worker: R2 holds the binary file, export gives either
 * form, import takes either, models stored as JSON before keep working, and every malformed
 * binary file is a 422 problem naming the field, with nothing stored changed.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { clearModelCache } from '../../src/api/models/service.js';
import { modelFileForm, readModelBytes } from '../../src/model/model-bytes.js';
import { toModelFile } from '../../src/model/model-file.js';
import { badBinaryModels } from '../helpers/bad-binary-models.js';
import { call, expectProblem, trainModel, TRAINING_DATA } from './helpers.js';

const binaryBody = (bytes: Uint8Array) => ({ body: bytes, headers: { 'content-type': 'application/octet-stream' } });

async function storedBytes(id: string): Promise<Uint8Array> {
  const object = await env.MODELS.get(`models/${id}.json`);
  expect(object).not.toBeNull();
  return new Uint8Array(await object!.arrayBuffer());
}

async function exported(id: string, format?: string): Promise<Response> {
  const res = await call(`/v1/models/${id}/export${format ? `?format=${format}` : ''}`);
  expect(res.status).toBe(200);
  return res;
}

async function codesOf(id: string): Promise<number[][]> {
  clearModelCache(); // a cold encode: read from R2 and decode
  const res = await call(`/v1/models/${id}/encode`, { json: { inputs: TRAINING_DATA } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { codes: number[][] }).codes;
}

/** Every object under models/ with its etag: what "nothing stored changed" compares. */
async function snapshot(): Promise<Map<string, string>> {
  const listed = await env.MODELS.list({ prefix: 'models/' });
  return new Map(listed.objects.map((o) => [o.key, o.etag]));
}

describe('binary models in the Worker', () => {
  it('should store a trained model in R2 in the binary form and export either form of the same model', async () => {
    const model = await trainModel();
    const stored = await storedBytes(model.id);
    expect(modelFileForm(stored)).toBe('safetensors');
    // The metadata says where Adam's moments begin: a cold encode reads only the bytes before.
    const { inferenceBytes } = (await env.MODELS.head(`models/${model.id}.json`))!.customMetadata!;
    const prefix = stored.subarray(0, Number(inferenceBytes));
    const { hiddenSize: h, inputSize: n } = model;
    expect(Number(inferenceBytes)).toBe(stored.length - 2 * 4 * (2 * n * h + n + h));
    const weightsOnly = readModelBytes(prefix, 'prefix', { withoutOptimizer: true });
    expect(weightsOnly.optimizerState).toBeNull();
    expect(weightsOnly.parameters.W1).toEqual(readModelBytes(stored).parameters.W1);

    const json = await exported(model.id);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(json.headers.get('content-disposition')).toContain(`${model.id}.json`);
    const jsonText = await json.text();
    const binary = await exported(model.id, 'safetensors');
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    expect(binary.headers.get('content-disposition')).toContain(`${model.id}.safetensors`);
    const binaryBytes = new Uint8Array(await binary.arrayBuffer());
    expect(binaryBytes).toEqual(stored);
    // The two forms hold the same model, bit for bit.
    expect(JSON.stringify(toModelFile(readModelBytes(binaryBytes)))).toBe(jsonText);
    expect(json.headers.get('etag')).not.toBe(binary.headers.get('etag'));
    await expectProblem(await call(`/v1/models/${model.id}/export?format=onnx-or-so`), 422);
  });

  it('should import either form (octet-stream by content, or JSON) and encode the same codes', async () => {
    const model = await trainModel();
    const codes = await codesOf(model.id);
    const binary = new Uint8Array(await (await exported(model.id, 'safetensors')).arrayBuffer());
    const jsonText = await (await exported(model.id)).text();
    for (const options of [binaryBody(binary), binaryBody(new TextEncoder().encode(jsonText)), { json: JSON.parse(jsonText) }]) {
      const res = await call('/v1/models/import?name=copy', options);
      const text = await res.text();
      expect(res.status, text).toBe(201);
      const { id } = JSON.parse(text) as { id: string };
      expect(modelFileForm(await storedBytes(id))).toBe('safetensors');
      expect(await storedBytes(id)).toEqual(binary);
      expect(await codesOf(id)).toEqual(codes);
    }
    await expectProblem(await call('/v1/models/import', { body: binary }), 415);
  });

  it('should keep serving a model stored as JSON before the binary form, and store its next version binary', async () => {
    const model = await trainModel();
    const codes = await codesOf(model.id);
    const jsonText = await (await exported(model.id)).text();
    // What the Worker stored before: the JSON file under the same key, with the same metadata.
    const object = await env.MODELS.head(`models/${model.id}.json`);
    const { inferenceBytes: _binaryOnly, ...metadata } = object!.customMetadata!;
    await env.MODELS.put(`models/${model.id}.json`, jsonText, {
      httpMetadata: { contentType: 'application/json' },
      customMetadata: metadata,
    });
    expect(modelFileForm(await storedBytes(model.id))).toBe('json');
    expect(await codesOf(model.id)).toEqual(codes);
    expect(await (await exported(model.id)).text()).toBe(jsonText);
    const binary = new Uint8Array(await (await exported(model.id, 'safetensors')).arrayBuffer());
    expect(JSON.stringify(toModelFile(readModelBytes(binary)))).toBe(jsonText);
    const detail = await call(`/v1/models/${model.id}`);
    expect(((await detail.json()) as { config: unknown }).config).toEqual(model.config);

    const retrained = await call(`/v1/models/${model.id}/train`, { json: { data: TRAINING_DATA, training: { epochs: 5 } } });
    expect(retrained.status).toBe(200);
    expect(modelFileForm(await storedBytes(model.id))).toBe('safetensors');
  });

  it('should answer every malformed binary file with 422 problem+json naming the field, storing nothing', async () => {
    const model = await trainModel();
    const good = new Uint8Array(await (await exported(model.id, 'safetensors')).arrayBuffer());
    const before = await snapshot();
    for (const { what, bytes, field } of badBinaryModels(good)) {
      const problem = await expectProblem(await call('/v1/models/import', binaryBody(bytes)), 422);
      expect(problem.type, what).toBe('urn:edge-sae:problem:invalid-model-file');
      if (typeof field === 'string') expect(problem.field, what).toBe(field);
      else expect(problem.field, what).toMatch(field);
      expect(problem.detail, what).toContain('body: model file field');
    }
    expect(await snapshot()).toEqual(before);
  });
});
