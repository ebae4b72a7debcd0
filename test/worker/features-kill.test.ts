/**
 * A features job killed and resumed gives the same statistics bit for bit (issue 29, must show).
 * test/worker/features.test.ts forgets the job's run between slices (the object's drop(), as an
 * eviction); here the object itself is killed while the job runs — its state's abort() resets the
 * instance, a slice in flight included, keeping only what storage committed — three times at three
 * different steps. The job resumes from the state in R2 (its status read
 * reschedules a lost alarm) and stores what the library's featureStats computes over the same rows
 * in one go, to the last bit.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadWorkerBackend } from '../../src/api/backends.js';
import { readFeatures } from '../../src/api/features/store.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { labelsFromArray } from '../../src/data/row-labels.js';
import { featureStats } from '../../src/features/feature-stats.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { featuresModel, type FeatureJobBody } from './features-helpers.js';
import { call } from './helpers.js';
import { exportModel, randomMatrix, uploadDataset } from './jobs-helpers.js';

describe('a features job killed and resumed', () => {
  it('should store the statistics of one uninterrupted run, bit for bit, after its object is killed three times mid-run', async () => {
    const cols = 64;
    const modelId = await featuresModel(cols, 12, 17);
    // 40,000 rows of 64 columns are 3 shards: 3 + 3 + 1 = 7 steps, one a slice.
    const matrix = randomMatrix(40_000, cols, 23);
    const datasetId = await uploadDataset(matrix);
    const labels = Array.from({ length: matrix.rows }, (_, i) => `row ${i}`);
    const res = await call(`/v1/models/${modelId}/features`, { json: { datasetId, top: 6, seed: 11, labels } });
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };

    const stub = env.FEATURE_JOBS.get(env.FEATURE_JOBS.idFromName(id));
    const killedAt: number[] = [];
    const deadline = Date.now() + 90_000;
    let job: FeatureJobBody;
    for (;;) {
      const read = await call(`/v1/feature-jobs/${id}`);
      expect(read.status).toBe(200);
      job = (await read.json()) as FeatureJobBody;
      if (job.status !== 'queued' && job.status !== 'running') break;
      if (job.step > (killedAt.at(-1) ?? 0) && killedAt.length < 3) {
        // abort() throws to its caller as it resets the object.
        await runInDurableObject(stub, (_instance, state) => state.abort('killed by the test')).catch(() => undefined);
        killedAt.push(job.step);
      }
      if (Date.now() > deadline) throw new Error(`features job ${id} did not finish: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job).toMatchObject({ phase: 'done', step: 7, steps: 7 });
    expect(killedAt).toHaveLength(3);

    const { backend } = await loadWorkerBackend('assemblyscript');
    const model = SparseAutoencoder.fromFile(await exportModel(modelId), backend);
    const expected = await featureStats(model, matrixShardSource(matrix), { top: 6, seed: 11, labels: labelsFromArray(labels) });
    model.dispose();
    const stored = await readFeatures(env.MODELS, modelId);
    const { jobId, datasetId: storedDataset, modelVersion, createdAt, ...result } = stored!;
    expect([jobId, storedDataset, typeof modelVersion, typeof createdAt]).toEqual([id, datasetId, 'number', 'string']);
    expect(JSON.stringify(result)).toBe(JSON.stringify(expected));
    // Nothing of the run is left behind.
    expect((await env.MODELS.list({ prefix: `feature-jobs/${id}/` })).objects).toEqual([]);
  }, 120_000);
});
