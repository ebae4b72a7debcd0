/**
 * The job trainer in Node: a streamed run advanced in uneven slices, checkpointed through the
 * binary format and resumed in a fresh model after every slice, ends with exactly the model file
 * of training in one go (same seed, same backend): `fit` for data of one window, `fitStream` over
 * the same shards for data of many windows (mid-epoch resumes included); a diverging run throws.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import type { Matrix } from '../../src/data/matrix.js';
import type { ShardSource } from '../../src/data/shard-source.js';
import { TrainingDivergedError } from '../../src/errors.js';
import { JobTrainer, totalSteps, type JobSpec } from '../../src/jobs/job-trainer.js';
import { toModelFile } from '../../src/model/model-file.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { randomMatrix, runResumingEverySlice } from './sliced-run.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/jobs/checkpoint.js';
import { JUMPRELU_DENSITY_CUTOFFS } from '../../src/architectures/jumprelu/assemblyscript.js';

type Backend = Awaited<ReturnType<typeof loadNodeBackend>>['backend'];

function oneGo(backend: Backend, matrix: Matrix, spec: JobSpec) {
  const model = SparseAutoencoder.create(matrix.cols, spec.config ?? {}, backend, { seed: spec.training?.seed });
  model.fit(matrix, spec.training);
  const file = model.toFile();
  model.dispose();
  return file;
}

async function oneGoStreamed(backend: Backend, source: ShardSource, spec: JobSpec) {
  const model = SparseAutoencoder.create(source.cols, spec.config ?? {}, backend, { seed: spec.training?.seed });
  await model.fitStream(source, spec.training);
  const file = model.toFile();
  model.dispose();
  return file;
}

/** Trains in slices of uneven sizes, checkpointing through bytes and resuming in a new model after every one. */
async function sliced(backend: Backend, source: ShardSource, spec: JobSpec) {
  const trainer = await runResumingEverySlice(backend, source, spec, [1, 3, 2, 5, 4, 7]);
  const step = trainer.step;
  const result = await trainer.finish();
  trainer.dispose();
  return { step, result };
}

const same = (a: unknown, b: unknown) => expect(JSON.parse(JSON.stringify(a))).toEqual(JSON.parse(JSON.stringify(b)));

describe('JobTrainer', () => {
  for (const [label, training] of [
    ['adam, mini-batches', { epochs: 7, batchSize: 13, seed: 5, learningRate: 0.01 }],
    ['sgd, full batch', { epochs: 9, batchSize: 0, seed: 9, optimizer: 'sgd', learningRate: 0.05 }],
  ] as const) {
    it(`should equal fit in one go bit for bit on one window, sliced and resumed from checkpoints (${label})`, async () => {
      const { backend } = await loadNodeBackend('assemblyscript');
      const matrix = randomMatrix(50, 6, 3);
      const spec: JobSpec = { config: { hiddenSize: 10 }, training };
      const { step, result } = await sliced(backend, matrixShardSource(matrix), spec);
      expect(step).toBe(totalSteps(50, training.batchSize, training.epochs));
      expect(result.lossHistory).toHaveLength(training.epochs);
      same(toModelFile(result.state), oneGo(backend, matrix, spec));
    });
  }

  it('should resume a jumprelu job bit for bit: θ and its Adam moments go through the checkpoint', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const matrix = randomMatrix(60, 6, 4);
    const spec: JobSpec = { config: { architecture: 'jumprelu', hiddenSize: 12, normalize: 'standardize', l0Coefficient: 0.05, bandwidth: 0.2, initialThreshold: 0.1 }, training: { epochs: 6, batchSize: 11, seed: 3, learningRate: 0.01 } };
    const { step, result } = await sliced(backend, matrixShardSource(matrix), spec);
    expect(step).toBe(totalSteps(60, 11, 6));
    const file = toModelFile(result.state);
    same(file, oneGo(backend, matrix, spec));
    const theta = (file.encoder as unknown as { threshold: number[] }).threshold;
    expect(theta).toHaveLength(12);
    expect(theta.some((t) => t !== 0.1)).toBe(true); // θ was trained, and kept
  });

  it('should resume a jumprelu job bit for bit with few codes firing (its products through the codes\' index, chosen by density)', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const matrix = randomMatrix(60, 6, 4);
    // θ₀ = 2 on standardised data: a few per cent of the codes fire, under the density cut-offs
    const spec: JobSpec = { config: { architecture: 'jumprelu', hiddenSize: 24, normalize: 'standardize', l0Coefficient: 0.05, bandwidth: 0.2, initialThreshold: 2 }, training: { epochs: 6, batchSize: 11, seed: 3, learningRate: 0.01 } };
    const { result } = await sliced(backend, matrixShardSource(matrix), spec);
    const file = toModelFile(result.state);
    same(file, oneGo(backend, matrix, spec));
    const model = SparseAutoencoder.fromFile(file, backend);
    const codes = model.encode(matrix).data;
    model.dispose();
    const density = codes.filter((v) => v !== 0).length / codes.length;
    expect(density).toBeGreaterThan(0);
    expect(density).toBeLessThan(Math.min(...Object.values(JUMPRELU_DENSITY_CUTOFFS)));
  });

  it.each([
    { architecture: 'batchtopk', extra: {} },
    { architecture: 'matryoshka', extra: { groupSizes: [3, 3, 6] } },
  ] as const)('should resume a $architecture job bit for bit: θ, its counter and the firing counts go through the checkpoint', async ({ architecture, extra }) => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const matrix = randomMatrix(60, 6, 4);
    // θ's running mean starts at step 10 of 36 and dead units (5 steps) bring in AuxK, across slices
    const config = { architecture, hiddenSize: 12, normalize: 'standardize', k: 2, auxK: 3, deadSteps: 5, thresholdStart: 10, thresholdDecay: 0.9, ...extra } as const;
    const spec: JobSpec = { config, training: { epochs: 6, batchSize: 11, seed: 3, learningRate: 0.01 } };
    const { step, result } = await sliced(backend, matrixShardSource(matrix), spec);
    expect(step).toBe(totalSteps(60, 11, 6));
    const file = toModelFile(result.state);
    same(file, oneGo(backend, matrix, spec));
    const encoder = file.encoder as unknown as { threshold: number[]; threshold_steps: number[] };
    expect(encoder.threshold[0]).toBeGreaterThan(0); // θ was updated, and kept
    expect(encoder.threshold_steps).toEqual([11]);
  });

  it.each([
    { label: 'one window', shardRows: undefined },
    { label: 'many windows', shardRows: 3 },
  ])('should resume a jumprelu job bit for bit with slice boundaries inside the λ warm-up ($label)', async ({ shardRows }) => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const matrix = randomMatrix(60, 6, 4);
    const source = () => (shardRows === undefined ? matrixShardSource(matrix) : matrixShardSource(matrix, shardRows));
    // 6 batches × 6 epochs = 36 steps; the slices end at steps 1, 4, 6, 11, 15, … : five inside the 20 warm-up steps
    const config = { architecture: 'jumprelu', hiddenSize: 12, normalize: 'standardize', l0Coefficient: 0.5, bandwidth: 0.2, initialThreshold: 0.1 } as const;
    const spec: JobSpec = { config: { ...config, l0WarmupSteps: 20 }, training: { epochs: 6, batchSize: 11, seed: 3, learningRate: 0.01 } };
    const { step, result } = await sliced(backend, source(), spec);
    expect(step).toBe(totalSteps(60, 11, 6));
    const file = toModelFile(result.state);
    same(file, await oneGoStreamed(backend, source(), spec));
    // the warm-up was applied: without it the run ends elsewhere
    expect(JSON.stringify(file.encoder)).not.toEqual(JSON.stringify((await oneGoStreamed(backend, source(), { ...spec, config })).encoder));
  });

  it('should equal fitStream in one go bit for bit on many windows, resumed mid-epoch after every slice', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    // 3-row shards: 67 rows are 23 shards, 6 windows of at most 4 shards; batches of 5 span windows.
    const source = matrixShardSource(randomMatrix(67, 5, 8), 3);
    const spec: JobSpec = { config: { hiddenSize: 7 }, training: { epochs: 4, batchSize: 5, seed: 12, learningRate: 0.02 } };
    const { step, result } = await sliced(backend, source, spec);
    expect(step).toBe(totalSteps(67, 5, 4));
    same(toModelFile(result.state), await oneGoStreamed(backend, source, spec));
  });

  for (const [label, training] of [
    ['no validation', { epochs: 3, batchSize: 5, seed: 12, learningRate: 0.02 }],
    ['validationSplit, early stopping', { epochs: 6, batchSize: 4, seed: 3, learningRate: 0.05, validationSplit: 0.3, patience: 1 }],
  ] as const) {
    it(`should end the final metrics pass bit for bit as fitStream, resumed from a checkpoint after every shard of it (${label})`, async () => {
      const { backend } = await loadNodeBackend('assemblyscript');
      const source = matrixShardSource(randomMatrix(67, 5, 8), 3);
      const spec: JobSpec = { config: { hiddenSize: 7 }, training };
      let trainer = await runResumingEverySlice(backend, source, spec, [2, 9]);
      let units = 0;
      while (!(await trainer.measure(1))) {
        units++;
        const checkpoint = trainer.checkpoint();
        expect(checkpoint.metrics).toBeDefined();
        const bytes = encodeCheckpoint(checkpoint);
        trainer.dispose();
        trainer = JobTrainer.start(backend, source, spec, decodeCheckpoint(bytes));
        expect(trainer.measuring).toBe(true);
      }
      // Every shard of the training rows is a unit of its own (23 shards, some held out with the split).
      expect(units).toBeGreaterThan(10);
      const result = await trainer.finish();
      trainer.dispose();
      const model = SparseAutoencoder.create(source.cols, spec.config ?? {}, backend, { seed: training.seed });
      const expected = await model.fitStream(source, training);
      expect(result.metrics).toEqual(expected.metrics);
      expect(result.validationMetrics).toEqual(expected.validationMetrics);
      expect(toModelFile(result.state)).toEqual(model.toFile());
      model.dispose();
    });
  }

  it('should throw TrainingDivergedError when the loss turns non-finite', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const trainer = JobTrainer.start(backend, matrixShardSource(randomMatrix(20, 4, 1)), {
      training: { epochs: 50, optimizer: 'sgd', learningRate: 1e30, seed: 1 },
    });
    await expect(
      (async () => {
        while (!trainer.done) await trainer.runSteps(10);
      })(),
    ).rejects.toThrow(TrainingDivergedError);
    trainer.dispose();
  });
});
