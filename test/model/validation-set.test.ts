/**
 * A validation set of its own (fit's and fitStream's `validation`), instead of a split of the
 * training rows: measured after every epoch exactly as evaluate measures it, changing nothing in
 * the training (weights, scaling), driving early stopping, streamed as in memory, and refused
 * where it cannot be meant.
 */
import { describe, expect, it } from 'vitest';

import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import type { Matrix } from '../../src/data/matrix.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const backendPromise = loadNodeBackend('assemblyscript').then((b) => b.backend);
const train = randomMatrix(mulberry32(1), 120, 6, 0, 1);
const held = randomMatrix(mulberry32(2), 40, 6, 0, 1);
const CONFIG = { hiddenSize: 9 };
const TRAINING = { epochs: 6, batchSize: 16, seed: 4, learningRate: 0.01 };

async function model(config: object = CONFIG): Promise<SparseAutoencoder> {
  return SparseAutoencoder.create(6, config, await backendPromise, { seed: 4 });
}

describe('a validation set of its own', () => {
  it('should be measured after every epoch as evaluate measures it, and change nothing in the training', async () => {
    const plain = await model();
    plain.fit(train, TRAINING);
    const validated = await model();
    const progress: (number | undefined)[] = [];
    const result = validated.fit(train, TRAINING, { validation: held, onProgress: (p) => progress.push(p.validationLoss) });

    expect(JSON.stringify(validated.getParameters())).toBe(JSON.stringify(plain.getParameters()));
    expect(validated.inputNormalization).toEqual(plain.inputNormalization); // the training rows alone fit the scaling
    expect(result.validationHistory).toHaveLength(6);
    expect(progress).toEqual(result.validationHistory);
    expect(result.validationHistory.at(-1)).toBe(validated.evaluate(held).loss);
    expect(result.validationMetrics).toEqual(validated.evaluate(held));
    expect(result.metrics).toEqual(validated.evaluate(train));

    // The first epoch's figure is the one-epoch model's loss on the set.
    const one = await model();
    one.fit(train, { ...TRAINING, epochs: 1 });
    expect(result.validationHistory[0]).toBe(one.evaluate(held).loss);
  });

  it('should drive early stopping and keep the best epoch\'s weights', async () => {
    // Validation rows unlike the training rows, so their loss turns up while training goes on.
    const unlike = randomMatrix(mulberry32(9), 40, 6, 0, 1);
    for (let k = 0; k < unlike.data.length; k++) unlike.data[k] = k % 2 ? 1 : 0;
    const options = { ...TRAINING, epochs: 200, learningRate: 0.05, patience: 3 };
    const stopped = await model();
    const result = stopped.fit(train, options, { validation: unlike });
    expect(result.bestEpoch).not.toBeNull();
    expect(result.validationHistory.length).toBeLessThan(200);
    expect(result.validationHistory.length).toBe(result.bestEpoch! + 3);

    const upToBest = await model();
    upToBest.fit(train, { ...options, epochs: result.bestEpoch!, patience: 0 });
    expect(JSON.stringify(stopped.getParameters())).toBe(JSON.stringify(upToBest.getParameters()));
  });

  it('should give the same streamed as in memory, bit for bit (one window)', async () => {
    const inMemory = await model();
    const a = inMemory.fit(train, TRAINING, { validation: held });
    const streamed = await model();
    const b = await streamed.fitStream(matrixShardSource(train, 30), TRAINING, { validation: matrixShardSource(held, 10) });
    expect(b).toEqual(a);
    expect(JSON.stringify(streamed.toFile())).toBe(JSON.stringify(inMemory.toFile()));
  });

  it('should be refused beside a validationSplit, and name the set in its data errors', async () => {
    const m = await model();
    expect(() => m.fit(train, { ...TRAINING, validationSplit: 0.2 }, { validation: held })).toThrow(ConfigError);
    expect(() => m.fit(train, { ...TRAINING, validationSplit: 0.2 }, { validation: held })).toThrow(/training\.validationSplit.*not both/);

    const narrow: Matrix = { rows: 2, cols: 5, data: new Float32Array(10) };
    const wrongWidth = (() => {
      try {
        m.fit(train, TRAINING, { validation: narrow });
      } catch (error) {
        return error;
      }
    })();
    expect(wrongWidth).toBeInstanceOf(DataError);
    expect((wrongWidth as DataError).location.source).toBe('validation');

    const none = await model({ ...CONFIG, normalize: 'none' });
    const outside = randomMatrix(mulberry32(3), 4, 6, 0, 1);
    outside.data[2 * 6 + 4] = 1.5;
    expect(() => none.fit(train, TRAINING, { validation: outside })).toThrow(/validation, row 3, column 5: value 1\.5 is outside \[0, 1\]/);
    expect(m.trained).toBe(false);
    expect(none.trained).toBe(false);
  });

  it('should let early stopping run with a set and no split, and refuse patience with neither', async () => {
    const m = await model();
    expect(() => m.fit(train, { ...TRAINING, patience: 2 })).toThrow(/training\.patience.*validation set/);
    expect(() => m.fit(train, { ...TRAINING, patience: 2 }, { validation: held })).not.toThrow();
  });
});
