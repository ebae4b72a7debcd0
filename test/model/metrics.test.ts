/**
 * l0, explainedVariance, deadUnits, denseUnits and the firing frequency (src/model/metrics.ts)
 * against a slow, obvious reference over the codes `encode` returns; topk's L0 is exactly k on
 * every row with k positive pre-activations; streamed metrics equal in-memory ones over several
 * windows (the counts exactly); model files without the new fields still load.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { ArchitectureName } from '../../src/backends/types.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import type { Matrix } from '../../src/data/matrix.js';
import { computeMetrics, DEAD_UNIT_THRESHOLD, DENSE_UNIT_FREQUENCY } from '../../src/model/metrics.js';
import { toBinaryModelFile } from '../../src/model/model-file-binary.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { preActivations } from '../../src/reference/linear-sae-reference.js';
import { mulberry32 } from '../helpers/random.js';

const backendPromise = loadNodeBackend('assemblyscript').then((b) => b.backend);

function randomMatrix(rows: number, cols: number, seed: number, lo = 0, hi = 1): Matrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = lo + rng() * (hi - lo);
  return { rows, cols, data };
}

/** The reference: active means > 0 (relu, topk) or > 0.01 (sigmoid); everything counted by hand. */
function reference(codes: Matrix, architecture: ArchitectureName) {
  const threshold = architecture === 'sigmoid' ? 0.01 : 0;
  const perRow: number[] = [];
  const frequency: number[] = [];
  for (let i = 0; i < codes.rows; i++) {
    let n = 0;
    for (let j = 0; j < codes.cols; j++) if (codes.data[i * codes.cols + j]! > threshold) n++;
    perRow.push(n);
  }
  for (let j = 0; j < codes.cols; j++) {
    let n = 0;
    for (let i = 0; i < codes.rows; i++) if (codes.data[i * codes.cols + j]! > threshold) n++;
    frequency.push(n / codes.rows);
  }
  return {
    perRow,
    l0: perRow.reduce((a, b) => a + b, 0) / codes.rows,
    frequency,
    deadUnits: frequency.filter((f) => f === 0).length,
    denseUnits: frequency.filter((f) => f > 0.1).length,
  };
}

const TERMS = { loss: 0, reconstruction: 0, weightDecay: 0, sparsity: 0 };

describe('metrics on hand-built codes', () => {
  // 10 rows × 5 units: unit 0 never fires, unit 1 always, unit 2 on 1 row (0.1: not dense),
  // unit 3 on 2 rows (dense), unit 4 only with tiny values (active for relu, not for sigmoid).
  const rows = 10;
  const h = 5;
  const hidden = new Float32Array(rows * h);
  for (let i = 0; i < rows; i++) {
    hidden[i * h + 1] = 0.9;
    hidden[i * h + 4] = 0.005;
  }
  hidden[3 * h + 2] = 0.7;
  hidden[0 * h + 3] = 0.2;
  hidden[7 * h + 3] = 0.02;
  const x = randomMatrix(rows, 2, 3).data;
  const forward = { hidden, output: x.slice() };

  it('should count l0, dead and dense units with > 0 as active for relu and topk', () => {
    for (const architecture of ['relu', 'topk'] as const) {
      const m = computeMetrics(TERMS, new Float32Array(h), forward, x, rows, 2, h, architecture);
      expect(m.l0).toBe((10 + 1 + 2 + 10) / 10);
      expect(m.deadUnits).toBe(1);
      expect(m.denseUnits).toBe(3); // units 1, 3 and 4
      expect(m.fvu).toBe(0);
      expect(m.explainedVariance).toBe(1);
    }
  });

  it('should count with > DEAD_UNIT_THRESHOLD as active for sigmoid', () => {
    expect(DEAD_UNIT_THRESHOLD).toBe(0.01);
    expect(DENSE_UNIT_FREQUENCY).toBe(0.1);
    const m = computeMetrics(TERMS, new Float32Array(h), forward, x, rows, 2, h, 'sigmoid');
    expect(m.l0).toBe((10 + 1 + 2) / 10);
    expect(m.deadUnits).toBe(2); // units 0 and 4
    expect(m.denseUnits).toBe(2); // units 1 and 3
  });

  it('should give a null explainedVariance when fvu is null (one row)', () => {
    const one = { hidden: hidden.slice(0, h), output: x.slice(0, 2) };
    const m = computeMetrics(TERMS, new Float32Array(h), one, x.slice(0, 2), 1, 2, h, 'relu');
    expect(m.fvu).toBeNull();
    expect(m.explainedVariance).toBeNull();
  });
});

describe('metrics of trained models against the reference over encode', () => {
  const configs = [
    { architecture: 'sigmoid' },
    { architecture: 'relu', sparsityWeight: 0.02 },
    { architecture: 'topk', k: 3 },
  ] as const;
  for (const config of configs) {
    it(`${config.architecture}: l0, dead, dense, explainedVariance and firingFrequency`, async () => {
      const backend = await backendPromise;
      const data = randomMatrix(40, 6, 5);
      const model = SparseAutoencoder.create(6, { hiddenSize: 12, ...config }, backend, { seed: 4 });
      model.fit(data, { epochs: 3, batchSize: 8 });
      const ref = reference(model.encode(data), config.architecture);
      const m = model.evaluate(data);
      expect(m.l0).toBe(ref.l0);
      expect(m.deadUnits).toBe(ref.deadUnits);
      expect(m.denseUnits).toBe(ref.denseUnits);
      expect(m.explainedVariance).toBe(1 - m.fvu!);
      expect(Array.from(model.firingFrequency(data))).toEqual(ref.frequency);
      model.dispose();
    });
  }
});

describe('topk L0', () => {
  it('should be exactly k on every row where at least k pre-activations are positive', async () => {
    const backend = await backendPromise;
    const [n, h, k] = [8, 24, 4];
    const train = randomMatrix(64, n, 21, -1, 1);
    const model = SparseAutoencoder.create(n, { hiddenSize: h, architecture: 'topk', k, normalize: 'none' }, backend, { seed: 6 });
    model.fit(train, { epochs: 2, batchSize: 16 });
    const data = randomMatrix(200, n, 22, -1, 1);
    const z = preActivations(model.getParameters(), data.data, data.rows, model.shape);
    const codes = model.encode(data);
    const ref = reference(codes, 'topk');
    const full: number[] = [];
    for (let i = 0; i < data.rows; i++) {
      const row = Array.from(z.subarray(i * h, (i + 1) * h));
      if (row.some((v) => Math.abs(v) < 1e-4)) continue; // float32 and float64 might disagree on its sign
      const positive = row.filter((v) => v > 0).length;
      if (positive >= k) {
        expect(ref.perRow[i], `row ${i}`).toBe(k);
        full.push(i);
      } else {
        expect(ref.perRow[i], `row ${i}`).toBe(positive);
      }
    }
    expect(full.length).toBeGreaterThan(150);
    // evaluate's l0 on those rows is k itself
    const rows = { rows: full.length, cols: n, data: Float32Array.from(full.flatMap((i) => Array.from(data.data.subarray(i * n, (i + 1) * n)))) };
    expect(model.evaluate(rows).l0).toBe(k);
    model.dispose();
  });
});

describe('streamed metrics over several windows', () => {
  const [rows, cols, shardRows] = [53, 4, 5]; // 11 shards: windows of 4, 4 and 3
  const configs = [
    { architecture: 'sigmoid' },
    { architecture: 'relu', sparsityWeight: 0.05 },
    { architecture: 'topk', k: 2 },
  ] as const;
  for (const config of configs) {
    it(`${config.architecture}: equal evaluate on the whole data (l0, dead and dense units exactly)`, async () => {
      const backend = await backendPromise;
      const matrix = randomMatrix(rows, cols, 17, config.architecture === 'sigmoid' ? 0 : -1, 1);
      const model = SparseAutoencoder.create(cols, { hiddenSize: 6, ...config }, backend, { seed: 2 });
      const { metrics } = await model.fitStream(matrixShardSource(matrix, shardRows), { epochs: 2, batchSize: 8 });
      const whole = model.evaluate(matrix);
      expect(metrics.l0).toBe(whole.l0);
      expect(metrics.deadUnits).toBe(whole.deadUnits);
      expect(metrics.denseUnits).toBe(whole.denseUnits);
      expect(Math.abs(metrics.explainedVariance! - whole.explainedVariance!)).toBeLessThanOrEqual(1e-5 * Math.abs(whole.fvu!) + 1e-9);
      expect(metrics.l0).toBe(reference(model.encode(matrix), config.architecture).l0);
      model.dispose();
    });
  }
});

describe('model files written before l0, explainedVariance and denseUnits', () => {
  it('should still load (JSON and binary), their metrics without the new fields', async () => {
    const backend = await backendPromise;
    const data = randomMatrix(20, 4, 8);
    const model = SparseAutoencoder.create(4, { hiddenSize: 5 }, backend, { seed: 1 });
    model.fit(data, { epochs: 1, batchSize: 5 });
    const { explainedVariance: _e, l0: _l, denseUnits: _d, ...legacy } = model.evaluate(data);
    const file = { ...model.toFile(), metrics: legacy };
    const fromJson = SparseAutoencoder.fromFile(JSON.parse(JSON.stringify(file)), backend);
    expect(fromJson.lastMetrics).toEqual(legacy);
    const fromBinary = SparseAutoencoder.fromBytes(toBinaryModelFile({ ...model.toState(), metrics: legacy }), backend);
    expect(fromBinary.lastMetrics).toEqual(legacy);
    expect(fromBinary.evaluate(data)).toEqual(model.evaluate(data));
    for (const m of [model, fromJson, fromBinary]) m.dispose();
  });
});
