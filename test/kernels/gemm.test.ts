/**
 * The three GEMM forms and the fused forward against the float64 reference (the checks and their
 * tolerance are in gemm-checks.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRoofline } from '../../bench/roofline.bench.js';
import { gemmReference } from '../../src/reference/sae-reference.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { checkGemm as checkGemmOn, checkGemmBiasSigmoid, type GemmKind } from './gemm-checks.js';
import { createHarness, type KernelHarness } from './kernel-harness.js';

let harness: KernelHarness;
beforeAll(async () => {
  harness = await createHarness();
});

function checkGemm(kind: GemmKind, M: number, K: number, N: number, seed: number): void {
  checkGemmOn(harness, kind, M, K, N, seed);
}

// Sizes around the register blocks (4 rows; 8 and 4 columns for nn/tn; 4×2 dot products and
// k by 4 and 8 for nt): every residue mod 4 and mod 8, 1×1×1, single rows and columns.
const EDGE_SIZES: [number, number, number][] = [
  [1, 1, 1], [1, 1, 8], [1, 7, 1], [2, 3, 5], [3, 3, 3], [4, 4, 4], [4, 8, 8], [5, 5, 5],
  [1, 64, 192], [7, 5, 11], [8, 9, 17], [9, 10, 13], [12, 1, 12], [13, 16, 3], [16, 31, 24],
  [17, 33, 9], [6, 2, 7], [11, 12, 10], [4, 1, 9], [1, 300, 1], [33, 65, 31], [64, 64, 64],
  // k longer than one 256-row pass of the nn/tn tiles: later passes add to C
  [9, 600, 13], [5, 257, 17], [8, 512, 12], [3, 513, 1],
];

describe.each(['nn', 'tn', 'nt'] as const)('gemm_%s', (kind) => {
  it('should match the float64 reference at the block edges', () => {
    EDGE_SIZES.forEach(([M, K, N], index) => checkGemm(kind, M, K, N, 1000 + index));
  });

  it('should match the float64 reference on random sizes', () => {
    const rng = mulberry32(kind.charCodeAt(0) * 31 + kind.charCodeAt(1));
    for (let trial = 0; trial < 40; trial++) {
      const M = 1 + Math.floor(rng() * 40);
      const K = 1 + Math.floor(rng() * 70);
      const N = 1 + Math.floor(rng() * 40);
      checkGemm(kind, M, K, N, 5000 + trial);
    }
  });

  it('should overwrite C (not accumulate into it)', () => {
    const { kernels, arena, put, alloc, get } = harness;
    arena.resetScratch();
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([1, 1, 1, 1, 1, 1]);
    const pa = put(a);
    const pb = put(b);
    const pc = alloc(6, 1e9);
    kernels[`gemm_${kind}`](pa, pb, pc, 2, 3, 2); // A and B hold 6 floats in every form
    const c = get(pc, 4);
    expect(Array.from(c)).toEqual(Array.from(gemmReference(kind, a, b, 2, 3, 2)));
    expect(get(pc + 16, 2)).toEqual(new Float32Array([1e9, 1e9])); // nothing written past C
  });
});

describe('gemm at the benchmark shapes', () => {
  it('should match the reference at 256×64·64×192 (all forms)', () => {
    for (const kind of ['nn', 'tn', 'nt'] as const) checkGemm(kind, 256, 64, 192, 77);
  });
});

describe('gemm_nn_bias_sigmoid', () => {
  it('should match σ(A·B + bias) in float64', () => {
    for (const [M, K, N] of [[1, 1, 1], [7, 5, 11], [33, 65, 31], [9, 600, 13]] as const) checkGemmBiasSigmoid(harness, M, K, N, 4000 + M);
  });

  it('should equal gemm_nn then bias_sigmoid, bit for bit (the epilogue does the same float32 steps)', () => {
    const { kernels, arena, put, alloc, get } = harness;
    EDGE_SIZES.forEach(([M, K, N], index) => {
      arena.resetScratch();
      const rng = mulberry32(9000 + index);
      const a = randomArray(rng, M * K, -1, 1);
      const b = randomArray(rng, K * N, -1, 1);
      const bias = randomArray(rng, N, -2, 2);
      const pa = put(a);
      const pb = put(b);
      const pbias = put(bias);
      const fused = alloc(M * N, NaN);
      kernels.gemm_nn_bias_sigmoid(pa, pb, pbias, fused, M, K, N);
      const twoPass = alloc(M * N, NaN);
      kernels.gemm_nn(pa, pb, twoPass, M, K, N);
      kernels.bias_sigmoid(twoPass, pbias, M, N);
      expect(get(fused, M * N), `${M}×${K}·${K}×${N}`).toEqual(get(twoPass, M * N));
    });
  });
});

describe('simd_peak (the benchmark roofline, a bench-only build)', () => {
  it('should run its chains and return a finite sum', () => {
    const roofline = loadRoofline();
    expect(Number.isFinite(roofline.simd_peak(1000, 0.5))).toBe(true);
    expect(Number.isFinite(roofline.simd_peak_variable(1000, 0.5))).toBe(true);
  });

  it('should not be exported by the production kernels', () => {
    const exported = Object.keys(harness.kernels);
    for (const name of ['simd_peak', 'simd_peak_variable', 'nop']) expect(exported).not.toContain(name);
  });
});
