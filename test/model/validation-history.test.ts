/**
 * The model keeps its validation losses (issue 16, for the loss picture): one per epoch of
 * lossHistory, at that epoch's place (null where a run had no validationSplit), and the epoch early
 * stopping kept, as a 1-based epoch of the whole history; both model files carry them and read them
 * back; a model never validated writes neither field, so its files are as before.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { shortestFloat32 } from '../../src/data/float32.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { ModelFileError } from '../../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/jobs/checkpoint.js';
import { JobTrainer } from '../../src/jobs/job-trainer.js';
import { readModelBytes } from '../../src/model/model-bytes.js';
import { readModelFile } from '../../src/model/model-file.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const backendPromise = loadNodeBackend('assemblyscript').then((loaded) => loaded.backend);
const matrix = randomMatrix(mulberry32(21), 60, 5, 0, 1);
/** A loss as both files write it: the shortest decimal of its float32. */
const asWritten = (v: number) => shortestFloat32(Math.fround(v));
const training = { epochs: 5, batchSize: 8, seed: 4, learningRate: 0.01, validationSplit: 0.25 };

describe('the validation history of a model', () => {
  it('should keep one validation loss per epoch, in both files', async () => {
    const backend = await backendPromise;
    const model = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    const result = model.fit(matrix, training);
    const state = model.toState();
    expect(state.validationHistory).toEqual(result.validationHistory);
    expect(state.validationHistory).toHaveLength(state.lossHistory.length);
    expect(state.bestEpoch).toBeUndefined();
    const fromJson = readModelFile(JSON.parse(JSON.stringify(model.toFile())));
    const fromBinary = readModelBytes(model.toBinaryFile());
    for (const read of [fromJson, fromBinary]) {
      expect(read.validationHistory).toEqual(result.validationHistory.map(asWritten));
      expect(read.bestEpoch).toBeUndefined();
    }
  });

  it('should place a later run\'s losses after the earlier epochs, null where a run had no validation', async () => {
    const backend = await backendPromise;
    const model = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    model.fit(matrix, { ...training, epochs: 3, validationSplit: 0 });
    expect(model.toState().validationHistory).toBeUndefined();
    expect(Object.keys(model.toFile())).not.toContain('validationHistory');
    const second = model.fit(matrix, { ...training, epochs: 2 });
    expect(model.toState().validationHistory).toEqual([null, null, null, ...second.validationHistory]);
    model.fit(matrix, { ...training, epochs: 1, validationSplit: 0 });
    expect(model.toState().validationHistory).toEqual([null, null, null, ...second.validationHistory, null]);
    const reread = readModelBytes(model.toBinaryFile());
    expect(reread.validationHistory).toEqual([null, null, null, ...second.validationHistory.map(asWritten), null]);
  });

  it('should record the kept epoch of early stopping in the whole history, and forget it after a run without', async () => {
    const backend = await backendPromise;
    const model = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    model.fit(matrix, { ...training, epochs: 2, validationSplit: 0 });
    // minDelta so large that nothing after the run's first epoch counts as better: best is its epoch 1.
    const stopped = model.fit(matrix, { ...training, epochs: 20, patience: 2, minDelta: 1e9 });
    expect(stopped.bestEpoch).toBe(1);
    expect(model.toState().bestEpoch).toBe(3);
    expect(readModelFile(JSON.parse(JSON.stringify(model.toFile()))).bestEpoch).toBe(3);
    expect(readModelBytes(model.toBinaryFile()).bestEpoch).toBe(3);
    model.fit(matrix, { ...training, epochs: 1 });
    expect(model.toState().bestEpoch).toBeUndefined();
  });

  it('should give a job resumed from checkpoints the validation history of the run in one go', async () => {
    const backend = await backendPromise;
    const source = matrixShardSource(randomMatrix(mulberry32(13), 53, 4, 0, 1), 5);
    const spec = { config: { hiddenSize: 6 }, training: { epochs: 4, batchSize: 6, seed: 2, learningRate: 0.01, validationSplit: 0.3 } };
    const whole = JobTrainer.start(backend, source, spec);
    while (!whole.done) await whole.runSteps(100);
    const expected = await whole.finish();
    expect(expected.state.validationHistory).toEqual(expected.validationHistory);
    // Resumed once, after the first epoch and a bit: the resumed run trains the other epochs itself.
    const first = JobTrainer.start(backend, source, spec);
    await first.runSteps(first.stepsPerEpoch + 2);
    const bytes = encodeCheckpoint(first.checkpoint());
    first.dispose();
    const trainer = JobTrainer.start(backend, source, spec, decodeCheckpoint(bytes));
    while (!trainer.done) await trainer.runSteps(100);
    const result = await trainer.finish();
    expect(result.state.lossHistory).toEqual(expected.state.lossHistory);
    expect(result.state.validationHistory).toEqual(expected.validationHistory);
  });

  it('should refuse a file whose validation history does not fit its loss history', async () => {
    const backend = await backendPromise;
    const model = SparseAutoencoder.create(5, { hiddenSize: 7 }, backend, { seed: 4 });
    model.fit(matrix, training);
    const file = JSON.parse(JSON.stringify(model.toFile())) as Record<string, unknown>;
    const refused = (change: Record<string, unknown>) => {
      try {
        readModelFile({ ...file, ...change });
      } catch (error) {
        expect(error).toBeInstanceOf(ModelFileError);
        return (error as ModelFileError).message;
      }
      return 'read';
    };
    expect(refused({ validationHistory: [1, 2] })).toMatch(/validationHistory.*5 entries/);
    expect(refused({ validationHistory: [1, 2, 3, 'x', null] })).toMatch(/validationHistory\[3\]/);
    expect(refused({ bestEpoch: 6 })).toMatch(/bestEpoch.*5 epochs/);
    expect(refused({ bestEpoch: 0 })).toMatch(/bestEpoch/);
    expect(refused({ validationHistory: [1, null, 3, 4, 5], bestEpoch: 2 })).toBe('read');
  });
});
