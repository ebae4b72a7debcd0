/**
 * validationSplit and early stopping (issue 16): the held-out rows are chosen by a seeded hash of
 * the row index alone, so a Matrix and a streamed source of the same rows hold out the same ones;
 * training on the rest equals training on those rows, in memory and streamed; each epoch's
 * validation loss is the model's loss on the held-out rows then; early stopping stops after
 * `patience` epochs without an improvement and keeps the best epoch's weights, bit for bit those
 * of a run of that many epochs.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { isHeldOut, splitMatrix, splitSource } from '../../src/data/row-split.js';
import { shardRowCount, type ShardSource } from '../../src/data/shard-source.js';
import { ConfigError } from '../../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/jobs/checkpoint.js';
import { JobTrainer } from '../../src/jobs/job-trainer.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const backendPromise = loadNodeBackend('assemblyscript').then((loaded) => loaded.backend);

async function readAll(source: ShardSource): Promise<Float32Array> {
  const out = new Float32Array(source.rows * source.cols);
  for (let i = 0; i < source.shardCount; i++) {
    const shard = await source.readShard(i);
    expect(shard.length, `shard ${i}`).toBe(shardRowCount(source, i) * source.cols);
    out.set(shard, i * source.shardRows * source.cols);
  }
  return out;
}

describe('held-out rows', () => {
  it('should hold out about the fraction, by the seed and the row index only', () => {
    const held = Array.from({ length: 20_000 }, (_, i) => isHeldOut(i, 42, 0.2)).filter(Boolean).length;
    expect(held).toBeGreaterThan(3800);
    expect(held).toBeLessThan(4200);
    expect(Array.from({ length: 100 }, (_, i) => isHeldOut(i, 7, 0.3))).toEqual(Array.from({ length: 100 }, (_, i) => isHeldOut(i, 7, 0.3)));
    expect(Array.from({ length: 100 }, (_, i) => isHeldOut(i, 7, 0.3))).not.toEqual(Array.from({ length: 100 }, (_, i) => isHeldOut(i, 8, 0.3)));
    expect(isHeldOut(5, 1, 0)).toBe(false);
  });

  it('should give a streamed source the same rows as the Matrix, in shards of the same size', async () => {
    const matrix = randomMatrix(mulberry32(3), 53, 4, 0, 1);
    const expected = splitMatrix(matrix, 0.3, 9);
    const views = splitSource(matrixShardSource(matrix, 5), 0.3, 9);
    for (const side of ['train', 'validation'] as const) {
      expect(views[side].rows).toBe(expected[side].rows);
      expect(views[side].shardRows).toBe(5);
      expect(await readAll(views[side])).toEqual(expected[side].data);
    }
    expect(expected.train.rows + expected.validation.rows).toBe(53);
  });
});

describe('training with validationSplit', () => {
  const matrix = randomMatrix(mulberry32(11), 60, 5, 0, 1);
  const training = { epochs: 6, batchSize: 8, seed: 4, learningRate: 0.01, validationSplit: 0.25 };

  it('should train on the kept rows and measure the held-out ones each epoch', async () => {
    const backend = await backendPromise;
    const model = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    const progress: (number | undefined)[] = [];
    const result = model.fit(matrix, training, (p) => progress.push(p.validationLoss));
    const { validation } = splitMatrix(matrix, 0.25, 4);
    expect(result.validationHistory).toHaveLength(6);
    expect(progress).toEqual(result.validationHistory);
    expect(result.validationMetrics!.rows).toBe(validation.rows);
    expect(result.validationHistory.at(-1)).toBe(model.evaluate(validation).loss);
    expect(result.metrics.rows).toBe(60 - validation.rows);
    expect(result.bestEpoch).toBeNull();
  });

  it('should equal, streamed, the run in memory on one window, and a stream of the kept rows on several', async () => {
    const backend = await backendPromise;
    const inMemory = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    const a = inMemory.fit(matrix, training);
    const streamed = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    const b = await streamed.fitStream(matrixShardSource(matrix, 20), training);
    expect(b).toEqual(a);
    expect(streamed.getParameters()).toEqual(inMemory.getParameters());

    // Several windows (shards of 3 rows): the same as streaming the kept rows themselves.
    const multi = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    const c = await multi.fitStream(matrixShardSource(matrix, 3), training);
    const kept = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    await kept.fitStream({ ...matrixShardSource(splitMatrix(matrix, 0.25, 4).train, 3), columnMin: matrixShardSource(matrix).columnMin, columnMax: matrixShardSource(matrix).columnMax }, { ...training, validationSplit: 0 });
    expect(multi.getParameters()).toEqual(kept.getParameters());
    expect(c.validationHistory).toHaveLength(6);
  });

  it('should refuse a split that leaves no row on one side', async () => {
    const backend = await backendPromise;
    const model = SparseAutoencoder.create(5, { hiddenSize: 3 }, backend);
    const error = (() => {
      try {
        model.fit(randomMatrix(mulberry32(1), 2, 5, 0, 1), { validationSplit: 0.01, epochs: 1 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('training.validationSplit');
  });
});

describe('early stopping', () => {
  const matrix = randomMatrix(mulberry32(12), 60, 5, 0, 1);

  it('should stop after patience epochs without improvement and keep the best epoch\'s weights, as a run of that many epochs', async () => {
    const backend = await backendPromise;
    // minDelta so large that nothing after epoch 1 counts as better: best 1, stop at 1 + patience.
    const training = { epochs: 20, batchSize: 8, seed: 4, learningRate: 0.01, validationSplit: 0.25, patience: 3, minDelta: 1e9 };
    const stopped = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    const result = stopped.fit(matrix, training);
    expect(result.bestEpoch).toBe(1);
    expect(result.lossHistory).toHaveLength(4);
    expect(result.validationHistory).toHaveLength(4);
    expect(stopped.trainingOptions.epochsCompleted).toBe(4);

    const one = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    one.fit(matrix, { ...training, epochs: 1, patience: 0 });
    expect(stopped.getParameters()).toEqual(one.getParameters());
    expect(stopped.getOptimizerState()).toEqual(one.getOptimizerState());
  });

  it('should keep the epoch of the lowest validation loss when the run ends first, streamed too', async () => {
    const backend = await backendPromise;
    const training = { epochs: 12, batchSize: 8, seed: 4, learningRate: 0.05, validationSplit: 0.25, patience: 50 };
    const model = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    const result = await model.fitStream(matrixShardSource(matrix, 3), training);
    const best = result.validationHistory.indexOf(Math.min(...result.validationHistory)) + 1;
    expect(result.bestEpoch).toBe(best);
    const again = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    await again.fitStream(matrixShardSource(matrix, 3), { ...training, epochs: best, patience: 0 });
    expect(model.getParameters()).toEqual(again.getParameters());
  });
});

describe('a job with validationSplit', () => {
  it('should keep its validation losses in its checkpoints, resuming as the run in one go', async () => {
    const backend = await backendPromise;
    const source = matrixShardSource(randomMatrix(mulberry32(13), 53, 4, 0, 1), 5); // several windows
    const spec = { config: { hiddenSize: 6 }, training: { epochs: 4, batchSize: 6, seed: 2, learningRate: 0.01, validationSplit: 0.3 } };
    const whole = JobTrainer.start(backend, source, spec);
    while (!whole.done) await whole.runSteps(100);
    const expected = await whole.finish();
    expect(expected.validationHistory).toHaveLength(4);

    let trainer = JobTrainer.start(backend, source, spec);
    expect(trainer.totalSteps).toBe(whole.totalSteps);
    while (!trainer.done) {
      await trainer.runSteps(3);
      const bytes = encodeCheckpoint(trainer.checkpoint());
      trainer.dispose();
      trainer = JobTrainer.start(backend, source, spec, decodeCheckpoint(bytes));
    }
    const result = await trainer.finish();
    expect(result.validationHistory).toEqual(expected.validationHistory);
    expect(result.validationMetrics).toEqual(expected.validationMetrics);
    expect(result.state.parameters).toEqual(expected.state.parameters);
  });
});
