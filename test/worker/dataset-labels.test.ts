/**
 * Labels carried in stored datasets (issue 29), inside workerd: a CSV column named by
 * `?labelColumn=`, JSON `labels`, and the labels parts of an upload in parts are stored beside the
 * shards, read back for the rows asked (across shards), used by a features job (its top rows carry
 * them, as the library's featureStats with the same labels, bit for bit) and by explain; bad
 * labels are refused with 422 naming what is wrong, too many bytes with 413; a corrupt labels
 * object fails the job by name; deleting the dataset deletes them.
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import type { DatasetUpload } from '../../src/api/datasets/upload-object.js';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { openDatasetSource } from '../../src/api/datasets/dataset-source.js';
import { readFeatures } from '../../src/api/features/store.js';
import { loadWorkerBackend } from '../../src/api/backends.js';
import { formatFloat32 } from '../../src/data/float32.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { labelsFromArray } from '../../src/data/row-labels.js';
import type { Matrix } from '../../src/data/matrix.js';
import { featureStats } from '../../src/features/feature-stats.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { call, ENCODE, expectProblem, request } from './helpers.js';
import { exportModel, randomMatrix } from './jobs-helpers.js';

interface DatasetBody {
  id: string;
  rows: number;
  cols: number;
  shardCount: number;
  labelled: boolean;
}

interface FeatureJobBody {
  id: string;
  status: string;
  labels: string;
  error: { type: string; detail: string } | null;
}

/** CSV text of `matrix` with a quoted label column between columns 1 and 2. */
function labelledCsv(matrix: Matrix, labels: readonly string[]): string {
  const names = Array.from({ length: matrix.cols }, (_, c) => `x${c}`);
  const lines = [[names[0], 'what', ...names.slice(1)].join(',')];
  for (let r = 0; r < matrix.rows; r++) {
    const cells = Array.from(matrix.data.subarray(r * matrix.cols, (r + 1) * matrix.cols), formatFloat32);
    lines.push([cells[0], `"${labels[r]!.replace(/"/g, '""')}"`, ...cells.slice(1)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function created(res: Response): Promise<DatasetBody> {
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as DatasetBody;
}

async function trainModel(cols: number, hiddenSize: number): Promise<string> {
  const m = randomMatrix(100, cols, cols);
  const data = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * cols, (i + 1) * cols)));
  const res = await call('/v1/models', { json: { data, config: { hiddenSize, architecture: 'relu' }, training: { epochs: 5, backend: 'assemblyscript' } } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function runFeatures(modelId: string, body: Record<string, unknown>): Promise<FeatureJobBody> {
  const res = await call(`/v1/models/${modelId}/features`, { json: body });
  expect(res.status, await res.clone().text()).toBe(202);
  const { id } = (await res.json()) as FeatureJobBody;
  const deadline = Date.now() + 50_000;
  for (;;) {
    const job = (await (await call(`/v1/feature-jobs/${id}`)).json()) as FeatureJobBody;
    if (!['queued', 'running'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`features job ${id} did not finish`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The library's statistics of `matrix` with `labels`, by the model `modelId` as stored. */
async function libraryStats(modelId: string, matrix: Matrix, labels: readonly string[], top: number) {
  const { backend } = await loadWorkerBackend('assemblyscript');
  const model = SparseAutoencoder.fromFile(await exportModel(modelId), backend);
  try {
    return await featureStats(model, matrixShardSource(matrix), { top, labels: labelsFromArray(labels) });
  } finally {
    model.dispose();
  }
}

const csvPost = (text: string, query: string) => call(`/v1/datasets?${query}`, { method: 'POST', body: text, headers: { 'content-type': 'text/csv' } });

describe('labels in stored datasets', () => {
  it('should keep a CSV label column beside the numbers and show it in a features job and explain, as the library does', async () => {
    const matrix = randomMatrix(300, 4, 5);
    const labels = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? `row ${i}, "quoted"` : `r${i}`));
    const dataset = await created(await csvPost(labelledCsv(matrix, labels), 'labelColumn=what&name=labelled'));
    expect(dataset).toMatchObject({ rows: 300, cols: 4, labelled: true });
    expect(((await (await call(`/v1/datasets/${dataset.id}`)).json()) as DatasetBody).labelled).toBe(true);
    // The numbers are those of the CSV without its label column.
    const source = await openDatasetSource(env.MODELS, dataset.id);
    expect(await source!.readShard(0)).toEqual(matrix.data);
    expect(await source!.labels!.labelsOf([0, 7, 299])).toEqual(new Map([[0, labels[0]], [7, labels[7]], [299, 'r299']]));

    const modelId = await trainModel(4, 6);
    const job = await runFeatures(modelId, { datasetId: dataset.id, top: 5 });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.labels).toBe('dataset');
    const expected = await libraryStats(modelId, matrix, labels, 5);
    const { jobId: _j, datasetId: _d, modelVersion: _v, createdAt: _c, ...stored } = (await readFeatures(env.MODELS, modelId))!;
    expect(JSON.stringify(stored)).toBe(JSON.stringify(expected));
    const some = stored.features.find((f) => f.top.length > 0)!;
    expect(some.top.map((t) => t.label)).toEqual(some.top.map((t) => labels[t.row]));

    // Explain (a row some feature fires on most): its features carry their top rows' labels from the dataset.
    const r = some.top[0]!.row;
    const explained = (await (await call(`/v1/models/${modelId}/explain`, { json: { input: Array.from(matrix.data.subarray(r * 4, r * 4 + 4)), top: 3 } })).json()) as { rows: { index: number; topLabels: string[]; topRows: number[] }[][] };
    expect(explained.rows[0]!.length).toBeGreaterThan(0);
    for (const f of explained.rows[0]!) expect(f.topLabels).toEqual(f.topRows.map((r) => labels[r]));

    // Labels sent with the job win over the dataset's.
    const sent = labels.map((_, i) => `sent ${i}`);
    const again = await runFeatures(modelId, { datasetId: dataset.id, top: 5, labels: sent });
    expect(again.labels).toBe('sent');
    expect((await readFeatures(env.MODELS, modelId))!.features.find((f) => f.top.length > 0)!.top[0]!.label).toMatch(/^sent \d+$/);

    // Deleting the dataset deletes its labels with its shards.
    expect((await call(`/v1/datasets/${dataset.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await env.MODELS.list({ prefix: `dataset-shards/${dataset.id}/` })).objects).toEqual([]);
  });

  it('should keep JSON labels, and a dataset without labels says so', async () => {
    const data = [[0, 1], [1, 0], [0.5, 0.5]];
    const labelled = await created(await call('/v1/datasets', { json: { data, labels: ['a', 'b', 'ünïcode ✓'] } }));
    expect(labelled.labelled).toBe(true);
    const source = await openDatasetSource(env.MODELS, labelled.id);
    expect(await source!.labels!.labelsOf([2, 0])).toEqual(new Map([[0, 'a'], [2, 'ünïcode ✓']]));
    const plain = await created(await call('/v1/datasets', { json: { data } }));
    expect(plain.labelled).toBe(false);
    expect((await openDatasetSource(env.MODELS, plain.id))!.labels).toBeUndefined();
    const listed = (await (await call('/v1/datasets?limit=100')).json()) as { datasets: DatasetBody[] };
    expect(listed.datasets.find((d) => d.id === labelled.id)?.labelled).toBe(true);
    expect(listed.datasets.find((d) => d.id === plain.id)?.labelled).toBe(false);
  });

  it('should refuse bad labels with 422 naming what is wrong, and too many bytes of labels with 413', async () => {
    const data = [[0, 1], [1, 0], [0.5, 0.5]];
    let problem = await expectProblem(await call('/v1/datasets', { json: { data, labels: ['a', 'b'] } }), 422);
    expect(problem.detail).toMatch(/labels: there are 2 labels for 3 rows: send one label a row/);
    problem = await expectProblem(await call('/v1/datasets', { json: { data, labels: ['a', 7, 'c'] } }), 422);
    expect(problem).toMatchObject({ row: 2, errors: [{ pointer: '/labels/1' }] });
    expect(problem.detail).toMatch(/a label must be a string, got number/);
    problem = await expectProblem(await call('/v1/datasets', { json: { data, labels: 'abc' } }), 422);
    expect(problem.detail).toMatch(/the labels must be an array of strings/);
    problem = await expectProblem(await call('/v1/datasets', { json: { data, labels: ['a', 'b', 'é'.repeat(513)] } }), 422);
    expect(problem).toMatchObject({ row: 3 });
    expect(problem.detail).toMatch(/the label has 1026 bytes of UTF-8; a label may have at most 1024 \(MAX_LABEL_BYTES\)/);

    problem = await expectProblem(await csvPost('a,b,what\n1,2,x\n', 'labelColumn=digit'), 422);
    expect(problem.detail).toMatch(/no column named "digit" for the labels \(the header names "a", "b", "what"\)/);
    problem = await expectProblem(await csvPost('1,2,3\n4,5,6\n', 'labelColumn=what'), 422);
    expect(problem.detail).toMatch(/has no header row, so no column named "what"/);
    problem = await expectProblem(await csvPost('what\nx\n', 'labelColumn=what'), 422);
    expect(problem.detail).toMatch(/is the only column: there are no numbers left/);
    problem = await expectProblem(await csvPost('a,what,b\n1,x,2\n3,y\n', 'labelColumn=what'), 422);
    expect(problem).toMatchObject({ row: 3 });
    expect(problem.detail).toMatch(/expected 3 cells \(with the label\), got 2/);
    problem = await expectProblem(await csvPost('a,what,b\n1,x,2\n3,y,oops\n', 'labelColumn=what'), 422);
    expect(problem.detail).toMatch(/row 3, column 2: expected a number, got "oops"/);
    problem = await expectProblem(await call('/v1/datasets?labelColumn=what', { json: { data } }), 422);
    expect(problem.errors).toEqual([{ parameter: 'labelColumn', detail: 'for text/csv bodies only' }]);

    // The total: with MAX_DATASET_LABEL_BYTES = 20, 3 labels of 8 bytes (as JSON: 32 bytes) are too many.
    const small = { ...env, MAX_DATASET_LABEL_BYTES: '20' };
    const res = await app.request(request('/v1/datasets', { json: { data, labels: ['aaaaaaaa', 'bbbbbbbb', 'cccccccc'] } }), undefined, small);
    problem = await expectProblem(res, 413);
    expect(problem).toMatchObject({ limit: 'MAX_DATASET_LABEL_BYTES', value: 20 });
    expect(problem.detail).toMatch(/The labels take 34 bytes as stored, which exceeds the limit MAX_DATASET_LABEL_BYTES = 20/);
  });

  it('should fail a features job by name, never a 5xx, when a stored labels object is corrupt', async () => {
    const matrix = randomMatrix(50, 4, 9);
    const labels = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const dataset = await created(await call('/v1/datasets', { json: { data: Array.from({ length: 50 }, (_, i) => Array.from(matrix.data.subarray(i * 4, i * 4 + 4))), labels } }));
    await env.MODELS.put(`dataset-shards/${dataset.id}/0.labels.json`, JSON.stringify(labels.map((l) => `${l}!`)));
    const modelId = await trainModel(4, 6);
    const job = await runFeatures(modelId, { datasetId: dataset.id });
    expect(job.status).toBe('failed');
    expect(job.error?.type).toBe('invalid-data');
    expect(job.error?.detail).toMatch(new RegExp(`dataset ${dataset.id} shard 0 labels: (have \\d+ bytes; the manifest says \\d+|their SHA-256 .* does not match)`));
  });
});

// 256 columns: 4096 rows a shard (2²⁰ / 256), so 5000 rows are parts of 4096 and 904 rows.
const COLS = 256;
const ROWS = 5000;

interface UploadBody {
  id: string;
  labelled: boolean;
  labelsReceived?: number[];
  labelsMissing?: number;
  received: number[];
}

function put(id: string, what: 'parts' | 'labels', n: number, body: Uint8Array | string, token?: string): Promise<Response> {
  return call(`/v1/datasets/uploads/${id}/${what}/${n}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': what === 'parts' ? 'application/octet-stream' : 'text/plain; charset=utf-8' },
    ...(token ? { token } : {}),
  });
}

async function ok(res: Response): Promise<UploadBody> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as UploadBody;
}

describe('labels in uploads in parts', () => {
  it('should take labels parts in any order, replace one, need them all to complete, and carry them into a features job', async () => {
    const matrix = randomMatrix(ROWS, COLS, 21);
    const labels = Array.from({ length: ROWS }, (_, i) => `digit ${i % 10} #${i}`);
    const lines = (from: number, to: number) => `${labels.slice(from, to).join('\r\n')}\r\n`;
    const bytes = (from: number, to: number) => new Uint8Array(matrix.data.buffer.slice(from * COLS * 4, to * COLS * 4));
    let res = await call('/v1/datasets/uploads', { json: { rows: ROWS, cols: COLS, type: 'float32', labels: true } });
    expect(res.status, await res.clone().text()).toBe(201);
    const upload = (await res.json()) as UploadBody;
    expect(upload).toMatchObject({ labelled: true, labelsReceived: [], labelsMissing: 2 });

    await ok(await put(upload.id, 'parts', 0, bytes(0, 4096)));
    await ok(await put(upload.id, 'parts', 1, bytes(4096, ROWS)));
    // Labels part 1 first, without its final newline; part 0 first wrong (part 1's lines shifted), then right.
    expect((await ok(await put(upload.id, 'labels', 1, labels.slice(4096).join('\n')))).labelsReceived).toEqual([1]);
    let problem = await expectProblem(await call(`/v1/datasets/uploads/${upload.id}/complete`, { method: 'POST' }), 409);
    expect(problem).toMatchObject({ type: 'urn:edge-sae:problem:upload-incomplete', missing: [], missingLabels: [0], missingLabelsCount: 1 });
    expect(problem.detail).toMatch(/1 of 2 labels parts have not arrived: 0/);
    await ok(await put(upload.id, 'labels', 0, lines(1, 4097)));
    const status = await ok(await put(upload.id, 'labels', 0, lines(0, 4096)));
    expect(status).toMatchObject({ labelsReceived: [0, 1], labelsMissing: 0 });

    res = await call(`/v1/datasets/uploads/${upload.id}/complete`, { method: 'POST' });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as DatasetBody)).toMatchObject({ rows: ROWS, shardCount: 2, labelled: true });
    const source = await openDatasetSource(env.MODELS, upload.id);
    expect(await source!.labels!.labelsOf([0, 4095, 4096, ROWS - 1])).toEqual(new Map([0, 4095, 4096, ROWS - 1].map((r) => [r, labels[r]!])));

    // A features job over it: the top rows of both shards carry their labels, as the library's.
    const modelId = await trainModel(COLS, 8);
    const job = await runFeatures(modelId, { datasetId: upload.id, top: 6 });
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const expected = await libraryStats(modelId, matrix, labels, 6);
    const { jobId: _j, datasetId: _d, modelVersion: _v, createdAt: _c, ...stored } = (await readFeatures(env.MODELS, modelId))!;
    expect(JSON.stringify(stored)).toBe(JSON.stringify(expected));
    const rows = stored.features.flatMap((f) => f.top.map((t) => t.row));
    expect(rows.some((r) => r < 4096) && rows.some((r) => r >= 4096)).toBe(true);
  });

  it('should refuse bad labels parts by name and keep the good ones', async () => {
    let res = await call('/v1/datasets/uploads', { json: { rows: ROWS, cols: COLS, type: 'float32', labels: true } });
    const upload = (await res.json()) as UploadBody;
    const fine = Array.from({ length: 904 }, (_, i) => `ok ${i}`);
    await ok(await put(upload.id, 'labels', 1, fine.join('\n')));

    let problem = await expectProblem(await put(upload.id, 'labels', 0, 'just\nthree\nlines\n'), 422);
    expect(problem).toMatchObject({ type: 'urn:edge-sae:problem:invalid-data', labelsPart: 0 });
    expect(problem.detail).toMatch(/labels part 0: has 3 lines; it must have 4096, one label a row of its shard/);
    problem = await expectProblem(await put(upload.id, 'labels', 1, new Uint8Array([0x61, 0xff, 0x0a])), 422);
    expect(problem.detail).toMatch(/labels part 1: is not valid UTF-8 text/);
    const long = [...fine];
    long[10] = 'x'.repeat(1025);
    problem = await expectProblem(await put(upload.id, 'labels', 1, long.join('\n')), 422);
    expect(problem).toMatchObject({ labelsPart: 1, row: 4096 + 11 });
    expect(problem.detail).toMatch(/row 4107: the label has 1025 bytes of UTF-8; a label may have at most 1024/);
    problem = await expectProblem(await put(upload.id, 'labels', 2, 'x'), 422);
    expect(problem.detail).toMatch(/there is no labels part 2; this upload has labels parts 0 … 1/);
    await expectProblem(await put(upload.id, 'labels', 1, 'x', ENCODE), 403);
    // The good labels part 1 is kept.
    expect((await (await call(`/v1/datasets/uploads/${upload.id}`)).json()) as UploadBody).toMatchObject({ labelsReceived: [1], labelsMissing: 1 });

    // The upload's labels in all are bounded (MAX_DATASET_LABEL_BYTES, set low in this upload's object): 413, the part not stored.
    const stub = env.UPLOADS.get(env.UPLOADS.idFromName(upload.id));
    await runInDurableObject(stub, (instance: DatasetUpload) => {
      (instance as unknown as { env: Record<string, unknown> }).env.MAX_DATASET_LABEL_BYTES = '20000';
    });
    problem = await expectProblem(await put(upload.id, 'labels', 0, Array.from({ length: 4096 }, (_, i) => `label ${i}`).join('\n')), 413);
    expect(problem).toMatchObject({ type: 'urn:edge-sae:problem:limit-exceeded', limit: 'MAX_DATASET_LABEL_BYTES', value: 20000 });
    expect(problem.detail).toMatch(/With labels part 0 \(\d+ bytes as stored\) the upload's labels would be \d+ bytes; they exceed the limit MAX_DATASET_LABEL_BYTES = 20000/);
    expect((await (await call(`/v1/datasets/uploads/${upload.id}`)).json()) as UploadBody).toMatchObject({ labelsReceived: [1], labelsMissing: 1 });
    await runInDurableObject(stub, (instance: DatasetUpload) => {
      delete (instance as unknown as { env: Record<string, unknown> }).env.MAX_DATASET_LABEL_BYTES;
    });

    // An upload started without labels takes no labels parts.
    res = await call('/v1/datasets/uploads', { json: { rows: 3, cols: 2, type: 'float32' } });
    const plain = (await res.json()) as UploadBody;
    expect(plain.labelled).toBe(false);
    problem = await expectProblem(await put(plain.id, 'labels', 0, 'a\nb\nc\n'), 409);
    expect(problem.detail).toMatch(/was started without labels/);
    await expectProblem(await call('/v1/datasets/uploads', { json: { rows: 3, cols: 2, type: 'float32', labels: 'yes' } }), 422);
  });
});
