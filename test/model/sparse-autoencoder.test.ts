import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, ModelFileError, TrainingDivergedError } from '../../src/errors.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { readModelFile } from '../../src/model/model-file.js';
import { expectAllClose } from '../helpers/allclose.js';
import { badOptimizerStates } from '../helpers/bad-optimizer-states.js';
import { mulberry32, randomRows } from '../helpers/random.js';
import { referenceBackend } from '../helpers/reference-backend.js';

const backend = referenceBackend;
const rows = randomRows(mulberry32(3), 12, 4, -5, 20);

function trainedModel(seed = 1, epochs = 5) {
  const model = SparseAutoencoder.create(4, { hiddenSize: 6 }, backend, { seed });
  const result = model.fit(rows, { epochs, seed, learningRate: 0.01 });
  return { model, result };
}

describe('SparseAutoencoder (model logic, on the float64 reference backend)', () => {
  it('should default to h = 3n and the tutorial hyperparameters', () => {
    const model = SparseAutoencoder.create(16, {}, backend);
    expect(model.hiddenSize).toBe(48);
    expect(model.config).toMatchObject({ sparsityTarget: 0.1, sparsityWeight: 0.1, weightDecay: 0.1, reduction: 'sum', normalize: 'minmax' });
  });

  it('should give identical weights for the same seed and different ones for another', () => {
    const a = trainedModel(7).model.toFile();
    const b = trainedModel(7).model.toFile();
    const c = trainedModel(8).model.toFile();
    expect(a.encoder).toEqual(b.encoder);
    expect(a.decoder).toEqual(b.decoder);
    expect(a.encoder).not.toEqual(c.encoder);
  });

  it('should record one loss per epoch and metrics on the whole data', () => {
    const { result } = trainedModel(1, 5);
    expect(result.lossHistory).toHaveLength(5);
    expect(result.metrics.rows).toBe(12);
    expect(result.metrics.loss).toBeCloseTo(
      result.metrics.reconstruction + result.metrics.weightDecay + result.metrics.sparsity,
      10,
    );
    expect(result.metrics.fvu).toBeGreaterThan(0);
  });

  it('should return reconstructions in the caller scale, with per-row squared errors in that scale', () => {
    const { model } = trainedModel();
    const { outputs, errors } = model.reconstruct(rows);
    expect(outputs.cols).toBe(4);
    // Outputs are sigmoids mapped back through min-max: inside the column's training range.
    for (let j = 0; j < 4; j++) {
      const column = rows.map((r) => r[j]!);
      for (let i = 0; i < 12; i++) {
        expect(outputs.data[i * 4 + j]).toBeGreaterThanOrEqual(Math.fround(Math.min(...column)));
        expect(outputs.data[i * 4 + j]).toBeLessThanOrEqual(Math.fround(Math.max(...column)));
      }
    }
    const row0 = rows[0]!.reduce((s, v, j) => s + (outputs.data[j]! - Math.fround(v)) ** 2, 0);
    expect(errors[0]).toBeCloseTo(row0, 6);
  });

  it('should round-trip through the model file and give the same codes', () => {
    const { model } = trainedModel();
    const file = JSON.parse(JSON.stringify(model.toFile()));
    const loaded = SparseAutoencoder.fromFile(file, backend);
    expect(Array.from(loaded.encode(rows).data)).toEqual(Array.from(model.encode(rows).data));
    expect(loaded.toFile()).toEqual(file);
  });

  it('should resume exactly: 4 + 4 epochs through a saved file equal 8 epochs in one go (full batch, Adam)', () => {
    const once = SparseAutoencoder.create(4, { hiddenSize: 6 }, backend, { seed: 2 });
    once.fit(rows, { epochs: 8, learningRate: 0.05 });
    const first = SparseAutoencoder.create(4, { hiddenSize: 6 }, backend, { seed: 2 });
    first.fit(rows, { epochs: 4, learningRate: 0.05 });
    const resumed = SparseAutoencoder.fromFile(JSON.parse(JSON.stringify(first.toFile())), backend);
    resumed.fit(rows, { epochs: 4, learningRate: 0.05 });
    expect(resumed.toFile().encoder).toEqual(once.toFile().encoder);
    expect(resumed.getOptimizerState()?.step).toBe(8);
    expect(resumed.trainingOptions.epochsCompleted).toBe(8);
    expect(resumed.toFile().lossHistory).toHaveLength(8);
  });

  it('should train in slices with the same result as one go (mini-batches, shuffled)', () => {
    const options = { epochs: 3, batchSize: 5, seed: 9, learningRate: 0.05 };
    const once = SparseAutoencoder.create(4, { hiddenSize: 6 }, backend, { seed: 9 });
    once.fit(rows, options);
    const sliced = SparseAutoencoder.create(4, { hiddenSize: 6 }, backend, { seed: 9 });
    const slice = sliced.startTraining(rows, options);
    let steps = 0;
    while (!slice.run.done) {
      slice.step(2);
      steps += 2;
    }
    slice.finish();
    expect(steps).toBeGreaterThanOrEqual(9); // 3 batches × 3 epochs
    expect(sliced.toFile().encoder).toEqual(once.toFile().encoder);
  });

  it('should shuffle mini-batches by seed', () => {
    const a = SparseAutoencoder.create(4, { hiddenSize: 6 }, backend, { seed: 1 });
    a.fit(rows, { epochs: 2, batchSize: 3, seed: 1, learningRate: 0.05 });
    const b = SparseAutoencoder.create(4, { hiddenSize: 6 }, backend, { seed: 1 });
    b.fit(rows, { epochs: 2, batchSize: 3, seed: 2, learningRate: 0.05 });
    expect(a.toFile().encoder).not.toEqual(b.toFile().encoder);
  });

  it('should map a constant feature to 0 with minmax', () => {
    const constant = rows.map((r) => [r[0]!, 3, r[2]!, r[3]!]);
    const model = SparseAutoencoder.create(4, { hiddenSize: 3 }, backend);
    model.fit(constant, { epochs: 1 });
    const file = model.toFile();
    expect(file.normalization).toMatchObject({ kind: 'minmax' });
    const { outputs } = model.reconstruct(constant);
    expect(outputs.data[1]).toBe(3);
  });

  it('should refuse values outside [0, 1] with normalize none, naming row and column', () => {
    const model = SparseAutoencoder.create(2, { normalize: 'none' }, backend);
    expect(() => model.fit([[0.5, 0.5], [0.2, 1.5]], { epochs: 1 })).toThrowError(/row 2, column 2.*outside \[0, 1\]/);
  });

  it('should refuse data of the wrong width and bad hyperparameters with typed errors', () => {
    const { model } = trainedModel();
    expect(() => model.encode([[1, 2, 3]])).toThrow(DataError);
    expect(() => model.encode([[1, 2, 3, Number.NaN]])).toThrowError(/row 1, column 4/);
    expect(() => model.fit(rows, { learningRate: -1 })).toThrow(ConfigError);
    expect(() => SparseAutoencoder.create(4, { sparsityTarget: 1.5 }, backend)).toThrowError(/config.sparsityTarget/);
    expect(() => SparseAutoencoder.create(4, { hiddenSize: 0 }, backend)).toThrowError(/config.hiddenSize/);
  });

  it('should stop on divergence, throw, and leave the model as it was', () => {
    const { model } = trainedModel();
    const before = model.toFile();
    expect(() => model.fit(rows, { optimizer: 'sgd', learningRate: 1e36, epochs: 3 })).toThrow(TrainingDivergedError);
    expect(model.toFile()).toEqual(before);
  });

  it('should reject malformed model files naming the field', () => {
    const file = trainedModel().model.toFile();
    const cases: [unknown, RegExp][] = [
      [{ ...file, format: 'keras' }, /"format"/],
      [{ ...file, version: 3 }, /"version".*not supported/],
      [{ ...file, hiddenSize: 7 }, /encoder\.weights\[0\]/],
      [{ ...file, encoder: { ...file.encoder, bias: [1, 2] } }, /"encoder\.bias"/],
      [{ ...file, decoder: { ...file.decoder, weights: file.decoder.weights.map((r, i) => (i === 2 ? [...r.slice(0, 3), 'x'] : r)) } }, /decoder\.weights\[2\]\[3\]/],
      [{ ...file, normalization: { kind: 'zscore' } }, /normalization\.kind/],
      [{ ...file, config: { ...file.config, sparsityTarget: 2 } }, /config\.sparsityTarget/],
      [null, /\(root\)/],
    ];
    for (const [bad, message] of cases) {
      expect(() => SparseAutoencoder.fromFile(bad, backend, 'm.json')).toThrow(ModelFileError);
      expect(() => SparseAutoencoder.fromFile(bad, backend, 'm.json')).toThrowError(message);
    }
  });

  it('should refuse impossible Adam state (v < 0, a step not a non-negative integer, m or v misshapen), naming the field', () => {
    const file = trainedModel().model.toFile();
    expect(file.optimizerState, 'the model has Adam state').toBeTruthy();
    for (const { what, file: bad, field } of badOptimizerStates(JSON.parse(JSON.stringify(file)))) {
      let error: unknown;
      try {
        readModelFile(bad, 'm.json');
      } catch (caught) {
        error = caught;
      }
      expect(error, what).toBeInstanceOf(ModelFileError);
      expect((error as ModelFileError).field, what).toBe(field);
      expect(() => SparseAutoencoder.fromFile(bad, backend, 'm.json'), what).toThrowError(`m.json: model file field "${field}"`);
    }
  });

  it('should write float32 numbers in their shortest exact form', () => {
    const file = trainedModel().model.toFile();
    // At most 9 significant digits (float32 needs no more), e.g. -0.138057351, not 0.13805735111236572.
    for (const w of file.encoder.weights.flat()) expect(String(w).replace(/^-?0\.0*/, '').length).toBeLessThanOrEqual(9);
  });

  it('should agree with the reference backend on codes after a load on another session', () => {
    const { model } = trainedModel();
    const again = SparseAutoencoder.fromFile(model.toFile(), backend);
    expectAllClose(again.encode(rows).data, model.encode(rows).data, { atol: 0, rtol: 0 }, 'codes');
  });
});
