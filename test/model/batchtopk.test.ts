/**
 * batchtopk and matryoshka through the model layer (src/model/sparse-autoencoder.ts) on the
 * AssemblyScript backend: recovery of the planted dictionary of the topk and jumprelu tests, the
 * L0 of the inference threshold against k, θ and its counter through both model files, encode
 * before any training, and the config's checks of the group sizes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { KernelBackend } from '../../src/backends/types.js';
import { ConfigError } from '../../src/errors.js';
import { exportableModel } from '../../src/export/exportable.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { plantedData, recovery } from '../helpers/planted.js';

let backend: KernelBackend;
beforeAll(async () => {
  backend = (await loadNodeBackend('assemblyscript')).backend;
});

describe('batchtopk and matryoshka models', () => {
  it.each([
    // 512 rows of 3 of 24 atoms in 16 dimensions, h = 48, 300 epochs, batch 64, lr 0.01 (2,400
    // steps; θ's running mean from step 1,000 with β = 0.999, the defaults), k = 3. Measured
    // (assemblyscript): batchtopk 0.972 at an inference L0 of 2.95 (θ 0.561); matryoshka with
    // groups 12, 12, 24: 0.912 at 3.02 (θ 0.678).
    { architecture: 'batchtopk', extra: {}, least: 0.9 },
    { architecture: 'matryoshka', extra: { groupSizes: [12, 12, 24] }, least: 0.8 },
  ] as const)('$architecture should recover a planted dictionary (mean best cosine ≥ $least), its inference L0 within 20% of k', ({ architecture, extra, least }) => {
    const { data, dictionary } = plantedData(11, 512, 16, 24, 3);
    const model = SparseAutoencoder.create(16, { architecture, hiddenSize: 48, normalize: 'none', k: 3, ...extra }, backend, { seed: 5 });
    model.fit(data, { epochs: 300, batchSize: 64, learningRate: 0.01 });
    const cosine = recovery(model, dictionary);
    const { l0 } = model.evaluate(data);
    const theta = model.getParameters().theta![0]!;
    expect(cosine).toBeGreaterThanOrEqual(least);
    expect(Math.abs(l0 - 3) / 3).toBeLessThanOrEqual(0.2);
    expect(theta).toBeGreaterThan(0);
    expect(Array.from(model.getParameters().thetaSteps!)).toEqual([1001]);
    model.dispose();
  });

  it('matryoshka\'s first group should reconstruct the data alone better than the same units of a batchtopk model', () => {
    const { data } = plantedData(11, 512, 16, 24, 3);
    const prefixFvu = (architecture: 'batchtopk' | 'matryoshka') => {
      const model = SparseAutoencoder.create(16, { architecture, hiddenSize: 48, normalize: 'none', k: 3, ...(architecture === 'matryoshka' ? { groupSizes: [12, 12, 24] } : {}) }, backend, { seed: 5 });
      model.fit(data, { epochs: 300, batchSize: 64, learningRate: 0.01 });
      const codes = model.encode(data).data;
      const { W2, b2 } = model.getParameters();
      const mean = Array.from({ length: 16 }, (_, c) => data.reduce((t, row) => t + row[c]!, 0) / data.length);
      let error = 0;
      let variance = 0;
      data.forEach((row, i) => {
        for (let c = 0; c < 16; c++) {
          let xHat = b2[c]!;
          for (let j = 0; j < 12; j++) xHat += codes[i * 48 + j]! * W2[j * 16 + c]!; // the first 12 units alone
          error += (row[c]! - xHat) ** 2;
          variance += (row[c]! - mean[c]!) ** 2;
        }
      });
      model.dispose();
      return error / variance;
    };
    // measured (assemblyscript): the first 12 of 48 units alone leave FVU 0.381 (matryoshka), 0.847 (batchtopk)
    const [nested, flat] = [prefixFvu('matryoshka'), prefixFvu('batchtopk')];
    expect(nested).toBeLessThan(0.8 * flat);
  });

  it('should encode ReLU codes before θ\'s first update, and keep θ and its counter through both model files', () => {
    const { data } = plantedData(3, 40, 4, 6, 2);
    const model = SparseAutoencoder.create(4, { architecture: 'batchtopk', hiddenSize: 8, normalize: 'none', k: 2, thresholdStart: 3 }, backend, { seed: 1 });
    expect(Array.from(model.getParameters().theta!)).toEqual([0]);
    model.fit(data, { epochs: 0 }); // b_dec from the data, no step
    const before = model.encode(data).data;
    const { W1, b1, b2 } = model.getParameters();
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < 8; j++) {
        let z = b1[j]!;
        for (let c = 0; c < 4; c++) z += (data[i]![c]! - b2[c]!) * W1[c * 8 + j]!;
        expect(before[i * 8 + j]).toBeCloseTo(Math.max(z, 0), 5);
      }
    }
    model.fit(data, { epochs: 1, batchSize: 8, learningRate: 0.01 }); // 5 steps: θ set at the 4th
    const { theta, thetaSteps } = model.getParameters();
    expect(theta![0]).toBeGreaterThan(0);
    expect(Array.from(thetaSteps!)).toEqual([4]);
    const json = JSON.parse(JSON.stringify(model.toFile()));
    expect(Math.fround(json.encoder.threshold[0])).toBe(theta![0]); // the shortest decimal of the float32
    expect(json.encoder.threshold_steps).toEqual([4]);
    for (const loaded of [SparseAutoencoder.fromFile(json, backend), SparseAutoencoder.fromBytes(model.toBinaryFile(), backend)]) {
      expect(Array.from(loaded.getParameters().theta!)).toEqual(Array.from(theta!));
      expect(Array.from(loaded.encode(data).data)).toEqual(Array.from(model.encode(data).data));
      loaded.dispose();
    }
    delete json.encoder.threshold;
    expect(() => SparseAutoencoder.fromFile(json, backend)).toThrow(/encoder\.threshold/);
    expect(() => exportableModel(model, 'tfjs')).toThrow(/"batchtopk", whose inference threshold has no place/);
    model.dispose();
  });

  it('should refuse matryoshka without group sizes, with sizes that do not sum to h, or with an empty group', () => {
    const create = (groupSizes?: number[]) => () => SparseAutoencoder.create(4, { architecture: 'matryoshka', hiddenSize: 8, k: 2, ...(groupSizes ? { groupSizes } : {}) }, backend);
    const fieldOf = (work: () => unknown) => {
      try {
        work();
      } catch (error) {
        return error instanceof ConfigError ? `${error.field}: ${error.reason}` : String(error);
      }
      return 'no error';
    };
    expect(fieldOf(create())).toMatch(/^config\.groupSizes: must list the sizes of the nested groups .*hidden size 8/);
    expect(fieldOf(create([4, 3]))).toBe('config.groupSizes: must sum to the hidden size 8 (the groups split the dictionary), got 4 + 3 = 7');
    expect(fieldOf(create([8, 0]))).toMatch(/^config\.groupSizes: \[1\] must be an integer from 1 up, got 0/);
    expect(fieldOf(create([2, 2, 4]))).toBe('no error');
  });
});
