/**
 * Early stopping in training jobs, inside workerd (issue 16): a job with training.patience stops
 * where the library's `fit` stops and stores `fit`'s model bit for bit (the best epoch's weights
 * and Adam state; every epoch run in the loss history), also when it loses its live run while
 * training and resumes from the R2 checkpoint (which keeps the counters and the best weights);
 * the view and the final event say bestEpoch and stoppedEarly; patience without a validation
 * split is refused with a 422 naming it.
 */
import { describe, expect, it } from 'vitest';
import { loadWorkerBackend } from '../../src/api/backends.js';
import type { Matrix } from '../../src/data/matrix.js';
import type { ModelConfig, TrainingOptions } from '../../src/model/config.js';
import { SparseAutoencoder, type FitResult } from '../../src/model/sparse-autoencoder.js';
import { call, ENCODE, expectProblem } from './helpers.js';
import { exportModel, getJob, randomMatrix, submitJob, uploadDataset, waitDroppingRuns, type JobBody } from './jobs-helpers.js';
import { startSweep, waitForSweep } from './sweeps-helpers.js';

type EarlyStoppedJob = JobBody & { validationHistory: number[]; bestEpoch: number | null; stoppedEarly: boolean };

/** The library's fit in one go on the Worker's backend: what it returns, and its model file. */
async function libraryFit(matrix: Matrix, config: Partial<ModelConfig>, training: Partial<TrainingOptions>): Promise<{ result: FitResult; file: unknown }> {
  const { backend } = await loadWorkerBackend('assemblyscript');
  const model = SparseAutoencoder.create(matrix.cols, config, backend, { seed: training.seed });
  try {
    const result = model.fit(matrix, training);
    return { result, file: JSON.parse(JSON.stringify(model.toFile())) };
  } finally {
    model.dispose();
  }
}

/** The job equals the library's run: where it stopped, what it kept, what it stored. */
async function expectLibraryRun(done: EarlyStoppedJob, expected: { result: FitResult; file: unknown }, epochs: number): Promise<void> {
  expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
  // The premise: the library stops before the last epoch, keeping an earlier one.
  const ran = expected.result.lossHistory.length;
  expect(ran).toBeLessThan(epochs);
  expect(expected.result.bestEpoch).toBeLessThan(ran);
  expect(done).toMatchObject({ stoppedEarly: true, bestEpoch: expected.result.bestEpoch, epoch: ran, totalEpochs: epochs });
  expect(done.step).toBeLessThan(done.totalSteps);
  expect(done.lossHistory).toEqual(expected.result.lossHistory);
  expect(done.validationHistory).toEqual(expected.result.validationHistory);
  expect(await exportModel(done.modelId!)).toEqual(expected.file);
}

/** 60 rows under which the library stops well before the last of 60 epochs (the tests assert it does). */
const STOPS_EARLY = {
  matrix: () => randomMatrix(60, 6, 3),
  config: { hiddenSize: 16 },
  training: { epochs: 60, batchSize: 8, seed: 5, learningRate: 0.1, validationSplit: 0.3, patience: 3 },
};

describe('jobs with early stopping', () => {
  it('should say each sweep trial\'s kept epoch and early stop, as the library\'s fit has them', async () => {
    const matrix = STOPS_EARLY.matrix();
    const datasetId = await uploadDataset(matrix);
    const { training } = STOPS_EARLY;
    const sweep = await startSweep({ datasetId, grid: { hiddenSize: [STOPS_EARLY.config.hiddenSize] }, training, metric: 'validationLoss' });
    const done = await waitForSweep(sweep.id);
    const trial = done.trials[0] as (typeof done.trials)[number] & { bestEpoch: number | null; stoppedEarly: boolean };
    expect(trial.status, JSON.stringify(trial.error)).toBe('succeeded');
    const expected = await libraryFit(matrix, STOPS_EARLY.config, training);
    expect(expected.result.lossHistory.length).toBeLessThan(60);
    expect({ bestEpoch: trial.bestEpoch, stoppedEarly: trial.stoppedEarly }).toEqual({ bestEpoch: expected.result.bestEpoch, stoppedEarly: true });
  });

  it('should stop where fit stops, keep the best epoch as fit does, and say so in the view and the last event', async () => {
    const matrix = STOPS_EARLY.matrix();
    const datasetId = await uploadDataset(matrix);
    const { config, training } = STOPS_EARLY;
    const job = await submitJob({ datasetId, config, training });
    expect(job).toMatchObject({ bestEpoch: null, stoppedEarly: false });

    const res = await call(`/v1/jobs/${job.id}/events`, { token: ENCODE });
    const blocks = (await res.text()).split('\n\n').filter((block) => block.trim() !== '');
    const last = blocks.at(-1)!;
    expect(last).toMatch(/^event: end$/m);
    const end = JSON.parse(/^data: (.*)$/m.exec(last)![1]!) as EarlyStoppedJob;

    const expected = await libraryFit(matrix, config, training);
    await expectLibraryRun(end, expected, 60);
    expect(await getJob(job.id)).toEqual(end);
  });

  it('should end with the same model when it loses its live run while training (the checkpoint keeps the best epoch)', async () => {
    // ≈ 1,100 epochs of 47 steps: several slices of JOB_SLICE_MS; the first (≈ 6,800 steps, sized
    // from JOB_FLOPS_PER_MS) ends past the best epoch (92), so the resumed runs must take the best
    // weights and counters from the checkpoint.
    const matrix = randomMatrix(1001, 16, 21);
    const datasetId = await uploadDataset(matrix);
    const config = { hiddenSize: 48 };
    const training = { epochs: 1500, batchSize: 16, seed: 8, learningRate: 0.0001, validationSplit: 0.25, patience: 1000 };
    const job = await submitJob({ datasetId, config, training });
    const { drops } = await waitDroppingRuns(job.id, 5);
    const done = (await getJob(job.id)) as EarlyStoppedJob;
    expect(drops).toBeGreaterThan(0);
    expect(done.slices).toBeGreaterThan(1);
    await expectLibraryRun(done, await libraryFit(matrix, config, training), 1500);
  });

  it('should refuse patience without a validation split, naming training.patience (422 problem+json)', async () => {
    const datasetId = await uploadDataset(randomMatrix(40, 4, 1));
    for (const training of [{ epochs: 5, patience: 2 }, { epochs: 5, patience: 2, validationSplit: 0 }]) {
      const problem = await expectProblem(await call('/v1/jobs', { json: { datasetId, training } }), 422);
      expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/training/patience' })]);
      expect(problem.detail).toMatch(/training\.patience.*validationSplit/);
    }
  });
});
