/**
 * Batch encodes and dataset downloads inside workerd: the codes dataset a batch encode writes
 * equals the library's model.encode of the same rows bit for bit, also when the object loses
 * its loaded model between slices; codes of more shards than the input and of fewer; bad
 * requests named; cancel cleans up; a download in each format equals the data.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { EncodeJob } from '../../src/api/encode-jobs/durable-object.js';
import { loadWorkerBackend } from '../../src/api/backends.js';
import { parseCsv } from '../../src/data/csv.js';
import type { Matrix } from '../../src/data/matrix.js';
import { parseNpy } from '../../src/data/npy.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { call, ENCODE, expectProblem } from './helpers.js';
import { exportModel, randomMatrix, uploadDataset } from './jobs-helpers.js';

interface EncodeJobBody {
  id: string;
  status: string;
  rows: number;
  rowsDone: number;
  shardsDone: number;
  shardCount: number;
  outputDatasetId: string | null;
  error: { type: string; detail: string } | null;
}

async function trainModel(cols: number, hiddenSize: number): Promise<string> {
  const m = randomMatrix(100, cols, cols);
  const data = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * cols, (i + 1) * cols)));
  const res = await call('/v1/models', { json: { data, config: { hiddenSize }, training: { epochs: 5, backend: 'assemblyscript' } } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function libraryCodes(modelId: string, matrix: Matrix): Promise<Float32Array> {
  const { backend } = await loadWorkerBackend('assemblyscript');
  const model = SparseAutoencoder.fromFile(await exportModel(modelId), backend);
  try {
    return model.encode(matrix).data;
  } finally {
    model.dispose();
  }
}

async function download(datasetId: string, format: string): Promise<Response> {
  const res = await call(`/v1/datasets/${datasetId}/download?format=${format}`);
  expect(res.status).toBe(200);
  return res;
}

async function waitFor(id: string, onProgress?: (job: EncodeJobBody) => Promise<void>): Promise<EncodeJobBody> {
  const deadline = Date.now() + 50_000;
  for (;;) {
    const res = await call(`/v1/encode-jobs/${id}`);
    expect(res.status).toBe(200);
    const job = (await res.json()) as EncodeJobBody;
    if (!['queued', 'running'].includes(job.status)) return job;
    await onProgress?.(job);
    if (Date.now() > deadline) throw new Error(`encode job ${id} did not finish: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('batch encode', () => {
  it('should write the codes of every row as a dataset equal to model.encode, across a lost model between slices', async () => {
    // 16 → 48: a codes shard holds ⌊2²⁰/48⌋ = 21,845 rows, so 50,000 rows are 3 shards of codes from 1 input shard.
    const modelId = await trainModel(16, 48);
    const matrix = randomMatrix(50_000, 16, 77);
    const datasetId = await uploadDataset(matrix);
    const res = await call(`/v1/models/${modelId}/encode-jobs`, { json: { datasetId, name: 'codes' } });
    expect(res.status, await res.clone().text()).toBe(202);
    const started = (await res.json()) as EncodeJobBody;
    expect(started).toMatchObject({ rows: 50_000, shardCount: 3, rowsDone: 0, outputDatasetId: null });
    expect(res.headers.get('location')).toBe(`/v1/encode-jobs/${started.id}`);

    const stub = env.ENCODE_JOBS.get(env.ENCODE_JOBS.idFromName(started.id));
    let drops = 0;
    const done = await waitFor(started.id, async (job) => {
      if (job.shardsDone > 0 && drops < 2) {
        await runInDurableObject(stub, (instance: EncodeJob) => instance.drop());
        drops += 1;
      }
    });
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done).toMatchObject({ rowsDone: 50_000, shardsDone: 3 });
    expect(drops).toBeGreaterThan(0);
    const codesId = done.outputDatasetId!;
    const summary = (await (await call(`/v1/datasets/${codesId}`)).json()) as Record<string, unknown>;
    expect(summary).toMatchObject({ rows: 50_000, cols: 48, format: 'codes', name: 'codes', shardCount: 3 });

    const stored = new Float32Array(await (await download(codesId, 'f32')).arrayBuffer());
    const expected = await libraryCodes(modelId, matrix);
    expect(stored.length).toBe(expected.length);
    expect(Buffer.from(stored.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it('should gather input rows from several shards into one shard of codes', async () => {
    // 64 → 16: an input shard holds 16,384 rows, a codes shard 65,536: 40,000 rows are 3 input shards, 1 of codes.
    const modelId = await trainModel(64, 16);
    const matrix = randomMatrix(40_000, 64, 78);
    const datasetId = await uploadDataset(matrix);
    const started = (await (await call(`/v1/models/${modelId}/encode-jobs`, { json: { datasetId } })).json()) as EncodeJobBody;
    const done = await waitFor(started.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const stored = parseNpy(new Uint8Array(await (await download(done.outputDatasetId!, 'npy')).arrayBuffer()));
    expect(stored).toMatchObject({ rows: 40_000, cols: 16 });
    expect(Buffer.from(stored.data.buffer).equals(Buffer.from((await libraryCodes(modelId, matrix)).buffer))).toBe(true);
  });

  it('should refuse an unknown model or dataset and a dataset of the wrong width, naming them', async () => {
    const modelId = await trainModel(4, 6);
    const datasetId = await uploadDataset(randomMatrix(10, 5, 1));
    const wide = await expectProblem(await call(`/v1/models/${modelId}/encode-jobs`, { json: { datasetId } }), 422);
    expect(wide.detail).toMatch(/5 columns, but the model takes 4/);
    expect((await expectProblem(await call(`/v1/models/${'c'.repeat(32)}/encode-jobs`, { json: { datasetId } }), 404)).type).toMatch(/model-not-found/);
    expect((await expectProblem(await call(`/v1/models/${modelId}/encode-jobs`, { json: { datasetId: 'd'.repeat(32) } }), 422)).type).toMatch(/dataset-not-found/);
    await expectProblem(await call(`/v1/encode-jobs/${'e'.repeat(32)}`), 404);
  });

  it('should cancel, deleting the codes written so far', async () => {
    const modelId = await trainModel(16, 48);
    const datasetId = await uploadDataset(randomMatrix(60_000, 16, 79));
    const started = (await (await call(`/v1/models/${modelId}/encode-jobs`, { json: { datasetId } })).json()) as EncodeJobBody;
    const res = await call(`/v1/encode-jobs/${started.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const cancelled = (await res.json()) as EncodeJobBody;
    expect(cancelled).toMatchObject({ status: 'cancelled', outputDatasetId: null });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await call(`/v1/encode-jobs/${started.id}`).then((r) => r.json()) as EncodeJobBody).status).toBe('cancelled');
  });
});

describe('dataset download', () => {
  it('should stream a dataset back as CSV, .npy and raw float32, each equal to the data', async () => {
    const matrix = randomMatrix(70_000, 16, 80); // two shards of 65,536 rows
    const datasetId = await uploadDataset(matrix);
    const f32 = await download(datasetId, 'f32');
    expect(f32.headers.get('content-disposition')).toBe(`attachment; filename="${datasetId}.f32"`);
    expect(Buffer.from(await f32.arrayBuffer()).equals(Buffer.from(matrix.data.buffer))).toBe(true);
    const npy = parseNpy(new Uint8Array(await (await download(datasetId, 'npy')).arrayBuffer()));
    expect(npy.rows).toBe(70_000);
    expect(Buffer.from(npy.data.buffer).equals(Buffer.from(matrix.data.buffer))).toBe(true);
    const csv = await download(datasetId, 'csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const parsed = parseCsv(await csv.text());
    expect(parsed.rows).toBe(70_000);
    expect(Buffer.from(parsed.data.buffer, parsed.data.byteOffset, parsed.data.byteLength).equals(Buffer.from(matrix.data.buffer))).toBe(true);
    await expectProblem(await call(`/v1/datasets/${datasetId}/download?format=xml`), 422);
    await expectProblem(await call(`/v1/datasets/${'f'.repeat(32)}/download`), 404);
  });

  it('should refuse an encode token, which may read a dataset\'s shape but not its rows', async () => {
    const datasetId = await uploadDataset(randomMatrix(10, 4, 3));
    expect((await call(`/v1/datasets/${datasetId}`, { token: ENCODE })).status).toBe(200);
    const refused = await call(`/v1/datasets/${datasetId}/download`, { token: ENCODE });
    await expectProblem(refused, 403);
  });
});
