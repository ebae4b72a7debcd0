/**
 * topk's dead-unit bookkeeping (steps since each unit last fired) is part of a model: saved in
 * both file forms and in job checkpoints, so a topk run continued from a file, or a job resumed
 * from a checkpoint, treats the same units as dead (the AuxK loss) as the run in one go.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/jobs/checkpoint.js';
import { JobTrainer } from '../../src/jobs/job-trainer.js';
import { readModelFile } from '../../src/model/model-file.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const backendPromise = loadNodeBackend('assemblyscript').then((loaded) => loaded.backend);
// deadSteps 2 with 12 units and k 2: units die within the first epochs, so the AuxK term is live.
const CONFIG = { architecture: 'topk', hiddenSize: 12, k: 2, auxK: 4, deadSteps: 2 } as const;
const TRAINING = { epochs: 4, batchSize: 6, seed: 5, learningRate: 0.01 };

describe('topk dead-unit steps', () => {
  it('should be saved in the JSON and binary files, and continue a run as in one go', async () => {
    const backend = await backendPromise;
    // 4 rows × k 2 = 8 codes a step over 12 units: some units never fire, and die.
    const matrix = randomMatrix(mulberry32(8), 4, 5, 0, 1);
    // Full batches: a second fit starts its shuffle again, so only unshuffled runs continue as one.
    const full = { ...TRAINING, batchSize: 0, epochs: 6 };
    const once = SparseAutoencoder.create(5, CONFIG, backend, { seed: 5 });
    once.fit(matrix, { ...full, epochs: 12 });
    for (const form of ['json', 'binary'] as const) {
      const first = SparseAutoencoder.create(5, CONFIG, backend, { seed: 5 });
      first.fit(matrix, full);
      const steps = first.toState().stepsSinceFired!;
      expect(Array.from(steps).some((count) => count >= CONFIG.deadSteps)).toBe(true);
      const resumed = form === 'json' ? SparseAutoencoder.fromFile(JSON.parse(JSON.stringify(first.toFile())), backend) : SparseAutoencoder.fromBytes(first.toBinaryFile(), backend);
      expect(resumed.toState().stepsSinceFired).toEqual(steps);
      resumed.fit(matrix, full);
      expect(resumed.getParameters(), form).toEqual(once.getParameters());
      expect(resumed.toState().stepsSinceFired).toEqual(once.toState().stepsSinceFired);
    }
  });

  it('should be refused in a file when it is not h whole numbers ≥ 0', async () => {
    const backend = await backendPromise;
    const model = SparseAutoencoder.create(5, CONFIG, backend, { seed: 5 });
    model.fit(randomMatrix(mulberry32(8), 30, 5, 0, 1), { ...TRAINING, epochs: 1 });
    const file = JSON.parse(JSON.stringify(model.toFile())) as Record<string, unknown>;
    for (const bad of [[1, 2], Array(12).fill(-1), Array(12).fill(0.5), 'x']) {
      expect(() => readModelFile({ ...file, stepsSinceFired: bad })).toThrow(/stepsSinceFired/);
    }
    // An older file without it still loads: every unit counts from 0.
    const { stepsSinceFired: _, ...old } = file;
    expect(Array.from(SparseAutoencoder.fromFile(old, backend).toState().stepsSinceFired!)).toEqual(Array(12).fill(0));
  });

  it('should be in a job checkpoint, so a job resumed mid-run equals the run in one go', async () => {
    const backend = await backendPromise;
    const source = matrixShardSource(randomMatrix(mulberry32(9), 53, 4, 0, 1), 5); // 11 shards: three windows
    const spec = { config: { ...CONFIG, hiddenSize: 10 }, training: { ...TRAINING, epochs: 3 } };
    const whole = JobTrainer.start(backend, source, spec);
    while (!whole.done) await whole.runSteps(100);
    const expected = await whole.finish();

    let trainer = JobTrainer.start(backend, source, spec);
    while (!trainer.done) {
      await trainer.runSteps(4);
      const bytes = encodeCheckpoint(trainer.checkpoint());
      trainer.dispose();
      trainer = JobTrainer.start(backend, source, spec, decodeCheckpoint(bytes));
    }
    const result = await trainer.finish();
    expect(result.state.parameters).toEqual(expected.state.parameters);
    expect(result.state.stepsSinceFired).toEqual(expected.state.stepsSinceFired);
    expect(result.lossHistory).toEqual(expected.lossHistory);
  });
});
