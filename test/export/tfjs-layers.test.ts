import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportableModel } from '../../src/export/exportable.js';
import { exportTfjsLayers } from '../../src/export/tfjs-layers.js';
import type { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { expectAllClose } from '../helpers/allclose.js';
import { loadLayersModelFrom, predict } from '../helpers/tfjs-layers-loader.js';
import { CASES, rowsFor, trainedModel } from './trained-models.js';

async function load(exported: ReturnType<typeof exportTfjsLayers>) {
  const files = new Map([[exported.weightsFileName, exported.weightData]]);
  return loadLayersModelFrom(JSON.stringify(exported.modelJson), (path) => {
    const bytes = files.get(path);
    if (!bytes) throw new Error(`model.json names a weights file that was not written: ${path}`);
    return bytes;
  });
}

describe.each(CASES)('TF.js layers export of $label', (c) => {
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
      expectAllClose(predict(layers, rows), model.encode(rows).data, { atol: 1e-5, rtol: 0 });
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
