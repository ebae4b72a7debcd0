/**
 * jumprelu's λ warm-up (l0WarmupSteps, SAELens' l0_warm_up_steps): the closed form the training
 * runs use (src/model/schedule.ts lossAt) against a simulation of SAELens' CoefficientScheduler
 * (src/reference/jumprelu-reference.ts), handed to the kernels at every step, and used by training.
 * Resuming across a slice boundary inside the warm-up: test/jobs/job-trainer.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { BackendSession, LossConfig, LossTerms } from '../../src/backends/types.js';
import { lossAt } from '../../src/model/schedule.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { TrainingRun } from '../../src/model/training-run.js';
import { warmedUpL0Coefficients } from '../../src/reference/jumprelu-reference.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const JUMP: LossConfig = { architecture: 'jumprelu', sparsityTarget: 0.1, sparsityWeight: 0, weightDecay: 0, reduction: 'mean', l0Coefficient: 0.2, bandwidth: 0.05 };

describe('jumprelu λ warm-up', () => {
  it('should be SAELens\' scheduler: 0 at the first step, λ·t/W for t < W, λ after', () => {
    expect(warmedUpL0Coefficients(0.2, 4, 6)).toEqual([0, 0.05, 0.1, 0.15000000000000002, 0.2, 0.2]);
    for (const [lambda, w] of [[0.2, 4], [0.1, 1], [0.3, 7], [0.5, 0]] as const) {
      const expected = warmedUpL0Coefficients(lambda, w, 12);
      const got = Array.from({ length: 12 }, (_, t) => lossAt({ ...JUMP, l0Coefficient: lambda, l0WarmupSteps: w }, t).l0Coefficient);
      for (let t = 0; t < 12; t++) expect(got[t], `λ ${lambda}, W ${w}, step ${t}`).toBeCloseTo(expected[t]!, 15);
    }
    // without a warm-up the loss is handed on as it is
    expect(lossAt(JUMP, 0)).toBe(JUMP);
    expect(lossAt({ ...JUMP, l0WarmupSteps: 3 }, 3).l0Coefficient).toBe(0.2);
  });

  it('should hand the kernels the step\'s λ at every step, across epochs', () => {
    const seen: number[] = [];
    const terms: LossTerms = { loss: 1, reconstruction: 1, weightDecay: 0, sparsity: 0 };
    const session = { trainStep: (_rows: unknown, loss: LossConfig) => (seen.push(loss.l0Coefficient!), terms) } as unknown as BackendSession;
    const run = new TrainingRun(session, 10, { ...JUMP, l0WarmupSteps: 5 }, { kind: 'sgd', learningRate: 0.5 }, 3, 4, 7);
    run.runSteps(100);
    const expected = warmedUpL0Coefficients(0.2, 5, 9); // 3 batches × 3 epochs
    expect(seen).toHaveLength(9);
    for (let t = 0; t < 9; t++) expect(seen[t]).toBeCloseTo(expected[t]!, 15);
  });

  it('should change training, through the options table\'s l0WarmupSteps (kept in the model file)', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const matrix = randomMatrix(mulberry32(4), 40, 5, -1, 1);
    const train = (l0WarmupSteps?: number) => {
      const model = SparseAutoencoder.create(5, { architecture: 'jumprelu', hiddenSize: 8, normalize: 'none', l0Coefficient: 0.3, ...(l0WarmupSteps === undefined ? {} : { l0WarmupSteps }) }, backend, { seed: 2 });
      model.fit(matrix, { epochs: 3, batchSize: 8, learningRate: 0.01 });
      const file = model.toFile();
      model.dispose();
      return file;
    };
    const none = train();
    expect(none.config.l0WarmupSteps).toBe(0);
    const warmed = train(10);
    expect(warmed.config.l0WarmupSteps).toBe(10);
    expect(warmed.encoder).not.toEqual(none.encoder);
    expect(train(0).encoder).toEqual(none.encoder);
    expect(() => train(-1)).toThrow(/config\.l0WarmupSteps/);
  });
});
