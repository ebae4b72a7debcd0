/**
 * normalize "standardize" (relu and topk): each column to mean 0 and variance 1 with the training
 * data's mean and population standard deviation. Checked against a float64 reference written out
 * here, in memory and streamed (one window: bit for bit; more windows: the same scaling), in both
 * file forms, and refused for the sigmoid model.
 */
import { describe, expect, it } from 'vitest';

import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import type { Matrix } from '../../src/data/matrix.js';
import type { ShardSource } from '../../src/data/shard-source.js';
import { ConfigError, DataError, ModelFileError } from '../../src/errors.js';
import { readModelBytes } from '../../src/model/model-bytes.js';
import { readModelFile } from '../../src/model/model-file.js';
import { fitNormalization } from '../../src/model/normalization.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32 } from '../helpers/random.js';

const backendPromise = loadNodeBackend('assemblyscript').then((b) => b.backend);

/** Columns of very different scales and offsets (column c: offset 100·c − 50, spread 10^(c−1)), and column 2 constant. */
function scaledMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < cols; c++) data[i * cols + c] = c === 2 ? 7.5 : 100 * c - 50 + (rng() * 2 - 1) * 10 ** (c - 1);
  }
  return { rows, cols, data };
}

/** The float64 reference: mean and population standard deviation of each column, plainly. */
function referenceStandardization(m: Matrix): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < m.cols; c++) {
    let sum = 0;
    for (let i = 0; i < m.rows; i++) sum += m.data[i * m.cols + c]!;
    const mu = sum / m.rows;
    let squares = 0;
    for (let i = 0; i < m.rows; i++) squares += (m.data[i * m.cols + c]! - mu) ** 2;
    mean.push(mu);
    std.push(Math.sqrt(squares / m.rows));
  }
  return { mean, std };
}

describe('normalize "standardize"', () => {
  it('should fit each column\'s mean and population standard deviation (float64, rounded once) and map the data to mean 0, variance 1', async () => {
    const m = scaledMatrix(300, 5, 1);
    const norm = fitNormalization('standardize', m.data, m.rows, m.cols);
    if (norm.kind !== 'standardize') throw new Error('expected standardize');
    const ref = referenceStandardization(m);
    expect(Array.from(norm.mean)).toEqual(ref.mean.map(Math.fround));
    expect(Array.from(norm.std)).toEqual(ref.std.map(Math.fround));
    expect(norm.std[2]).toBe(0);

    const backend = await backendPromise;
    const model = SparseAutoencoder.create(5, { hiddenSize: 8, architecture: 'relu', normalize: 'standardize', sparsityWeight: 0.01 }, backend, { seed: 3 });
    model.fit(m, { epochs: 1, batchSize: 32 });
    expect(model.inputNormalization).toEqual(norm);
    // What the model trains on: each column of mean ≈ 0 and variance ≈ 1, the constant one all 0.
    const x = (model as unknown as { prepare(d: Matrix): { x: Float32Array } }).prepare(m).x;
    for (let c = 0; c < 5; c++) {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < m.rows; i++) sum += x[i * 5 + c]!;
      for (let i = 0; i < m.rows; i++) squares += (x[i * 5 + c]! - sum / m.rows) ** 2;
      // (within the float32 rounding of the mean, over the column's spread)
      expect(Math.abs(sum / m.rows), `column ${c} mean`).toBeLessThan(1e-3);
      expect(squares / m.rows, `column ${c} variance`).toBeCloseTo(c === 2 ? 0 : 1, 4);
    }
  });

  it('should reconstruct in the caller\'s scale and learn data whose columns differ by orders of magnitude', async () => {
    const backend = await backendPromise;
    const m = scaledMatrix(400, 5, 2);
    const model = SparseAutoencoder.create(5, { hiddenSize: 10, architecture: 'relu', normalize: 'standardize', sparsityWeight: 0.001 }, backend, { seed: 4 });
    model.fit(m, { epochs: 60, batchSize: 40, learningRate: 0.01 });
    expect(model.evaluate(m).explainedVariance).toBeGreaterThan(0.9);
    const out = model.reconstruct(m).outputs;
    // Column 2 is constant (7.5): its scale is 0, so it comes back exactly as its mean.
    for (let i = 0; i < m.rows; i++) expect(out.data[i * 5 + 2]).toBe(7.5);
    // In the caller's scale: column 4's values are near 350 ± 1000, and so is its reconstruction's mean.
    let sum = 0;
    for (let i = 0; i < m.rows; i++) sum += out.data[i * 5 + 4]!;
    expect(Math.abs(sum / m.rows - 350)).toBeLessThan(100);
  });

  it('should be refused for the sigmoid model, naming config.normalize', async () => {
    const backend = await backendPromise;
    expect(() => SparseAutoencoder.create(4, { normalize: 'standardize' }, backend)).toThrow(ConfigError);
    expect(() => SparseAutoencoder.create(4, { normalize: 'standardize' }, backend)).toThrow(/config\.normalize.*relu and topk/);
  });

  it('should round-trip JSON ⇄ binary ⇄ JSON bit for bit, and refuse a negative or missing standard deviation naming the field', async () => {
    const backend = await backendPromise;
    const m = scaledMatrix(64, 5, 5);
    const model = SparseAutoencoder.create(5, { hiddenSize: 6, architecture: 'topk', k: 2, normalize: 'standardize' }, backend, { seed: 6 });
    model.fit(m, { epochs: 2, batchSize: 16 });
    const json = JSON.stringify(model.toFile());
    const binary = model.toBinaryFile();
    const fromBinary = SparseAutoencoder.fromBytes(binary, backend);
    expect(JSON.stringify(fromBinary.toFile())).toBe(json);
    const fromJson = SparseAutoencoder.fromFile(JSON.parse(json), backend);
    expect(Buffer.from(fromJson.toBinaryFile()).equals(Buffer.from(binary))).toBe(true);
    expect(Array.from(fromJson.encode(m).data)).toEqual(Array.from(model.encode(m).data));

    const file = JSON.parse(json);
    expect(Object.keys(file.normalization)).toEqual(['kind', 'mean', 'std']);
    file.normalization.std[3] = -1;
    expect(() => readModelFile(file)).toThrow(ModelFileError);
    expect(() => readModelFile(file)).toThrow(/normalization\.std\[3\].*at least 0/);
    delete file.normalization.mean;
    expect(() => readModelFile(file)).toThrow(/normalization\.mean/);
    // The binary form names its tensors normalization.mean and normalization.std.
    const header = JSON.parse(Buffer.from(binary.subarray(8, 8 + Number(new DataView(binary.buffer).getBigUint64(0, true)))).toString());
    expect(header['normalization.mean'].shape).toEqual([5]);
    expect(header['normalization.std'].shape).toEqual([5]);
    expect(readModelBytes(binary).normalization.kind).toBe('standardize');
  });
});

describe('normalize "standardize", streamed', () => {
  it('should equal fit bit for bit on one window (relu and topk)', async () => {
    const backend = await backendPromise;
    const m = scaledMatrix(41, 5, 7);
    for (const config of [{ architecture: 'relu', sparsityWeight: 0.01 }, { architecture: 'topk', k: 3 }] as const) {
      const training = { epochs: 3, batchSize: 8, seed: 9, learningRate: 0.01, validationSplit: 0.2 };
      const a = SparseAutoencoder.create(5, { hiddenSize: 8, normalize: 'standardize', ...config }, backend, { seed: 9 });
      const inMemory = a.fit(m, training);
      const b = SparseAutoencoder.create(5, { hiddenSize: 8, normalize: 'standardize', ...config }, backend, { seed: 9 });
      const streamed = await b.fitStream(matrixShardSource(m, 11), training);
      expect(streamed).toEqual(inMemory);
      expect(JSON.stringify(b.toFile())).toBe(JSON.stringify(a.toFile()));
    }
  });

  it('should fit the same standardisation over many windows as over the rows in memory', async () => {
    const backend = await backendPromise;
    const m = scaledMatrix(53, 5, 8); // shards of 5 rows: 11 shards, three windows
    const model = SparseAutoencoder.create(5, { hiddenSize: 6, architecture: 'relu', normalize: 'standardize' }, backend, { seed: 1 });
    await model.fitStream(matrixShardSource(m, 5), { epochs: 1, batchSize: 8 });
    expect(model.inputNormalization).toEqual(fitNormalization('standardize', m.data, m.rows, m.cols));
  });

  it('should refuse a value that is not finite in a shard, naming its row and column', async () => {
    const backend = await backendPromise;
    const m = scaledMatrix(30, 5, 9);
    const source = matrixShardSource(m, 7);
    const bad: ShardSource = {
      ...source,
      readShard: async (index) => {
        const rows = (await source.readShard(index)).slice();
        if (index === 2) rows[3 * 5 + 1] = Number.NaN; // row 2·7 + 3 + 1 = 18, column 2
        return rows;
      },
    };
    const model = SparseAutoencoder.create(5, { hiddenSize: 6, architecture: 'relu', normalize: 'standardize' }, backend, { seed: 1 });
    const error = await model.fitStream(bad, { epochs: 1, batchSize: 8 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).location).toMatchObject({ row: 18, column: 2 });
    expect(model.trained).toBe(false);
  });
});
