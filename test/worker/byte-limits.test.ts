/**
 * The limits in bytes (issue 27, item 4): an import is bounded by the bytes inference reads
 * (MAX_INFERENCE_BYTES), not by the training limits; a model imported above the training limits is
 * served but not retrained; the isolate's cache is bounded in bytes (MODEL_CACHE_BYTES), the least
 * recently used model evicted first, and room is made before a cold load.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { clearModelCache } from '../../src/api/models/service.js';
import { FaultyBucket } from './faults-bucket.js';
import { ENCODE, expectProblem, request, trainModel, TRAINING_DATA } from './helpers.js';

async function exportedFile(id: string): Promise<Uint8Array> {
  const res = await app.request(request(`/v1/models/${id}/export?format=safetensors`), undefined, env);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

const importBytes = (bytes: Uint8Array, vars: Record<string, string>, bucket: R2Bucket = env.MODELS) =>
  app.request(request('/v1/models/import', { body: bytes, headers: { 'content-type': 'application/octet-stream' } }), undefined, { ...env, ...vars, MODELS: bucket });

describe('MAX_INFERENCE_BYTES', () => {
  it('should bound an import by the bytes inference reads, naming the limit and the model\'s bytes', async () => {
    const { id } = await trainModel({ config: { hiddenSize: 32 } });
    const bytes = await exportedFile(id);
    const problem = await expectProblem(await importBytes(bytes, { MAX_INFERENCE_BYTES: '1000' }), 413);
    expect(problem.limit).toBe('MAX_INFERENCE_BYTES');
    expect(problem.detail).toMatch(/The model's weights, biases and scaling take \d+ bytes as float32; it exceeds the limit MAX_INFERENCE_BYTES = 1000/);
    expect((await importBytes(bytes, {})).status).toBe(201);
  });

  it('should import and serve a model above MAX_PARAMETERS, and refuse to retrain it with 413', async () => {
    const { id } = await trainModel({ config: { hiddenSize: 32 } }); // 4·32·2 + 36 = 292 parameters
    const small = { MAX_PARAMETERS: '100', MAX_HIDDEN_SIZE: '8' };
    const imported = await importBytes(await exportedFile(id), small);
    expect(imported.status, await imported.clone().text()).toBe(201);
    const { id: copy } = (await imported.json()) as { id: string };
    const encoded = await app.request(request(`/v1/models/${copy}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA, top: 4 } }), undefined, { ...env, ...small });
    expect(encoded.status).toBe(200);
    const retrain = await app.request(request(`/v1/models/${copy}/train`, { json: { data: TRAINING_DATA, training: { epochs: 1 } } }), undefined, { ...env, ...small });
    expect((await expectProblem(retrain, 413)).limit).toBe('MAX_HIDDEN_SIZE');
  });
});

describe('MODEL_CACHE_BYTES', () => {
  it('should keep within its bytes, evicting the least recently used model, and read a model again once evicted', async () => {
    clearModelCache();
    const bucket = new FaultyBucket(env.MODELS);
    const ids: string[] = [];
    for (const seed of [1, 2]) ids.push((await trainModel({ training: { epochs: 5, seed } })).id);
    const through = (id: string, vars: Record<string, string>) =>
      app.request(request(`/v1/models/${id}/encode`, { token: ENCODE, json: { input: TRAINING_DATA[0] } }), undefined, { ...env, ...vars, MODELS: bucket.binding });
    // Room for one model only (a small model weighs its bytes plus 2 MiB of scratch): the second evicts the first.
    const one = { MODEL_CACHE_BYTES: String(3 * 1024 * 1024), MODEL_CACHE_REVALIDATE_MS: '60000' };
    // (a cold encode reads its encoder by a few ranges: header, small tensors, W_enc)
    let gets = bucket.calls.get;
    expect((await through(ids[0]!, one)).status).toBe(200);
    const coldGets = bucket.calls.get - gets;
    expect(coldGets).toBeGreaterThan(0);
    expect((await through(ids[1]!, one)).status).toBe(200);
    gets = bucket.calls.get;
    expect((await through(ids[1]!, one)).status).toBe(200);
    expect(bucket.calls.get).toBe(gets); // the most recent one is cached
    expect((await through(ids[0]!, one)).status).toBe(200);
    expect(bucket.calls.get).toBe(gets + coldGets); // the first was evicted: read again
    // Room for both: no more reads.
    const two = { ...one, MODEL_CACHE_BYTES: String(8 * 1024 * 1024) };
    expect((await through(ids[1]!, two)).status).toBe(200);
    gets = bucket.calls.get;
    for (const id of ids) expect((await through(id, two)).status).toBe(200);
    expect(bucket.calls.get).toBe(gets);
  });
});
