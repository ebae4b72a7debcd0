/**
 * Sweeps that validate on a dataset of their own (validationDatasetId), inside workerd: every
 * trial's job validates on all of its rows, the ranking by validationLoss follows them, and each
 * trial's model and validation metrics equal the library's `fit(rows, options, { validation })`
 * with the trial's options; the sweep names the dataset; the refusals are 422s naming the field.
 */
import { describe, expect, it } from 'vitest';
import { loadWorkerBackend } from '../../src/api/backends.js';
import type { Matrix } from '../../src/data/matrix.js';
import type { ModelConfig, TrainingOptions } from '../../src/model/config.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { call, expectProblem } from './helpers.js';
import { exportModel, getJob, randomMatrix, uploadDataset } from './jobs-helpers.js';
import { startSweep, waitForSweep } from './sweeps-helpers.js';

/** The library's fit with a validation set, on the Worker's backend: its validation metrics and model file. */
async function libraryFit(rows: Matrix, held: Matrix, config: Partial<ModelConfig>, training: Partial<TrainingOptions>): Promise<{ validationMetrics: unknown; validationHistory: number[]; file: unknown }> {
  const { backend } = await loadWorkerBackend('assemblyscript');
  const model = SparseAutoencoder.create(rows.cols, config, backend, { seed: training.seed });
  try {
    const result = model.fit(rows, training, { validation: held });
    return { validationMetrics: JSON.parse(JSON.stringify(result.validationMetrics)), validationHistory: result.validationHistory, file: JSON.parse(JSON.stringify(model.toFile())) };
  } finally {
    model.dispose();
  }
}

describe('sweeps with a validation dataset', () => {
  it('should rank by validationLoss on the validation dataset, each trial equal to the library with { validation }', async () => {
    const rows = randomMatrix(300, 6, 8);
    const held = randomMatrix(80, 6, 9);
    const datasetId = await uploadDataset(rows);
    const validationDatasetId = await uploadDataset(held);
    const training = { epochs: 20, batchSize: 16, seed: 2 };
    const sweep = await startSweep({ datasetId, validationDatasetId, training, grid: { hiddenSize: [4, 12] }, metric: 'validationLoss' });
    expect(sweep).toMatchObject({ validationDatasetId, metric: 'validationLoss' });
    const done = await waitForSweep(sweep.id);
    expect(done.trials.map((t) => t.status)).toEqual(['succeeded', 'succeeded']);
    const trials = done.trials as unknown as { name: string; options: { hiddenSize: number }; jobId: string; modelId: string; value: number; rank: number; validationMetrics: { loss: number; rows: number } }[];
    expect(trials.map((t) => t.rank)).toEqual([1, 2]);
    expect(trials[0]!.value).toBeLessThanOrEqual(trials[1]!.value);
    for (const t of trials) {
      expect(t.value).toBe(t.validationMetrics.loss);
      // All of the validation dataset's rows, and the trial trained on all of the training rows.
      expect(t.validationMetrics.rows).toBe(80);
      const job = await getJob(t.jobId);
      expect(job).toMatchObject({ validationDatasetId, rows: 300, totalSteps: 20 * Math.ceil(300 / 16) });
      const expected = await libraryFit(rows, held, { hiddenSize: t.options.hiddenSize }, training);
      expect(t.validationMetrics, t.name).toEqual(expected.validationMetrics);
      expect(job.validationHistory, t.name).toEqual(expected.validationHistory);
      expect(await exportModel(t.modelId), t.name).toEqual(expected.file);
    }
  });

  it('should refuse an unknown validation dataset, another width and a split beside it, naming the field, and fail a trial that adds a split alone', async () => {
    const datasetId = await uploadDataset(randomMatrix(40, 4, 1));
    const narrow = await uploadDataset(randomMatrix(10, 3, 2));
    const fits = await uploadDataset(randomMatrix(10, 4, 3));
    const body = { datasetId, training: { epochs: 2 }, grid: { hiddenSize: [4, 8] }, metric: 'validationLoss' };
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ validationDatasetId: 'x'.repeat(32) }, '/validationDatasetId', /dataset-not-found/],
      [{ validationDatasetId: narrow }, '/validationDatasetId', /invalid-input/],
      [{ validationDatasetId: fits, validationSplit: 0.2 }, '/validationSplit', /invalid-option/],
      [{ validationDatasetId: fits, training: { epochs: 2, validationSplit: 0.2 } }, '/training/validationSplit', /invalid-option/],
    ];
    for (const [extra, pointer, type] of cases) {
      const problem = await expectProblem(await call('/v1/sweeps', { json: { ...body, ...extra } }), 422);
      expect(problem.type, JSON.stringify(extra)).toMatch(type);
      expect(problem.errors).toEqual([expect.objectContaining({ pointer })]);
    }

    // A trial whose own options add a split fails alone, as POST /v1/jobs would refuse it.
    const sweep = await startSweep({ datasetId, validationDatasetId: fits, training: { epochs: 2 }, grid: { validationSplit: [0, 0.2] }, metric: 'validationLoss' });
    expect(sweep.trials.map((t) => [t.status, t.jobId === null, t.error?.type ?? null])).toEqual([['queued', false, null], ['failed', true, 'invalid-option']]);
    expect(sweep.trials[1]!.error!.detail).toMatch(/training\.validationSplit.*validationDatasetId/);
    expect((await waitForSweep(sweep.id)).trials.map((t) => t.status)).toEqual(['succeeded', 'failed']);
  });
});
