/**
 * A cancel that lands while a slice is reloading its run (after an eviction: the slice awaits R2
 * for the data and the saved state, and the object answers the cancel meanwhile). The cancel
 * deletes the saved state; the slice, resuming, must not rebuild the run from nothing and write its
 * step 0 into the cancelled training job, nor write a features job's state after the clean-up, nor
 * keep a run in memory for a job that has ended (src/api/sliced-job.ts, alarm).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { FeatureJob } from '../../src/api/features/durable-object.js';
import type { TrainingJob } from '../../src/api/jobs/durable-object.js';
import { call } from './helpers.js';
import { getJob, randomMatrix, submitJob, uploadDataset, waitForJob } from './jobs-helpers.js';

describe('a cancel racing a slice', () => {
  it('should leave a training job as the cancel left it when the slice was reloading its run', async () => {
    const datasetId = await uploadDataset(randomMatrix(2000, 16, 9));
    const job = await submitJob({ datasetId, training: { epochs: 2000, batchSize: 16, seed: 1 } });
    await waitForJob(job.id, (j) => j.step > 0);
    const stub = env.JOBS.get(env.JOBS.idFromName(job.id));
    const seen = await runInDurableObject(stub, async (instance: TrainingJob) => {
      instance.drop(); // as an eviction: the next slice reloads the run from R2
      const slice = instance.alarm();
      const cancelled = await instance.cancel();
      await slice;
      return { cancelled, after: await instance.status(), live: (instance as unknown as { run: unknown }).run };
    });
    expect(seen.cancelled?.status).toBe('cancelled');
    expect(seen.cancelled!.step).toBeGreaterThan(0);
    expect(seen.after).toMatchObject({ status: 'cancelled', step: seen.cancelled!.step });
    expect(seen.live).toBeNull();
    expect(await getJob(job.id)).toMatchObject({ status: 'cancelled', step: seen.cancelled!.step, modelId: null });
  });

  it('should leave nothing of a features job behind when the cancel lands while a slice loads its run', async () => {
    const m = randomMatrix(100, 64, 64);
    const data = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * 64, (i + 1) * 64)));
    const trained = await call('/v1/models', { json: { data, config: { hiddenSize: 12 }, training: { epochs: 1 } } });
    expect(trained.status, await trained.clone().text()).toBe(201);
    const modelId = ((await trained.json()) as { id: string }).id;
    const datasetId = await uploadDataset(randomMatrix(40_000, 64, 91));
    const res = await call(`/v1/models/${modelId}/features`, { json: { datasetId, labels: Array.from({ length: 40_000 }, (_, i) => `r${i}`) } });
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const stub = env.FEATURE_JOBS.get(env.FEATURE_JOBS.idFromName(id));
    const seen = await runInDurableObject(stub, async (instance: FeatureJob) => {
      instance.drop();
      const slice = instance.alarm();
      const cancelled = await instance.cancel();
      await slice;
      return { cancelled, live: (instance as unknown as { live: unknown }).live };
    });
    expect(seen.cancelled?.status).toBe('cancelled');
    expect((await env.MODELS.list({ prefix: `feature-jobs/${id}/` })).objects.map((o) => o.key)).toEqual([]);
    expect(seen.live).toBeNull();
  });
});
