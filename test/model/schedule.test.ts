/**
 * The learning-rate schedule (src/model/schedule.ts): its formulas on hand-worked values, the
 * rates a training run actually hands the kernels step by step, and a run stopped and resumed
 * from its position (as a job resumes from a checkpoint) continuing the schedule bit for bit, in
 * memory and streamed over several windows.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { BackendSession, KernelBackend, LossTerms, OptimizerConfig } from '../../src/backends/types.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { resolveTrainingOptions } from '../../src/model/config.js';
import { toModelFile } from '../../src/model/model-file.js';
import { fitNormalization, normalizationFromRange, type Normalization } from '../../src/model/normalization.js';
import { learningRateAt, type LearningRateSchedule } from '../../src/model/schedule.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { TrainingRun } from '../../src/model/training-run.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';
import { SUM_LOSS } from '../helpers/training-settings.js';

const schedule = (s: Partial<LearningRateSchedule>): LearningRateSchedule => ({ warmupSteps: 0, decay: 'constant', decayStart: 0.8, decayTo: 0.1, ...s });

describe('learningRateAt', () => {
  it('should warm up linearly from η/W, never 0, then hold', () => {
    const rates = Array.from({ length: 6 }, (_, t) => learningRateAt(1, schedule({ warmupSteps: 4 }), t, 10));
    expect(rates).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
  });

  it('should decay linearly and along a cosine from decayStart to decayTo at the last step', () => {
    const linear = schedule({ decay: 'linear', decayStart: 0.5, decayTo: 0.1 });
    const cosine = schedule({ decay: 'cosine', decayStart: 0.5, decayTo: 0.1 });
    // T = 10: D = 5, the decay spans steps 5 … 9.
    expect([4, 5, 7].map((t) => learningRateAt(2, linear, t, 10))).toEqual([2, 2, 2 * (1 - 0.9 * 0.5)]);
    expect(learningRateAt(2, linear, 9, 10)).toBeCloseTo(0.2, 14);
    expect(learningRateAt(2, cosine, 5, 10)).toBe(2);
    expect(learningRateAt(2, cosine, 6, 10)).toBeCloseTo(2 * (0.1 + 0.9 * (1 + Math.cos(Math.PI / 4)) / 2), 14);
    expect(learningRateAt(2, cosine, 9, 10)).toBeCloseTo(0.2, 14);
  });

  it('should start the decay after the warm-up, and end at decayTo on a run too short to decay', () => {
    const both = schedule({ warmupSteps: 3, decay: 'linear', decayStart: 0, decayTo: 0 });
    expect([0, 1, 2, 3, 5].map((t) => learningRateAt(1, both, t, 6))).toEqual([1 / 3, 2 / 3, 1, 1, 0]);
    expect(learningRateAt(1, schedule({ decay: 'cosine', decayStart: 0.9, decayTo: 0.5 }), 0, 1)).toBe(0.5);
  });
});

describe('a training run with a schedule', () => {
  it('should hand the kernels the schedule\'s rate at every step, across epochs', () => {
    const seen: number[] = [];
    const terms: LossTerms = { loss: 1, reconstruction: 1, weightDecay: 0, sparsity: 0 };
    const session = { trainStep: (_rows: unknown, _loss: unknown, optimizer: OptimizerConfig) => (seen.push(optimizer.learningRate), terms) } as unknown as BackendSession;
    const s = schedule({ warmupSteps: 2, decay: 'cosine', decayStart: 0.5, decayTo: 0.2 });
    const run = new TrainingRun(session, 10, SUM_LOSS, { kind: 'sgd', learningRate: 0.5 }, 3, 4, 7, undefined, s);
    run.runSteps(100);
    expect(seen).toEqual(Array.from({ length: 9 }, (_, t) => learningRateAt(0.5, s, t, 9))); // 3 batches × 3 epochs
  });

  it('should change the result (the schedule is not ignored)', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const matrix = randomMatrix(mulberry32(4), 30, 4, 0, 1);
    const train = (extra: object) => {
      const model = SparseAutoencoder.create(4, { hiddenSize: 5 }, backend, { seed: 2 });
      model.fit(matrix, { epochs: 3, batchSize: 8, learningRate: 0.01, ...extra });
      return model.getParameters();
    };
    expect(train({ warmupSteps: 5 })).not.toEqual(train({}));
    expect(train({ decay: 'linear', decayStart: 0 })).not.toEqual(train({}));
  });
});

/** A fresh model from `model`'s parameters and Adam state mid-run, loaded as a job loads its checkpoint. */
function resumedFrom(model: SparseAutoencoder, normalization: Normalization, training: object, backend: KernelBackend): SparseAutoencoder {
  return SparseAutoencoder.fromFile(
    toModelFile({
      shape: model.shape,
      config: model.config,
      normalization,
      parameters: model.getParameters(),
      training: { ...resolveTrainingOptions(training), epochsCompleted: 0 },
      trainedWith: backend.name,
      optimizerState: model.getOptimizerState(),
      metrics: null,
      lossHistory: [],
    }),
    backend,
  );
}

const SCHEDULES = [
  { warmupSteps: 7, decay: 'cosine', decayStart: 0.3, decayTo: 0.05 },
  { decay: 'linear', decayStart: 0.5, decayTo: 0 },
] as const;

describe('a resumed run', () => {
  for (const extra of SCHEDULES) {
    it(`should continue the schedule exactly, in memory (${JSON.stringify(extra)})`, async () => {
      const { backend } = await loadNodeBackend('assemblyscript');
      const matrix = randomMatrix(mulberry32(5), 37, 4, 0, 1);
      const training = { epochs: 4, batchSize: 6, seed: 3, learningRate: 0.02, ...extra };
      const whole = SparseAutoencoder.create(4, { hiddenSize: 5 }, backend, { seed: 3 });
      const expected = whole.fit(matrix, training);

      const first = SparseAutoencoder.create(4, { hiddenSize: 5 }, backend, { seed: 3 });
      const slice = first.startTraining(matrix, training);
      const losses = slice.step(9); // epoch 2, batch 2: in the warm-up's tail, before the decay
      const second = resumedFrom(first, fitNormalization('minmax', matrix.data, matrix.rows, matrix.cols), training, backend);
      const rest = second.startTraining(matrix, training, slice.run.getPosition());
      while (!rest.run.done) losses.push(...rest.step(5));
      rest.finish();
      expect(losses).toEqual(expected.lossHistory);
      expect(second.getParameters()).toEqual(whole.getParameters());
      expect(second.getOptimizerState()).toEqual(whole.getOptimizerState());
    });

    it(`should continue the schedule exactly, streamed over several windows (${JSON.stringify(extra)})`, async () => {
      const { backend } = await loadNodeBackend('assemblyscript');
      const matrix = randomMatrix(mulberry32(6), 53, 4, 0, 1);
      const source = matrixShardSource(matrix, 5); // 11 shards: windows of 4, 4 and 3
      const training = { epochs: 2, batchSize: 6, seed: 3, learningRate: 0.02, ...extra };
      const whole = SparseAutoencoder.create(4, { hiddenSize: 5 }, backend, { seed: 3 });
      const expected = await whole.fitStream(source, training);

      const first = SparseAutoencoder.create(4, { hiddenSize: 5 }, backend, { seed: 3 });
      const slice = first.startStreamTraining(source, training);
      const losses = await slice.step(13);
      const second = resumedFrom(first, normalizationFromRange('minmax', source.columnMin, source.columnMax), training, backend);
      const rest = second.startStreamTraining(source, training, slice.run.getPosition());
      while (!rest.run.done) losses.push(...(await rest.step(4)));
      await rest.finish();
      expect(losses).toEqual(expected.lossHistory);
      expect(second.getParameters()).toEqual(whole.getParameters());
      expect(second.getOptimizerState()).toEqual(whole.getOptimizerState());
    });
  }
});
