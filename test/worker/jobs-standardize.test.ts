/**
 * A training job with normalize "standardize" inside workerd: its first slice fits the columns'
 * mean and standard deviation in two passes over the dataset's R2 shards, the checkpoint keeps
 * them, and the job equals the library's fit bit for bit, also when its live run is lost between
 * slices and it resumes from R2.
 */
import { describe, expect, it } from 'vitest';
import { call, expectProblem } from './helpers.js';
import { exportModel, getJob, oneGoFile, randomMatrix, submitJob, uploadDataset, waitDroppingRuns } from './jobs-helpers.js';

/** randomMatrix's values in [−1, 3), column c shifted by 1000·c and spread by 10^(c mod 4): far from mean 0, variance 1. */
function offsetMatrix(rows: number, cols: number, seed: number) {
  const m = randomMatrix(rows, cols, seed);
  for (let k = 0; k < m.data.length; k++) m.data[k] = 1000 * (k % cols) + m.data[k]! * 10 ** ((k % cols) % 4);
  return m;
}

describe('jobs with normalize "standardize"', () => {
  it('should fit the standardisation from the shards, keep it across lost runs, and equal the library bit for bit', async () => {
    // Several slices of JOB_SLICE_MS (1 s): ≈ 38,000 steps of 16 rows.
    const matrix = offsetMatrix(1001, 16, 41);
    const datasetId = await uploadDataset(matrix);
    const config = { hiddenSize: 48, architecture: 'relu', normalize: 'standardize', sparsityWeight: 0.01 } as const;
    const training = { epochs: 600, batchSize: 16, seed: 6, learningRate: 0.005 };
    const job = await submitJob({ datasetId, config, training });
    const { drops } = await waitDroppingRuns(job.id, 4);
    const done = await getJob(job.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.slices).toBeGreaterThan(1);
    expect(drops).toBeGreaterThan(0);
    const file = await exportModel(done.modelId!);
    expect((file.normalization as { kind: string }).kind).toBe('standardize');
    expect(file).toEqual(await oneGoFile(matrix, config, training));
  });

  it('should refuse standardize for the sigmoid model (422 naming config.normalize)', async () => {
    const datasetId = await uploadDataset(offsetMatrix(20, 3, 2));
    const res = await call('/v1/jobs', { json: { datasetId, config: { normalize: 'standardize' } } });
    expect((await expectProblem(res, 422)).detail).toMatch(/config\.normalize.*relu and topk/);
  });
});
