/**
 * The tutorial's setting on the real kernels: 16 features, 48 hidden units, every default
 * (ρ = 0.1, β = 0.1, α = 0.1, sum reduction, Adam 0.001, 1000 full-batch epochs).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { KernelBackend } from '../../src/backends/types.js';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomRows } from '../helpers/random.js';

let backend: KernelBackend;
beforeAll(async () => {
  backend = (await loadNodeBackend('assemblyscript')).backend;
});

const data = randomRows(mulberry32(2026), 256, 16);

function train(sparsityWeight?: number) {
  const model = SparseAutoencoder.create(16, sparsityWeight === undefined ? {} : { sparsityWeight }, backend, { seed: 1 });
  const result = model.fit(data, { seed: 1 });
  return { model, ...result };
}

describe('the tutorial setting (16 → 48, defaults, 1000 epochs) on the AssemblyScript kernels', () => {
  it('should train 1000 epochs with a falling loss', () => {
    const { lossHistory, model } = train();
    expect(model.hiddenSize).toBe(48);
    expect(lossHistory).toHaveLength(1000);
    expect(lossHistory.every(Number.isFinite)).toBe(true);
    expect(lossHistory[999]!).toBeLessThan(0.5 * lossHistory[0]!);
  });

  it('should end with a mean activation nearer ρ = 0.1 than the same run without the sparsity penalty', () => {
    const sparse = train();
    const dense = train(0);
    const distance = (m: number) => Math.abs(m - 0.1);
    expect(distance(sparse.metrics.meanActivation)).toBeLessThan(distance(dense.metrics.meanActivation));
    // And the penalty is a real force, not a rounding: the gap is material.
    expect(distance(dense.metrics.meanActivation) - distance(sparse.metrics.meanActivation)).toBeGreaterThan(0.01);
  });
});
