/**
 * Features jobs inside workerd (src/api/features/): the statistics a job stores equal the
 * library's featureStats of the same rows bit for bit, also when the object forgets its run
 * between slices and resumes from the state in R2 (a kill); the list sorts and pages, one feature
 * answers its decoder row and statistics, explain answers each row's features with their labels;
 * bad requests named; cancel.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { FeatureJob } from '../../src/api/features/durable-object.js';
import { readFeatures } from '../../src/api/features/store.js';
import { loadWorkerBackend } from '../../src/api/backends.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { labelsFromArray } from '../../src/data/row-labels.js';
import { featureStats } from '../../src/features/feature-stats.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import type { FeatureJobBody } from './features-helpers.js';
import { call, expectProblem } from './helpers.js';
import { exportModel, randomMatrix, uploadDataset } from './jobs-helpers.js';

async function trainModel(cols: number, hiddenSize: number): Promise<string> {
  const m = randomMatrix(100, cols, cols);
  const data = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * cols, (i + 1) * cols)));
  const res = await call('/v1/models', { json: { data, config: { hiddenSize, architecture: 'relu' }, training: { epochs: 5, backend: 'assemblyscript' } } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function waitFor(id: string, onProgress?: (job: FeatureJobBody) => Promise<void>): Promise<FeatureJobBody> {
  const deadline = Date.now() + 50_000;
  for (;;) {
    const res = await call(`/v1/feature-jobs/${id}`);
    expect(res.status).toBe(200);
    const job = (await res.json()) as FeatureJobBody;
    if (!['queued', 'running'].includes(job.status)) return job;
    await onProgress?.(job);
    if (Date.now() > deadline) throw new Error(`features job ${id} did not finish: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('features jobs', () => {
  it('should store the statistics of the library bit for bit, across runs lost between slices; list, one feature and explain read them', async () => {
    // 64 columns: a shard holds 16,384 rows, so 40,000 rows are 3 shards; h = 12, one block of
    // neighbours: 3 + 3 + 1 = 7 steps, one a slice.
    const modelId = await trainModel(64, 12);
    const matrix = randomMatrix(40_000, 64, 91);
    const datasetId = await uploadDataset(matrix);
    expect((await expectProblem(await call(`/v1/models/${modelId}/features`), 404)).type).toMatch(/features-not-found/);
    const labels = Array.from({ length: 40_000 }, (_, i) => `r${i}`);
    const res = await call(`/v1/models/${modelId}/features`, { json: { datasetId, top: 8, seed: 3, labels } });
    expect(res.status, await res.clone().text()).toBe(202);
    const started = (await res.json()) as FeatureJobBody;
    expect(res.headers.get('location')).toBe(`/v1/feature-jobs/${started.id}`);

    const stub = env.FEATURE_JOBS.get(env.FEATURE_JOBS.idFromName(started.id));
    let drops = 0;
    const done = await waitFor(started.id, async (job) => {
      if (job.step > 0 && drops < 4) {
        await runInDurableObject(stub, (instance: FeatureJob) => instance.drop());
        drops += 1;
      }
    });
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done).toMatchObject({ phase: 'done', step: 7, steps: 7 });
    expect(drops).toBeGreaterThan(1);

    const { backend } = await loadWorkerBackend('assemblyscript');
    const model = SparseAutoencoder.fromFile(await exportModel(modelId), backend);
    const expected = await featureStats(model, matrixShardSource(matrix), { top: 8, seed: 3, labels: labelsFromArray(labels) });
    const W2 = model.getParameters().W2;
    model.dispose();
    const stored = await readFeatures(env.MODELS, modelId);
    const { jobId, datasetId: storedDataset, modelVersion, createdAt, ...result } = stored!;
    expect([jobId, storedDataset, typeof modelVersion, typeof createdAt]).toEqual([started.id, datasetId, 'number', 'string']);
    expect(JSON.stringify(result)).toBe(JSON.stringify(expected));
    expect(expected.features.some((f) => f.top.length === 8 && f.top[0]!.label === `r${f.top[0]!.row}`)).toBe(true);

    // The list: sorted by frequency, two pages of 7 and 5.
    const first = (await (await call(`/v1/models/${modelId}/features?sort=frequency&limit=7`)).json()) as { items: { index: number; frequency: number }[]; nextCursor: string | null; density: { counts: number[]; dead: number } };
    expect(first.items).toHaveLength(7);
    const second = (await (await call(`/v1/models/${modelId}/features?sort=frequency&limit=7&cursor=${first.nextCursor}`)).json()) as typeof first;
    expect(second.nextCursor).toBeNull();
    const all = [...first.items, ...second.items];
    expect(all.map((f) => f.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, j) => j));
    for (let k = 1; k < all.length; k++) expect(all[k - 1]!.frequency).toBeGreaterThanOrEqual(all[k]!.frequency);
    expect(first.density.dead + first.density.counts.reduce((a, b) => a + b, 0)).toBe(12);
    await expectProblem(await call(`/v1/models/${modelId}/features?cursor=x`), 422);

    // One feature: its decoder row and statistics.
    const one = (await (await call(`/v1/models/${modelId}/features/5`)).json()) as { feature: number; decoder: number[]; statistics: unknown };
    expect(one.feature).toBe(5);
    expect(one.decoder).toEqual(Array.from(W2.subarray(5 * 64, 6 * 64)));
    expect(one.statistics).toEqual(expected.features[5]);
    await expectProblem(await call(`/v1/models/${modelId}/features/12`), 404);

    // Explain: row 0's features, largest first, with their top rows' labels.
    const row0 = Array.from(matrix.data.subarray(0, 64));
    const explained = (await (await call(`/v1/models/${modelId}/explain`, { json: { input: row0, top: 3 } })).json()) as { rows: { index: number; value: number; frequency: number; topLabels: string[] }[][] };
    expect(explained.rows).toHaveLength(1);
    for (const f of explained.rows[0]!) {
      expect(f.frequency).toBe(expected.features[f.index]!.frequency);
      expect(f.topLabels).toEqual(expected.features[f.index]!.top.map((t) => t.label));
      expect(f.value).toBeGreaterThan(0);
    }
  });

  it('should refuse labels not one a row, a dataset of the wrong width, and cancel', async () => {
    const modelId = await trainModel(4, 6);
    const datasetId = await uploadDataset(randomMatrix(10, 4, 1));
    const wrong = await expectProblem(await call(`/v1/models/${modelId}/features`, { json: { datasetId, labels: ['a', 'b'] } }), 422);
    expect(wrong.detail).toMatch(/2 labels were sent, but the dataset has 10 rows/);
    const wide = await uploadDataset(randomMatrix(10, 5, 1));
    expect((await expectProblem(await call(`/v1/models/${modelId}/features`, { json: { datasetId: wide } }), 422)).detail).toMatch(/5 columns, but the model takes 4/);
    await expectProblem(await call(`/v1/feature-jobs/${'e'.repeat(32)}`), 404);
    const started = (await (await call(`/v1/models/${modelId}/features`, { json: { datasetId } })).json()) as FeatureJobBody;
    const res = await call(`/v1/feature-jobs/${started.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(['cancelled', 'succeeded']).toContain(((await res.json()) as FeatureJobBody).status);
  });
});
