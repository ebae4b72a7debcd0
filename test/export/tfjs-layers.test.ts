/**
 * The TF.js layers export, loaded with tfjs-layers' own loadLayersModel: its codes and
 * reconstructions against the model's, for sigmoid and relu models and every placement of the
 * input scaling; topk refused, naming ONNX.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { ConfigError } from '../../src/errors.js';
import { exportableModel, inputScaling } from '../../src/export/exportable.js';
import { exportTfjsLayers } from '../../src/export/tfjs-layers.js';
import type { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { expectAllClose } from '../helpers/allclose.js';
import { loadLayersModelFrom, predict } from '../helpers/tfjs-layers-loader.js';
import { SparseAutoencoder as Model } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';
import { CASES, RELU_CASES, rowsFor, trainedModel } from './trained-models.js';

async function load(exported: ReturnType<typeof exportTfjsLayers>) {
  const files = new Map([[exported.weightsFileName, exported.weightData]]);
  return loadLayersModelFrom(JSON.stringify(exported.modelJson), (path) => {
    const bytes = files.get(path);
    if (!bytes) throw new Error(`model.json names a weights file that was not written: ${path}`);
    return bytes;
  });
}

describe.each([...CASES, ...RELU_CASES])('TF.js layers export of $label', (c) => {
  let model: SparseAutoencoder;
  beforeAll(async () => {
    model = await trainedModel(c);
  });
  afterAll(() => model.dispose());

  it('should load with tf.loadLayersModel and give codes equal to model.encode within 1e-5', async () => {
    const exported = exportTfjsLayers(exportableModel(model));
    expect(exported.scaling).toBe(c.scaling);
    const layers = await load(exported);
    try {
      expect(layers.inputs[0]!.shape).toEqual([null, c.inputSize]);
      expect(layers.outputs[0]!.shape).toEqual([null, c.hiddenSize]);
      const rows = rowsFor(c, 64, 99);
      const codes = model.encode(rows).data;
      // relu: codes both zero and positive, so the bias (where z crosses 0) is tested too.
      if (c.architecture === 'relu') expect([codes.some((v) => v === 0), codes.some((v) => v > 0.01)]).toEqual([true, true]);
      expectAllClose(predict(layers, rows), codes, { atol: 1e-5, rtol: 0 });
    } finally {
      layers.dispose();
    }
  });

  it('should reconstruct in the caller\'s scale like model.reconstruct when whole', async () => {
    const layers = await load(exportTfjsLayers(exportableModel(model), { whole: true }));
    try {
      const rows = rowsFor(c, 16, 7);
      expectAllClose(predict(layers, rows), model.reconstruct(rows).outputs.data, { atol: 1e-5 * (c.hi - c.lo), rtol: 1e-6 });
    } finally {
      layers.dispose();
    }
  });
});

describe('TF.js layers export layout', () => {
  it('should list its layers and name its weights file as asked', async () => {
    const [folded, , separate] = await Promise.all(CASES.slice(0, 3).map(trainedModel));
    try {
      const classes = (e: ReturnType<typeof exportTfjsLayers>) => e.modelJson.modelTopology.config.layers.map((l) => l.class_name);
      expect(classes(exportTfjsLayers(exportableModel(folded!)))).toEqual(['Dense']);
      expect(classes(exportTfjsLayers(exportableModel(separate!), { whole: true }))).toEqual(['BatchNormalization', 'Dense', 'Dense', 'BatchNormalization']);
      const named = exportTfjsLayers(exportableModel(folded!), { weightsFileName: 'codes.weights.bin' });
      expect(named.modelJson.weightsManifest[0].paths).toEqual(['codes.weights.bin']);
      // 16 × 48 kernel + 48 bias, float32.
      expect(named.weightData.length).toBe((16 * 48 + 48) * 4);
    } finally {
      for (const m of [folded, separate]) m!.dispose();
    }
  });
});

describe('TF.js layers export of relu models', () => {
  it('should be Dense layers, relu then linear, with the scaling on its own where it cannot fold, and b_dec without scaling', async () => {
    const [folded, , separate, none] = await Promise.all(RELU_CASES.slice(0, 4).map(trainedModel));
    try {
      const layers = (e: ReturnType<typeof exportTfjsLayers>) => e.modelJson.modelTopology.config.layers.map((l) => `${l.class_name}${l.config.activation ? `:${String(l.config.activation)}` : ''}`);
      expect(layers(exportTfjsLayers(exportableModel(folded!)))).toEqual(['Dense:relu']);
      expect(layers(exportTfjsLayers(exportableModel(folded!), { whole: true }))).toEqual(['Dense:relu', 'Dense:linear']);
      expect(layers(exportTfjsLayers(exportableModel(separate!), { whole: true }))).toEqual(['BatchNormalization', 'Dense:relu', 'Dense:linear']);
      expect(layers(exportTfjsLayers(exportableModel(none!), { whole: true }))).toEqual(['BatchNormalization', 'Dense:relu', 'Dense:linear']);
    } finally {
      for (const m of [folded, separate, none]) m!.dispose();
    }
  });

  it('should fold the scaling and b_dec into the encoder bias in float64, rounded once', async () => {
    const model = await trainedModel(RELU_CASES[1]!); // 784 inputs: float32 sums would round 784 times
    try {
      const exported = exportableModel(model);
      const { W1, b1, b2 } = exported.parameters;
      const scaling = inputScaling(exported.normalization)!;
      const [n, h] = [784, 196];
      // The weights file: the kernel [n, h], then the bias [h].
      const written = new Float32Array(exportTfjsLayers(exported).weightData.slice(n * h * 4).buffer);
      const expected = new Float32Array(h);
      for (let k = 0; k < h; k++) {
        let shift = 0;
        for (let j = 0; j < n; j++) shift += scaling.offset[j]! * Math.fround(scaling.scale[j]! * W1[j * h + k]!) + b2[j]! * W1[j * h + k]!;
        expected[k] = b1[k]! - shift;
      }
      expect(written).toEqual(expected);
    } finally {
      model.dispose();
    }
  });

  it('should refuse a topk model, naming ONNX', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const model = Model.create(8, { architecture: 'topk', hiddenSize: 16, k: 3 }, backend, { seed: 1 });
    try {
      model.fit(randomMatrix(mulberry32(2), 32, 8, 0, 1), { epochs: 1 });
      const refusal = (() => {
        try {
          exportTfjsLayers(exportableModel(model));
        } catch (error) {
          return error;
        }
      })();
      expect(refusal).toBeInstanceOf(ConfigError);
      expect((refusal as ConfigError).message).toMatch(/"topk".*no built-in layer.*export topk models as ONNX/);
      expect(() => exportableModel(model, 'tfjs')).toThrow(ConfigError);
    } finally {
      model.dispose();
    }
  });
});
