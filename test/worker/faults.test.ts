/**
 * Faults: storage failing in the middle of saving (an R2 binding with injected failures, before
 * and after the store commits), two continue-training calls racing on one model (one wins, the
 * other gets 409, never a mix), a retrain racing a delete, and training that diverges (422,
 * nothing saved). After each, the stored model is readable and whole: its export parses and
 * loads, and encode answers with the version that is stored.
 */
import { env } from 'cloudflare:workers';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { clearModelCache } from '../../src/api/models/service.js';
import { readModelBytes } from '../../src/model/model-bytes.js';
import { toModelFile } from '../../src/model/model-file.js';
import { FaultyBucket } from './faults-bucket.js';
import { expectProblem, request, trainModel, TRAINING_DATA, type CallOptions, type TrainResponseBody } from './helpers.js';

let faultsInjected = 0;
let bucket: FaultyBucket;

beforeEach(() => {
  bucket = new FaultyBucket(env.MODELS);
});

afterAll(() => {
  console.log(JSON.stringify({ event: 'faults.summary', faultsInjected }));
});

/** The app with the faulty bucket in place of MODELS. */
async function send(path: string, options: CallOptions = {}): Promise<Response> {
  const before = bucket.injected;
  const res = await app.request(request(path, options), undefined, { ...env, MODELS: bucket.binding });
  faultsInjected += bucket.injected - before;
  return res;
}

/** What is stored for a model: the raw object text, its etag and version (null when gone). */
async function storedModel(id: string): Promise<{ bytes: Uint8Array; etag: string; version: number } | null> {
  const object = await env.MODELS.get(`models/${id}.json`);
  if (!object) return null;
  return { bytes: new Uint8Array(await object.arrayBuffer()), etag: object.etag, version: Number(object.customMetadata?.version) };
}

/** Asserts the model is whole: its export is a loadable model file and encode works on it. */
async function expectWhole(id: string, version: number): Promise<number[][]> {
  clearModelCache();
  const detail = await send(`/v1/models/${id}`);
  expect(detail.status).toBe(200);
  expect(((await detail.json()) as { version: number }).version).toBe(version);
  const exported = await send(`/v1/models/${id}/export`);
  expect(exported.status).toBe(200);
  const file = (await exported.json()) as { format: string; inputSize: number };
  expect(file.format).toBe('edge-sae');
  // Importing it validates every field; encode checks it runs.
  const imported = await app.request(request('/v1/models/import', { json: file }), undefined, env);
  expect(imported.status, await imported.clone().text()).toBe(201);
  await env.MODELS.delete(`models/${((await imported.json()) as { id: string }).id}.json`);
  const encoded = await send(`/v1/models/${id}/encode`, { json: { inputs: TRAINING_DATA } });
  expect(encoded.status).toBe(200);
  return ((await encoded.json()) as { codes: number[][] }).codes;
}

const retrain = (training: Record<string, unknown> = {}) => ({ json: { data: TRAINING_DATA, training: { epochs: 20, ...training } } });

describe('storage failing while saving', () => {
  it('should keep the previous version whole when the put of a retrain fails before storing (503)', async () => {
    const model = await trainModel();
    const before = await storedModel(model.id);
    const codesBefore = await expectWhole(model.id, 1);
    bucket.fail('put', 'before');
    const problem = await expectProblem(await send(`/v1/models/${model.id}/train`, retrain()), 503);
    expect(problem.type).toBe('urn:edge-sae:problem:storage-unavailable');
    expect(problem.detail).toMatch(/previous version/);
    expect(await storedModel(model.id)).toEqual(before);
    expect(await expectWhole(model.id, 1)).toEqual(codesBefore);
  });

  it('should store the new version whole when the put commits but its answer is lost (503)', async () => {
    const model = await trainModel();
    bucket.fail('put', 'after');
    const res = await send(`/v1/models/${model.id}/train`, retrain());
    expect(res.headers.get('retry-after')).toBe('1');
    await expectProblem(res, 503);
    const after = await storedModel(model.id);
    expect(after?.version).toBe(2);
    await expectWhole(model.id, 2);
    // Retrying is safe: it trains version 3 from version 2.
    const again = await send(`/v1/models/${model.id}/train`, retrain());
    expect(again.status).toBe(200);
    expect(((await again.json()) as TrainResponseBody).version).toBe(3);
  });

  it('should save nothing when storing a new or imported model fails', async () => {
    const before = (await env.MODELS.list({ prefix: 'models/' })).objects.length;
    bucket.fail('put', 'before');
    await expectProblem(await send('/v1/models', retrain()), 503);
    const model = await trainModel();
    const file = await (await send(`/v1/models/${model.id}/export`)).json();
    bucket.fail('put', 'before');
    await expectProblem(await send('/v1/models/import', { json: file }), 503);
    expect((await env.MODELS.list({ prefix: 'models/' })).objects.length).toBe(before + 1);
  });

  it('should keep the model when a delete fails, and answer 503 for reads while the store is down', async () => {
    const model = await trainModel();
    const before = await storedModel(model.id);
    bucket.fail('delete', 'before');
    await expectProblem(await send(`/v1/models/${model.id}`, { method: 'DELETE' }), 503);
    expect(await storedModel(model.id)).toEqual(before);
    clearModelCache();
    for (const [path, options, op] of [
      [`/v1/models/${model.id}/encode`, { json: { inputs: TRAINING_DATA } }, 'head'],
      [`/v1/models/${model.id}`, {}, 'get'],
      [`/v1/models/${model.id}/export`, {}, 'get'],
      ['/v1/models', {}, 'list'],
    ] as const) {
      bucket.fail(op, 'before');
      const problem = await expectProblem(await send(path, options), 503);
      expect(problem.type).toBe('urn:edge-sae:problem:storage-unavailable');
    }
    await expectWhole(model.id, 1);
  });
});

describe('concurrent writes', () => {
  it('should let one of two concurrent retrains win and answer the other 409, never a mix', async () => {
    const model = await trainModel();
    // Both read version 1 before either trains (the barrier), then race to save.
    bucket.holdReads(2);
    const [a, b] = await Promise.all([
      send(`/v1/models/${model.id}/train`, retrain({ learningRate: 0.01, seed: 1 })),
      send(`/v1/models/${model.id}/train`, retrain({ learningRate: 0.002, seed: 2 })),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
    const problem = await expectProblem(loser, 409);
    expect(problem.type).toBe('urn:edge-sae:problem:conflict');
    const won = (await winner.json()) as TrainResponseBody;
    expect(won.version).toBe(2);
    const stored = toModelFile(readModelBytes((await storedModel(model.id))!.bytes)) as unknown as {
      training: { learningRate: number; seed: number };
      lossHistory: number[];
      metrics: Record<string, number>;
    };
    // The stored file is exactly the winner's run: its options, its losses, its metrics.
    expect(stored.training.learningRate).toBe(won.training.learningRate);
    expect(stored.training.seed).toBe(won.training.seed);
    // (The file stores numbers as float32.)
    const f32 = (values: number[]) => values.map((v) => Math.fround(v));
    expect(f32(stored.lossHistory.slice(-won.lossHistory.length))).toEqual(f32(won.lossHistory));
    expect(f32(Object.values(stored.metrics).map(Number))).toEqual(f32(Object.values(won.metrics).map(Number)));
    await expectWhole(model.id, 2);
  });

  it('should count every successful retrain of many concurrent ones as one version (no lost update)', async () => {
    const model = await trainModel();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => send(`/v1/models/${model.id}/train`, retrain({ seed: i + 1 }))),
    );
    const ok = results.filter((r) => r.status === 200).length;
    for (const res of results) expect([200, 409]).toContain(res.status);
    expect(ok).toBeGreaterThanOrEqual(1);
    expect((await storedModel(model.id))!.version).toBe(1 + ok);
    await expectWhole(model.id, 1 + ok);
  });

  it('should not bring back a model deleted while it was being retrained (409)', async () => {
    const model = await trainModel();
    // The retrain reads version 1 and trains; the delete lands before it saves.
    const gate = bucket.pauseNextPut();
    const training = send(`/v1/models/${model.id}/train`, retrain());
    await gate.reached;
    const deleted = await app.request(request(`/v1/models/${model.id}`, { method: 'DELETE' }), undefined, env);
    expect(deleted.status).toBe(204);
    gate.release();
    await expectProblem(await training, 409);
    expect(await storedModel(model.id)).toBeNull();
    await expectProblem(await send(`/v1/models/${model.id}/encode`, { json: { inputs: TRAINING_DATA } }), 404);
  });
});

describe('training that diverges', () => {
  const diverging = { epochs: 50, optimizer: 'sgd', learningRate: 1e30 };

  it('should answer 422 and keep the stored version when a retrain turns NaN or Infinity', async () => {
    const model = await trainModel();
    const before = await storedModel(model.id);
    const codesBefore = await expectWhole(model.id, 1);
    const problem = await expectProblem(await send(`/v1/models/${model.id}/train`, retrain(diverging)), 422);
    expect(problem.type).toBe('urn:edge-sae:problem:training-diverged');
    expect(problem.detail).toMatch(/diverged at epoch \d+/);
    expect(bucket.calls.put).toBe(0);
    expect(await storedModel(model.id)).toEqual(before);
    expect(await expectWhole(model.id, 1)).toEqual(codesBefore);
  });

  it('should answer 422 and store nothing when a new model diverges', async () => {
    const before = (await env.MODELS.list({ prefix: 'models/' })).objects.length;
    const problem = await expectProblem(await send('/v1/models', retrain(diverging)), 422);
    expect(problem.type).toBe('urn:edge-sae:problem:training-diverged');
    expect(bucket.calls.put).toBe(0);
    expect((await env.MODELS.list({ prefix: 'models/' })).objects.length).toBe(before);
  });
});
