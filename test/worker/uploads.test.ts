/**
 * Datasets uploaded in parts, inside workerd: parts in any order, a repeated part replacing the
 * earlier one, a bad part refused by name with the good ones kept, completing too early refused,
 * an abandoned upload cleaned up by its expiry alarm, uint8 values and their min/max, a corrupt
 * shard caught by its checksum, and datasets of the first layout (one object) still read.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { openDatasetSource } from '../../src/api/datasets/dataset-source.js';
import { newId } from '../../src/api/storage-keys.js';
import { DataError } from '../../src/errors.js';
import { call, ENCODE, expectProblem } from './helpers.js';
import { exportModel, getJob, randomMatrix, submitJob, uploadDataset, waitDroppingRuns, waitForJob } from './jobs-helpers.js';
import { loadWorkerBackend } from '../../src/api/backends.js';
import { SeededRandom } from '../../src/model/random.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { firstDifference } from '../helpers/same-bytes.js';

interface UploadBody {
  id: string;
  rows: number;
  cols: number;
  shardRows: number;
  partCount: number;
  partBytes: number;
  lastPartBytes: number;
  received: number[];
  missing: number;
  status: string;
}

async function start(body: unknown): Promise<UploadBody> {
  const res = await call('/v1/datasets/uploads', { json: body });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as UploadBody;
}

function putPart(id: string, n: number, bytes: Uint8Array, token?: string): Promise<Response> {
  return call(`/v1/datasets/uploads/${id}/parts/${n}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
    ...(token ? { token } : {}),
  });
}

async function expectPart(res: Response): Promise<UploadBody> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as UploadBody;
}

/** The bytes of rows `from … to − 1` of a float32 matrix. */
function rowBytes(data: Float32Array, cols: number, from: number, to: number): Uint8Array {
  return new Uint8Array(data.buffer.slice(from * cols * 4, to * cols * 4));
}

async function shardKeys(id: string): Promise<string[]> {
  return (await env.MODELS.list({ prefix: `dataset-shards/${id}/` })).objects.map((o) => o.key);
}

// 1024 columns: 1024 rows a shard (2²⁰ / 1024), so a few thousand rows make several parts.
const COLS = 1024;

describe('uploads in parts', () => {
  it('should take parts in any order, replace a repeated part, and store the data a one-request upload stores', async () => {
    const rows = 2100; // parts of 1024, 1024 and 52 rows
    const matrix = randomMatrix(rows, COLS, 11);
    const upload = await start({ name: 'in-parts', rows, cols: COLS, type: 'float32' });
    expect(upload).toMatchObject({ rows, cols: COLS, shardRows: 1024, partCount: 3, partBytes: 1024 * COLS * 4, lastPartBytes: 52 * COLS * 4, received: [], missing: 3, status: 'open' });

    const part = (n: number) => rowBytes(matrix.data, COLS, n * 1024, Math.min(rows, (n + 1) * 1024));
    expect((await expectPart(await putPart(upload.id, 2, part(2)))).received).toEqual([2]);
    // Part 0 first with the wrong data (part 1's), then again with its own: the second replaces it.
    await expectPart(await putPart(upload.id, 0, part(1)));
    await expectPart(await putPart(upload.id, 0, part(0)));
    // Resuming: the upload says which parts it has.
    let res = await call(`/v1/datasets/uploads/${upload.id}`, { token: ENCODE });
    expect(((await res.json()) as UploadBody)).toMatchObject({ received: [0, 2], missing: 1 });
    await expectPart(await putPart(upload.id, 1, part(1)));

    res = await call(`/v1/datasets/uploads/${upload.id}/complete`, { method: 'POST' });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const dataset = JSON.parse(text) as Record<string, unknown>;
    expect(dataset).toMatchObject({ id: upload.id, name: 'in-parts', rows, cols: COLS, bytes: rows * COLS * 4, format: 'float32', type: 'float32', shardRows: 1024, shardCount: 3 });
    expect(await (await call(`/v1/datasets/${upload.id}`)).json()).toEqual(dataset);
    // Completing again is a conflict; the upload says it completed.
    await expectProblem(await call(`/v1/datasets/uploads/${upload.id}/complete`, { method: 'POST' }), 409);
    await expectProblem(await putPart(upload.id, 1, part(1)), 409);

    // The same cells as the same data sent in one request, cut into the same shards.
    const direct = await uploadDataset(matrix);
    const [a, b] = await Promise.all([openDatasetSource(env.MODELS, upload.id), openDatasetSource(env.MODELS, direct)]);
    expect(a!.shardCount).toBe(3);
    expect(b!.shardCount).toBe(3);
    for (let i = 0; i < 3; i++) expect(firstDifference(await a!.readShard(i), await b!.readShard(i)), `shard ${i}`).toBeNull();
    expect(a!.columnMin).toEqual(b!.columnMin);
    expect(a!.columnMax).toEqual(b!.columnMax);
    const all = new Float32Array(rows * COLS);
    for (let i = 0; i < 3; i++) all.set(await a!.readShard(i), i * 1024 * COLS);
    expect(firstDifference(all, matrix.data)).toBeNull();
    const min = Float32Array.from({ length: COLS }, (_, c) => Math.min(...Array.from({ length: rows }, (_, r) => matrix.data[r * COLS + c]!)));
    expect(a!.columnMin).toEqual(min);
  });

  it('should refuse a bad part by name and keep the good ones', async () => {
    const rows = 1100; // parts of 1024 and 76 rows
    const matrix = randomMatrix(rows, COLS, 12);
    const upload = await start({ rows, cols: COLS, type: 'float32' });
    await expectPart(await putPart(upload.id, 0, rowBytes(matrix.data, COLS, 0, 1024)));

    const bad = matrix.data.slice(1024 * COLS);
    bad[5 * COLS + 7] = Number.NaN; // row 1024 + 5 + 1 = 1030 of the dataset, column 8
    let problem = await expectProblem(await putPart(upload.id, 1, new Uint8Array(bad.buffer)), 422);
    expect(problem).toMatchObject({ type: 'urn:edge-sae:problem:invalid-data', part: 1, row: 1030, column: 8 });
    expect(problem.detail).toMatch(/part 1, row 1030, column 8: NaN/);
    problem = await expectProblem(await putPart(upload.id, 1, new Uint8Array(100)), 422);
    expect(problem).toMatchObject({ part: 1 });
    expect(problem.detail).toMatch(/100 bytes; it must have 311296 \(76 rows × 1024 columns of float32\)/);
    problem = await expectProblem(await putPart(upload.id, 2, new Uint8Array(4)), 422);
    expect(problem.detail).toMatch(/no part 2; this upload has parts 0 … 1/);
    await expectProblem(await putPart(upload.id, -1, new Uint8Array(4)), 422);
    await expectProblem(await putPart(upload.id, 0, new Uint8Array(4), ENCODE), 403);

    // Part 0 is still there, part 1 is not; completing now names it.
    const status = (await (await call(`/v1/datasets/uploads/${upload.id}`)).json()) as UploadBody;
    expect(status).toMatchObject({ received: [0], missing: 1 });
    problem = await expectProblem(await call(`/v1/datasets/uploads/${upload.id}/complete`, { method: 'POST' }), 409);
    expect(problem).toMatchObject({ type: 'urn:edge-sae:problem:upload-incomplete', missing: [1], missingCount: 1 });
    // No dataset yet.
    await expectProblem(await call(`/v1/datasets/${upload.id}`), 404);
    await expectProblem(await call('/v1/jobs', { json: { datasetId: upload.id } }), 422);

    await expectPart(await putPart(upload.id, 1, rowBytes(matrix.data, COLS, 1024, rows)));
    expect((await call(`/v1/datasets/uploads/${upload.id}/complete`, { method: 'POST' })).status).toBe(201);
  });

  it('should refuse bad starts: shape over the limits, options of the wrong type', async () => {
    let problem = await expectProblem(await call('/v1/datasets/uploads', { json: { rows: 2 ** 31 + 1, cols: 1, type: 'float32' } }), 413);
    expect(problem).toMatchObject({ limit: 'MAX_DATASET_ROWS' });
    problem = await expectProblem(await call('/v1/datasets/uploads', { json: { rows: 2 ** 22, cols: 1024, type: 'uint8' } }), 413);
    expect(problem).toMatchObject({ limit: 'MAX_DATASET_CELLS' });
    problem = await expectProblem(await call('/v1/datasets/uploads', { json: { rows: 2, cols: 5000, type: 'uint8' } }), 413);
    expect(problem).toMatchObject({ limit: 'MAX_COLUMNS' });
    await expectProblem(await call('/v1/datasets/uploads', { json: { rows: 2, cols: 2, type: 'float32', scale: 2 } }), 422);
    await expectProblem(await call('/v1/datasets/uploads', { json: { rows: 2, cols: 2, type: 'int8' } }), 422);
    problem = await expectProblem(await call('/v1/datasets/uploads', { json: { rows: 2, cols: 2, type: 'uint8', scale: 1e38 } }), 422);
    expect(problem.type).toBe('urn:edge-sae:problem:invalid-option');
    await expectProblem(await call('/v1/datasets/uploads', { json: { rows: 2, cols: 2, type: 'uint8' }, token: ENCODE }), 403);
    for (const path of [`/v1/datasets/uploads/${newId()}`, '/v1/datasets/uploads/not-an-id']) {
      await expectProblem(await call(path), 404);
      await expectProblem(await call(`${path}/complete`, { method: 'POST' }), 404);
      await expectProblem(await call(path, { method: 'DELETE' }), 404);
    }
  });

  it('should store uint8 parts as bytes and read them as b·scale + offset, with the column min/max in that scale', async () => {
    const rows = 2500; // parts of 1024, 1024 and 452 rows
    const bytes = Uint8Array.from({ length: rows * COLS }, (_, k) => (k * 7 + (k >> 10) * 13) % 256);
    const upload = await start({ rows, cols: COLS, type: 'uint8', scale: 1 / 255, offset: -0.5 });
    expect(upload).toMatchObject({ partCount: 3, partBytes: 1024 * COLS, lastPartBytes: 452 * COLS });
    for (const n of [1, 2, 0]) await expectPart(await putPart(upload.id, n, bytes.slice(n * 1024 * COLS, Math.min(rows, (n + 1) * 1024) * COLS)));
    const res = await call(`/v1/datasets/uploads/${upload.id}/complete`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ type: 'uint8', format: 'uint8', bytes: rows * COLS, scale: 1 / 255, offset: -0.5 });

    const source = (await openDatasetSource(env.MODELS, upload.id))!;
    const values = new Float32Array(rows * COLS);
    for (let i = 0; i < source.shardCount; i++) values.set(await source.readShard(i), i * 1024 * COLS);
    expect(firstDifference(values, Float32Array.from(bytes, (b) => b * (1 / 255) - 0.5))).toBeNull();
    for (const c of [0, 1, 500, COLS - 1]) {
      const column = Array.from({ length: rows }, (_, r) => values[r * COLS + c]!);
      expect(source.columnMin[c]).toBe(Math.min(...column));
      expect(source.columnMax[c]).toBe(Math.max(...column));
    }
    // The shards are the bytes (a quarter of float32).
    const shard = await env.MODELS.get(`dataset-shards/${upload.id}/2.bin`);
    expect(shard!.size).toBe(452 * COLS);
  });

  it('should delete the parts of an aborted upload at once, and of an abandoned one when it expires', async () => {
    const aborted = await start({ rows: 2048, cols: COLS, type: 'uint8' });
    await expectPart(await putPart(aborted.id, 1, new Uint8Array(1024 * COLS)));
    expect(await shardKeys(aborted.id)).toHaveLength(1);
    await expectProblem(await call(`/v1/datasets/uploads/${aborted.id}`, { method: 'DELETE', token: ENCODE }), 403);
    expect((await call(`/v1/datasets/uploads/${aborted.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await shardKeys(aborted.id)).toEqual([]);
    await expectProblem(await call(`/v1/datasets/uploads/${aborted.id}`), 404);
    await expectProblem(await putPart(aborted.id, 0, new Uint8Array(1024 * COLS)), 404);

    const abandoned = await start({ rows: 2048, cols: COLS, type: 'uint8' });
    await expectPart(await putPart(abandoned.id, 0, new Uint8Array(1024 * COLS)));
    const stub = env.UPLOADS.get(env.UPLOADS.idFromName(abandoned.id));
    // An alarm before the expiry (run now, early) keeps it and sets itself again.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await shardKeys(abandoned.id)).toHaveLength(1);
    await runInDurableObject(stub, async (_instance, state) => {
      expect(await state.storage.getAlarm()).toBeGreaterThan(Date.now() + 86_000_000);
      // The upload's expiry passes: a day without a part.
      const record = (await state.storage.get<{ expiresAt: number }>('upload'))!;
      await state.storage.put('upload', { ...record, expiresAt: Date.now() - 1 });
    });
    // Its alarm (still set for a day ahead) comes: the upload has expired, so it goes.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await shardKeys(abandoned.id)).toEqual([]);
    await expectProblem(await call(`/v1/datasets/uploads/${abandoned.id}`), 404);
    await expectProblem(await call(`/v1/datasets/${abandoned.id}`), 404);
  });

  it('should fail a job with the shard named when a stored shard is corrupt, never a 5xx', async () => {
    const matrix = randomMatrix(1100, COLS, 13);
    const id = await uploadDataset(matrix);
    const source = (await openDatasetSource(env.MODELS, id))!;
    // Same length, one byte changed: only the checksum can tell.
    const stored = new Uint8Array(await (await env.MODELS.get(`dataset-shards/${id}/1.bin`))!.arrayBuffer());
    stored[10] = stored[10]! ^ 1;
    await env.MODELS.put(`dataset-shards/${id}/1.bin`, stored);
    const error = await source.readShard(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(String((error as Error).message)).toMatch(new RegExp(`dataset ${id} shard 1: its SHA-256 [0-9a-f]{64} does not match`));
    expect((error as DataError).problem).toBe('invalid');
    await env.MODELS.put(`dataset-shards/${id}/0.bin`, new Uint8Array(12));
    expect(String(((await source.readShard(0).catch((e: unknown) => e)) as Error).message)).toMatch(/shard 0: has 12 bytes; its manifest says 4194304/);

    const job = await submitJob({ datasetId: id, config: { hiddenSize: 4 }, training: { epochs: 1, seed: 1 } });
    const done = await waitForJob(job.id);
    expect(done.status).toBe('failed');
    expect(done.error?.type).toBe('invalid-data');
    expect(done.error?.detail).toMatch(new RegExp(`dataset ${id} shard 0`));
    expect(done.modelId).toBeNull();

    // A shard gone from storage: a DataError that says so by its type, not only in words.
    await env.MODELS.delete(`dataset-shards/${id}/1.bin`);
    const missing = await source.readShard(1).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DataError);
    expect((missing as DataError).problem).toBe('missing');
    expect(String((missing as Error).message)).toMatch(new RegExp(`dataset ${id} shard 1: is missing from storage`));

    // A manifest that is not JSON: a data error naming the dataset, not a crash.
    await env.MODELS.put(`datasets/${id}.json`, '{"version": 1, "sha', { customMetadata: (await env.MODELS.head(`datasets/${id}.json`))!.customMetadata! });
    await expect(openDatasetSource(env.MODELS, id)).rejects.toThrow(new RegExp(`dataset ${id}: its manifest is not valid JSON`));
  });

  it('should train a job on a dataset uploaded in parts as on the same data sent whole', async () => {
    const matrix = randomMatrix(40, 6, 14);
    const upload = await start({ rows: 40, cols: 6, type: 'float32' });
    await expectPart(await putPart(upload.id, 0, new Uint8Array(matrix.data.buffer.slice(0))));
    expect((await call(`/v1/datasets/uploads/${upload.id}/complete`, { method: 'POST' })).status).toBe(201);
    const direct = await uploadDataset(matrix);
    const options = { config: { hiddenSize: 3 }, training: { epochs: 3, batchSize: 8, seed: 5 } };
    const [a, b] = [await submitJob({ datasetId: upload.id, ...options }), await submitJob({ datasetId: direct, ...options })];
    const [doneA, doneB] = [await waitForJob(a.id), await waitForJob(b.id)];
    expect(doneA.status).toBe('succeeded');
    expect(doneB.status).toBe('succeeded');
    const [fileA, fileB] = [await exportModel(doneA.modelId!), await exportModel(doneB.modelId!)];
    expect(fileA.weights).toEqual(fileB.weights);
  });

  it('should stream a job over a dataset of more than one window, equal to the library\'s fitStream, across lost runs mid-epoch', async () => {
    // 4,500 × 1,024 uint8 (parts of 1,024 rows): 5 shards, more than a window of 4; once past
    // the old in-memory limit of 4,194,304 numbers.
    const rows = 4_500;
    const big = await start({ rows, cols: COLS, type: 'uint8', scale: 1 / 255 });
    const rng = new SeededRandom(31);
    for (let n = 0; n < big.partCount; n++) {
      const part = new Uint8Array(Math.min(1024, rows - n * 1024) * COLS);
      for (let k = 0; k < part.length; k++) part[k] = Math.floor(rng.nextFloat() * 256);
      await expectPart(await putPart(big.id, n, part));
    }
    expect((await call(`/v1/datasets/uploads/${big.id}/complete`, { method: 'POST' })).status).toBe(201);

    // The whole data in one step needs it in memory whole: refused now, naming the option.
    const whole = await expectProblem(await call('/v1/jobs', { json: { datasetId: big.id, config: { hiddenSize: 2 } } }), 422);
    expect(whole.detail).toMatch(/training\.batchSize: must be ≥ 1 for data of 4500 rows streamed in windows of 4096 rows/);

    // ≈ 5·10⁷ floating-point operations a step: a few steps a slice, so many slices and mid-epoch resumes.
    const config = { hiddenSize: 64 };
    const training = { epochs: 2, batchSize: 64, seed: 4, learningRate: 0.002 };
    const job = await submitJob({ datasetId: big.id, config, training });
    const { drops } = await waitDroppingRuns(job.id, 4);
    const done = await getJob(job.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.slices).toBeGreaterThan(2);
    expect(drops).toBeGreaterThan(0);

    const { backend } = await loadWorkerBackend('assemblyscript');
    const model = SparseAutoencoder.create(COLS, config, backend, { seed: training.seed });
    await model.fitStream((await openDatasetSource(env.MODELS, big.id))!, training);
    const expected = JSON.parse(JSON.stringify(model.toFile())) as Record<string, unknown>;
    model.dispose();
    expect(await exportModel(done.modelId!)).toEqual(expected);
  }, 120_000);

  it('should still list, read, train on and delete a dataset of the first layout (one float32 object)', async () => {
    const id = newId();
    const matrix = randomMatrix(30, 5, 15);
    await env.MODELS.put(`datasets/${id}.f32`, matrix.data, {
      customMetadata: { rows: '30', cols: '5', name: 'old', format: 'csv', createdAt: '2026-01-01T00:00:00.000Z' },
    });
    const res = await call(`/v1/datasets/${id}`);
    expect(await res.json()).toEqual({
      id, name: 'old', rows: 30, cols: 5, bytes: 600, format: 'csv', type: 'float32', scale: 1, offset: 0, shardRows: 209715, shardCount: 1, createdAt: '2026-01-01T00:00:00.000Z', labelled: false,
    });
    const listed = (await (await call('/v1/datasets?limit=100')).json()) as { datasets: { id: string }[] };
    expect(listed.datasets.map((d) => d.id)).toContain(id);
    const source = (await openDatasetSource(env.MODELS, id))!;
    expect(await source.readShard(0)).toEqual(matrix.data);
    const job = await submitJob({ datasetId: id, config: { hiddenSize: 2 }, training: { epochs: 2, seed: 3 } });
    expect((await waitForJob(job.id)).status).toBe('succeeded');
    expect((await call(`/v1/datasets/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await env.MODELS.head(`datasets/${id}.f32`)).toBeNull();
  });
});
