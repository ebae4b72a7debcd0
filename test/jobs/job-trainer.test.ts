/**
 * The job trainer in Node: a run advanced in uneven slices, checkpointed through the binary
 * format and resumed in a fresh model after every slice, ends with exactly the model file of
 * `fit` in one go (same seed, same backend); a diverging run throws and saves nothing.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { Matrix } from '../../src/data/matrix.js';
import { TrainingDivergedError } from '../../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/jobs/checkpoint.js';
import { JobTrainer, totalSteps, type JobSpec } from '../../src/jobs/job-trainer.js';
import { toModelFile } from '../../src/model/model-file.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { SeededRandom } from '../../src/model/random.js';

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = rng.nextFloat() * 4 - 1;
  return { rows, cols, data };
}

function oneGo(backend: Awaited<ReturnType<typeof loadNodeBackend>>['backend'], matrix: Matrix, spec: JobSpec) {
  const model = SparseAutoencoder.create(matrix.cols, spec.config ?? {}, backend, { seed: spec.training?.seed });
  model.fit(matrix, spec.training);
  const file = model.toFile();
  model.dispose();
  return file;
}

describe('JobTrainer', () => {
  for (const [label, training] of [
    ['adam, mini-batches', { epochs: 7, batchSize: 13, seed: 5, learningRate: 0.01 }],
    ['sgd, full batch', { epochs: 9, batchSize: 0, seed: 9, optimizer: 'sgd', learningRate: 0.05 }],
  ] as const) {
    it(`should equal fit in one go bit for bit when sliced and resumed from checkpoints (${label})`, async () => {
      const { backend } = await loadNodeBackend('assemblyscript');
      const matrix = randomMatrix(50, 6, 3);
      const spec: JobSpec = { config: { hiddenSize: 10 }, training };
      const expected = oneGo(backend, matrix, spec);

      let trainer = JobTrainer.start(backend, matrix, spec);
      const sizes = [1, 3, 2, 5, 4, 7];
      let slices = 0;
      while (!trainer.done) {
        trainer.runSteps(sizes[slices++ % sizes.length]!);
        // Every slice: checkpoint through bytes, throw the model away, resume in a new one.
        const bytes = encodeCheckpoint(trainer.checkpoint());
        trainer.dispose();
        trainer = JobTrainer.start(backend, matrix, spec, decodeCheckpoint(bytes));
      }
      expect(trainer.step).toBe(totalSteps(50, training.batchSize, training.epochs));
      const result = trainer.finish();
      trainer.dispose();
      expect(result.lossHistory).toHaveLength(training.epochs);
      expect(JSON.parse(JSON.stringify(toModelFile(result.state)))).toEqual(JSON.parse(JSON.stringify(expected)));
    });
  }

  it('should throw TrainingDivergedError when the loss turns non-finite', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const trainer = JobTrainer.start(backend, randomMatrix(20, 4, 1), {
      training: { epochs: 50, optimizer: 'sgd', learningRate: 1e30, seed: 1 },
    });
    expect(() => {
      while (!trainer.done) trainer.runSteps(10);
    }).toThrow(TrainingDivergedError);
    trainer.dispose();
  });
});
