/**
 * Early stopping in a job (issue 16), in Node: a JobTrainer with patience, advanced in uneven
 * slices and resumed from its binary checkpoint after every one, stops at the epoch `fit` stops
 * at and ends with `fit`'s model file bit for bit (the best epoch's weights, Adam state and topk
 * dead-unit counts; every epoch run in the loss history) and its bestEpoch and validation
 * history; a checkpoint carries the counters and best weights through the bytes, and one written
 * before jobs took early stopping still reads, as no early-stopping state.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { ConfigError } from '../../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/jobs/checkpoint.js';
import { JobTrainer, type JobSpec } from '../../src/jobs/job-trainer.js';
import { toModelFile } from '../../src/model/model-file.js';
import { randomMatrix, runResumingEverySlice } from './sliced-run.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';

const backendPromise = loadNodeBackend('assemblyscript').then((loaded) => loaded.backend);

const same = (a: unknown, b: unknown) => expect(JSON.parse(JSON.stringify(a))).toEqual(JSON.parse(JSON.stringify(b)));

// Options under which the validation loss turns up well before the last of 60 epochs (found by
// trying; the tests assert the stop happens, so a change that moved it would be seen).
const TRAINING = { epochs: 60, batchSize: 8, seed: 5, validationSplit: 0.3, patience: 3 };
const CASES: Array<[string, JobSpec]> = [
  ['sigmoid, adam', { config: { hiddenSize: 16 }, training: { ...TRAINING, learningRate: 0.1 } }],
  ['topk, adam (dead-unit counts kept)', { config: { hiddenSize: 16, architecture: 'topk', k: 3 }, training: { ...TRAINING, learningRate: 0.03, minDelta: 1e-3 } }],
];

describe('a job with early stopping', () => {
  for (const [label, spec] of CASES) {
    it(`should stop where fit stops and end with fit's model, resumed from checkpoint bytes after every slice (${label})`, async () => {
      const backend = await backendPromise;
      const matrix = randomMatrix(60, 6, 3);
      const library = SparseAutoencoder.create(6, spec.config!, backend, { seed: spec.training!.seed });
      const expected = library.fit(matrix, spec.training);
      const expectedFile = library.toFile();
      library.dispose();
      // The premise: it stops before the last epoch, and keeps an epoch before the last one run.
      expect(expected.lossHistory.length).toBeLessThan(60);
      expect(expected.bestEpoch).toBe(expected.lossHistory.length - 3);

      const source = matrixShardSource(matrix);
      const trainer = await runResumingEverySlice(backend, source, spec, [1, 4, 2, 9, 3]);
      expect(trainer.stoppedEarly).toBe(true);
      expect(trainer.epoch).toBe(expected.lossHistory.length);
      const result = await trainer.finish();
      trainer.dispose();
      expect(result.bestEpoch).toBe(expected.bestEpoch);
      expect(result.epochsRun).toBe(expected.lossHistory.length);
      expect(result.lossHistory).toEqual(expected.lossHistory);
      expect(result.validationHistory).toEqual(expected.validationHistory);
      expect(result.validationMetrics).toEqual(expected.validationMetrics);
      same(toModelFile(result.state), expectedFile);
    });
  }

  it('should carry the counters and the best epoch\'s weights through the checkpoint bytes, and read older checkpoints', async () => {
    const backend = await backendPromise;
    const spec = CASES[1]![1];
    const trainer = JobTrainer.start(backend, matrixShardSource(randomMatrix(60, 6, 3)), spec);
    await trainer.runSteps(30); // a few epochs in, mid-epoch: a best epoch so far, not the current one
    const checkpoint = trainer.checkpoint();
    trainer.dispose();
    expect(checkpoint.earlyStopping?.bestEpoch).toBeGreaterThan(0);
    expect(checkpoint.best?.optimizerState).not.toBeNull();
    expect(checkpoint.best?.stepsSinceFired).toHaveLength(16);
    expect(checkpoint.best?.parameters.W1).not.toEqual(checkpoint.parameters.W1);
    expect(decodeCheckpoint(encodeCheckpoint(checkpoint))).toEqual(checkpoint);

    // A checkpoint of the format before early stopping: the same bytes without the new fields.
    const { earlyStopping: _counters, best: _best, ...older } = checkpoint;
    const decoded = decodeCheckpoint(encodeCheckpoint(older));
    expect(decoded).toEqual(older);
    expect(decoded).not.toHaveProperty('earlyStopping');
    expect(decoded).not.toHaveProperty('best');
  });

  it('should refuse patience without a validation split, naming patience, as the library does', async () => {
    const backend = await backendPromise;
    const training = { epochs: 5, patience: 2 };
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      return null;
    };
    const job = refusal(() => JobTrainer.start(backend, matrixShardSource(randomMatrix(20, 3, 1)), { training }));
    const model = SparseAutoencoder.create(3, {}, backend, { seed: 1 });
    const library = refusal(() => model.fit(randomMatrix(20, 3, 1), training));
    model.dispose();
    for (const error of [job, library]) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe('training.patience');
      expect((error as ConfigError).message).toMatch(/validationSplit/);
    }
  });
});
