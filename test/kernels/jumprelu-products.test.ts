/**
 * jumprelu's training step chooses, product by product, the sparse kernels (assembly/sparse-gemm.ts)
 * or the dense ones (gemm.ts) from the density it measures (src/architectures/jumprelu/assemblyscript.ts):
 * at a sparse state (few codes fire) it takes the sparse ones, at a dense state (most fire) the dense
 * ones, and either way the loss terms and every gradient are the same bits as with every product
 * forced dense or forced sparse.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { AsContext, BaseLossConfig } from '../../src/architectures/contract.js';
import { JUMPRELU_DENSITY_CUTOFFS, jumpReluKernels } from '../../src/architectures/jumprelu/assemblyscript.js';
import type { KernelExports } from '../../src/architectures/kernel-exports.js';
import { linearAssemblyScript, type DensityCutoffs } from '../../src/architectures/linear/assemblyscript.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { createHarness, type KernelHarness } from './kernel-harness.js';

let harness: KernelHarness;
beforeAll(async () => {
  harness = await createHarness();
});

const ALWAYS_SPARSE: DensityCutoffs = { decode: 2, decoderGradient: 2, codeGradient: 2, encoderGradient: 2 };
const ALWAYS_DENSE: DensityCutoffs = { decode: 0, decoderGradient: 0, codeGradient: 0, encoderGradient: 0 };
const NAMES = ['W1', 'b1', 'W2', 'b2', 'theta'] as const;
const LOSS: BaseLossConfig = { architecture: 'jumprelu', l0Coefficient: 0.2, bandwidth: 0.05, sparsityTarget: 0.1, sparsityWeight: 0, weightDecay: 0, reduction: 'mean' };

const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));

/** One backward pass of jumprelu with `cutoffs` at θ = `threshold` everywhere: its terms, gradients' bits and the kernels it called. */
function step(cutoffs: DensityCutoffs, threshold: number, shape: { m: number; n: number; h: number }) {
  const { arena, put, alloc, get } = harness;
  const { m, n, h } = shape;
  arena.resetScratch();
  const rng = mulberry32(31);
  const sizes = { W1: n * h, b1: h, W2: h * n, b2: n, theta: h };
  const values = {
    W1: randomArray(rng, n * h, -0.1, 0.1),
    b1: randomArray(rng, h, -0.05, 0.05),
    W2: randomArray(rng, h * n, -0.1, 0.1),
    b2: randomArray(rng, n, 0, 0.5),
    theta: new Float32Array(h).fill(threshold),
  };
  const params = Object.fromEntries(NAMES.map((name) => [name, put(values[name])])) as Record<(typeof NAMES)[number], number>;
  const grads = Object.fromEntries(NAMES.map((name) => [name, alloc(sizes[name])])) as Record<(typeof NAMES)[number], number>;
  const x = put(randomArray(rng, m * n, 0, 1));
  const called = new Set<string>();
  // the exports object is frozen: a copy whose functions record their names
  const kernels = Object.fromEntries(
    Object.entries(harness.kernels).map(([name, value]) => [
      name,
      typeof value === 'function'
        ? (...args: number[]) => {
            called.add(name);
            return (value as (...a: number[]) => number)(...args);
          }
        : value,
    ]),
  ) as unknown as KernelExports;
  const stepsSinceFired = alloc(h, 0);
  const ctx: AsContext = {
    kernels,
    n,
    h,
    architecture: { architecture: 'jumprelu', k: 0 },
    params,
    grads,
    stepsSinceFired,
    scratch: (bytes) => arena.allocateScratch(bytes),
    f32: (address, count) => arena.f32(address, count),
    u32: (address, count) => arena.u32(address, count),
  };
  const { terms, hidden } = linearAssemblyScript(jumpReluKernels(cutoffs)).backward!(ctx, x, m, LOSS);
  const codes = get(hidden, m * h);
  return {
    terms,
    gradients: Object.fromEntries(NAMES.map((name) => [name, bits(get(grads[name], sizes[name]))])),
    called,
    density: codes.filter((v) => v !== 0).length / (m * h),
  };
}

const SPARSE_KERNELS = ['sparse_gemm_nn', 'sparse_gemm_tn', 'masked_gemm_nt', 'jump_index'];
const DENSE_BACKWARD = ['gemm_tn', 'gemm_nt'];

describe('jumprelu products by measured density', () => {
  // m > 256: sparse_gemm_tn's sums run over two of gemm.ts's passes
  for (const shape of [{ m: 24, n: 40, h: 36 }, { m: 260, n: 33, h: 20 }]) {
    const label = `${shape.m}×${shape.n}→${shape.h}`;

    it(`should take the sparse products when few codes fire, with the dense products' bits (${label})`, () => {
      const chosen = step(JUMPRELU_DENSITY_CUTOFFS, 0.3, shape);
      expect(chosen.density).toBeGreaterThan(0);
      expect(chosen.density).toBeLessThan(Math.min(...Object.values(JUMPRELU_DENSITY_CUTOFFS)) / 2);
      for (const name of SPARSE_KERNELS) expect(chosen.called.has(name), name).toBe(true);
      for (const name of DENSE_BACKWARD) expect(chosen.called.has(name), name).toBe(false);
      const dense = step(ALWAYS_DENSE, 0.3, shape);
      expect(dense.called.has('sparse_gemm_nn')).toBe(false);
      expect(chosen.terms).toEqual(dense.terms);
      expect(chosen.gradients).toEqual(dense.gradients);
      // θ learns at this state (the window holds some z)
      expect(dense.gradients.theta!.some((b) => b !== 0)).toBe(true);
    });

    it(`should take the dense products when most codes fire, with the sparse products' bits (${label})`, () => {
      const chosen = step(JUMPRELU_DENSITY_CUTOFFS, -1, shape);
      expect(chosen.density).toBeGreaterThan(Math.max(...Object.values(JUMPRELU_DENSITY_CUTOFFS)));
      for (const name of ['sparse_gemm_nn', 'sparse_gemm_tn', 'masked_gemm_nt']) expect(chosen.called.has(name), name).toBe(false);
      for (const name of DENSE_BACKWARD) expect(chosen.called.has(name), name).toBe(true);
      const sparse = step(ALWAYS_SPARSE, -1, shape);
      expect(sparse.called.has('gemm_tn')).toBe(false);
      expect(chosen.terms).toEqual(sparse.terms);
      expect(chosen.gradients).toEqual(sparse.gradients);
    });
  }
});
