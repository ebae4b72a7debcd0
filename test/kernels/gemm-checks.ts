/**
 * GEMM kernels against the float64 reference, on any kernel instance (a KernelHarness): shared by
 * test/kernels/gemm.test.ts (the build Node loads) and test/worker/kernel-builds.test.ts (both
 * builds inside workerd).
 *
 * Tolerance: |C − C_ref| ≤ 1e-5 · Σ_k |a_ik|·|b_kj| + 1e-30 elementwise. Float32 summation of K
 * products errs by at most ≈ K·2⁻²⁴ of Σ|a||b| in the worst case and ≈ √K·2⁻²⁴ typically; the
 * largest K the tests use is 784 (√784·2⁻²⁴ ≈ 1.7e-6), so 1e-5 holds with room while catching any
 * wrong or missing term (one missing product is ≈ 1/K ≥ 1e-3 of the bound's scale). A fused
 * multiply-add (the relaxed build) rounds once instead of twice, which only lowers the error.
 */
import { expect } from 'vitest';

import { gemmReference, sigmoid } from '../../src/reference/sae-reference.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import type { KernelHarness } from './kernel-harness.js';

export type GemmKind = 'nn' | 'tn' | 'nt';

/** The bound's factor on Σ|a||b|. */
export const GEMM_RTOL = 1e-5;

/** Σ_k |a_ik||b_kj| for the form, the scale of the rounding error of C[i,j]. */
export function absoluteProducts(kind: GemmKind, a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float64Array {
  const absA = Float64Array.from(a, Math.abs);
  const absB = Float64Array.from(b, Math.abs);
  return gemmReference(kind, absA, absB, M, K, N);
}

/** C of one kernel call on a fresh scratch area; C starts as NaN, so every element must be written. */
export function runGemm(harness: KernelHarness, kind: GemmKind, a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const { kernels, arena, put, alloc, get } = harness;
  arena.resetScratch();
  const pa = put(a);
  const pb = put(b);
  const pc = alloc(M * N, NaN);
  kernels[`gemm_${kind}`](pa, pb, pc, M, K, N);
  return get(pc, M * N);
}

/** Random A and B in [−1, 1) (seeded) through gemm_{kind}, checked against the reference elementwise. */
export function checkGemm(harness: KernelHarness, kind: GemmKind, M: number, K: number, N: number, seed: number): void {
  const rng = mulberry32(seed);
  const a = randomArray(rng, M * K, -1, 1);
  const b = randomArray(rng, K * N, -1, 1);
  const c = runGemm(harness, kind, a, b, M, K, N);
  const expected = gemmReference(kind, a, b, M, K, N);
  const scale = absoluteProducts(kind, a, b, M, K, N);
  for (let i = 0; i < M * N; i++) {
    const error = Math.abs(c[i]! - expected[i]!);
    if (!(error <= GEMM_RTOL * scale[i]! + 1e-30)) {
      expect.fail(
        `gemm_${kind} ${M}×${K}·${K}×${N}: C[${Math.floor(i / N)},${i % N}] = ${c[i]}, expected ${expected[i]} ` +
          `(error ${error}, bound ${GEMM_RTOL * scale[i]!})`,
      );
    }
  }
}

/**
 * gemm_nn_bias_sigmoid against σ(A·B + bias) in float64. The bias is one more term of the sum
 * (1·bias_j), so the sum's bound is GEMM_RTOL·(Σ|a||b| + |bias_j|); σ′ ≤ ¼ shrinks it, and the
 * kernel's σ adds its own relative error (≤ 1.5e-7 measured, test/kernels/elementwise.test.ts;
 * 5e-7 allowed).
 */
export function checkGemmBiasSigmoid(harness: KernelHarness, M: number, K: number, N: number, seed: number): void {
  const { kernels, arena, put, alloc, get } = harness;
  const rng = mulberry32(seed);
  const a = randomArray(rng, M * K, -1, 1);
  const b = randomArray(rng, K * N, -1, 1);
  const bias = randomArray(rng, N, -2, 2);
  arena.resetScratch();
  const pc = alloc(M * N, NaN);
  kernels.gemm_nn_bias_sigmoid(put(a), put(b), put(bias), pc, M, K, N);
  const c = get(pc, M * N);
  const z = gemmReference('nn', a, b, M, K, N);
  const scale = absoluteProducts('nn', a, b, M, K, N);
  for (let i = 0; i < M * N; i++) {
    const expected = sigmoid(z[i]! + bias[i % N]!);
    const bound = 0.25 * GEMM_RTOL * (scale[i]! + Math.abs(bias[i % N]!)) + 5e-7 * expected;
    const error = Math.abs(c[i]! - expected);
    if (!(error <= bound)) {
      expect.fail(
        `gemm_nn_bias_sigmoid ${M}×${K}·${K}×${N}: C[${Math.floor(i / N)},${i % N}] = ${c[i]}, expected ${expected} ` +
          `(error ${error}, bound ${bound})`,
      );
    }
  }
}

/** What fusedProductProbe gives when the kernel fuses its multiply-adds (one rounding). */
export const FUSED_PRODUCT_RESULT = 2 ** -24;

/**
 * A 1×2·2×1 gemm_nn that tells a fused multiply-add from mul + add: C = a0·b0 + a1·b1 with
 * a0·b0 = −(1 + 2⁻¹¹) exact and a1·b1 = 1 + 2⁻¹¹ + 2⁻²⁴, which rounds to 1 + 2⁻¹¹ on its own:
 * unfused, C = 0; fused, C = FUSED_PRODUCT_RESULT (2⁻²⁴).
 */
export function fusedProductProbe(harness: KernelHarness): number {
  const { kernels, arena, put, alloc, get } = harness;
  arena.resetScratch();
  const a = put([-1, 1 + 2 ** -12]);
  const b = put([1 + 2 ** -11, 1 + 2 ** -12]);
  const c = alloc(1);
  kernels.gemm_nn(a, b, c, 1, 2, 1);
  return get(c, 1)[0]!;
}
