/**
 * Numerical robustness on the AssemblyScript kernels: data that is degenerate in every way a
 * caller can make it (constant columns, duplicate rows, a single row, values exactly 0 and 1,
 * very wide rows, h ≫ n, both reductions and optimizers) trains to the end with finite loss,
 * finite weights and finite metrics, and the trained model encodes and round-trips its file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { KernelBackend } from '../../src/backends/types.js';
import type { ModelConfig, TrainingOptions } from '../../src/model/config.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomRows } from '../helpers/random.js';

let backend: KernelBackend;
beforeAll(async () => {
  const loaded = await loadNodeBackend('assemblyscript');
  backend = loaded.backend;
  expect(backend.name).toBe('assemblyscript');
});

/** Every number in a (nested) structure. */
function numbersIn(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number') out.push(value);
  else if (Array.isArray(value)) for (const v of value) numbersIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) numbersIn(v, out);
  return out;
}

/** Trains, then checks everything that came out is finite and the model still works. */
function trainFinite(rows: number[][], config: Partial<ModelConfig>, training: Partial<TrainingOptions>) {
  const n = rows[0]!.length;
  const model = SparseAutoencoder.create(n, config, backend, { seed: 3 });
  try {
    const { lossHistory, metrics } = model.fit(rows, { seed: 3, ...training });
    expect(lossHistory).toHaveLength(training.epochs ?? 1000);
    expect(lossHistory.every(Number.isFinite), `loss history ${lossHistory.slice(0, 5).join(', ')}…`).toBe(true);
    for (const [key, value] of Object.entries(metrics)) {
      if (value !== null) expect(Number.isFinite(value), `metric ${key} = ${value}`).toBe(true);
    }
    const file = model.toFile();
    const weights = numbersIn([file.encoder, file.decoder, file.optimizerState ?? null]);
    expect(weights.length).toBeGreaterThan(2 * n);
    expect(weights.every(Number.isFinite)).toBe(true);
    const codes = model.encode(rows.slice(0, 3));
    expect(Array.from(codes.data).every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    const again = SparseAutoencoder.fromFile(JSON.parse(JSON.stringify(file)), backend);
    expect(Array.from(again.encode(rows.slice(0, 3)).data)).toEqual(Array.from(codes.data));
    again.dispose();
    return { lossHistory, metrics };
  } finally {
    model.dispose();
  }
}

const random = (rows: number, cols: number, seed = 1) => randomRows(mulberry32(seed), rows, cols);

describe('numerical robustness (AssemblyScript kernels)', () => {
  it('should train with constant columns (min = max: normalised to 0), and all-constant data (fvu null)', () => {
    const rows = random(20, 6).map((row) => [row[0]!, 5, row[2]!, -3, row[4]!, 0]);
    trainFinite(rows, { hiddenSize: 8 }, { epochs: 200 });
    const constant = Array.from({ length: 10 }, () => [2, 2, 2, 2]);
    const { metrics } = trainFinite(constant, {}, { epochs: 200 });
    expect(metrics.fvu).toBeNull();
  });

  it('should train on duplicate rows', () => {
    const row = random(1, 8)[0]!;
    trainFinite(Array.from({ length: 32 }, () => row.slice()), {}, { epochs: 200 });
    trainFinite([...random(4, 8), ...random(4, 8)], {}, { epochs: 200, batchSize: 3 });
  });

  it('should train on a single row, with full batches and batches of one', () => {
    const row = [random(1, 5)[0]!];
    trainFinite(row, {}, { epochs: 300 });
    trainFinite(row, { reduction: 'mean' }, { epochs: 300, batchSize: 1, optimizer: 'sgd', learningRate: 0.5 });
  });

  it('should train on values exactly 0 and 1 without normalisation (sigmoid targets at the rails)', () => {
    const rows = Array.from({ length: 16 }, (_, i) => Array.from({ length: 6 }, (_, j) => ((i >> j % 4) & 1 ? 1 : 0)));
    trainFinite(rows, { normalize: 'none' }, { epochs: 300 });
    trainFinite(rows, { normalize: 'none', sparsityWeight: 3, sparsityTarget: 0.01 }, { epochs: 300, learningRate: 0.05 });
    const zeros = Array.from({ length: 4 }, () => Array<number>(5).fill(0));
    const ones = Array.from({ length: 4 }, () => Array<number>(5).fill(1));
    trainFinite(zeros, { normalize: 'none' }, { epochs: 200 });
    trainFinite(ones, { normalize: 'none' }, { epochs: 200 });
  });

  it('should train very wide rows (n = 2,000, few rows, few epochs)', () => {
    const rows = random(6, 2000, 7);
    trainFinite(rows, { hiddenSize: 64 }, { epochs: 5 });
    trainFinite(rows, { hiddenSize: 16, reduction: 'sum', sparsityWeight: 3 }, { epochs: 5, learningRate: 0.01 });
  });

  it('should train with h much larger than n (2 → 512, 3 → 1024)', () => {
    trainFinite(random(12, 2), { hiddenSize: 512 }, { epochs: 100 });
    trainFinite(random(12, 3, 4), { hiddenSize: 1024, sparsityWeight: 3 }, { epochs: 30, learningRate: 0.01 });
  });

  it('should train on data of extreme scale once normalised (1e-30 and 1e30 columns)', () => {
    const rows = random(16, 4).map((row) => [row[0]! * 1e-30, row[1]! * 1e30, row[2]! - 1e6, row[3]!]);
    trainFinite(rows, {}, { epochs: 200 });
  });
});
