/**
 * The non-GEMM kernels against float64 formulas, at lengths that exercise both the f32x4 body
 * and the scalar tail (counts ≡ 0, 1, 2, 3 mod 4, and 1).
 *
 * Tolerances: one or two float32 roundings per element → rtol 1e-6 (≈ 8 ulp), except where
 * stated; f64-accumulated sums → rtol 1e-12 relative to the f64 sum of the f32 inputs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectAllClose } from '../helpers/allclose.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { createHarness, type KernelHarness } from './kernel-harness.js';

let harness: KernelHarness;
beforeAll(async () => {
  harness = await createHarness();
});

const COUNTS = [1, 2, 3, 4, 5, 7, 8, 13, 64, 67];
const SHAPES: [number, number][] = [[1, 1], [1, 5], [3, 4], [7, 11], [2, 8], [5, 13], [16, 3]];
const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));

describe('bias_sigmoid', () => {
  it('should compute σ(z + bias[j]) in place', () => {
    const { kernels, arena, put, get } = harness;
    SHAPES.forEach(([rows, cols], s) => {
      arena.resetScratch();
      const rng = mulberry32(10 + s);
      const z = randomArray(rng, rows * cols, -8, 8);
      const bias = randomArray(rng, cols, -2, 2);
      const pz = put(z);
      kernels.bias_sigmoid(pz, put(bias), rows, cols);
      const expected = Array.from(z, (v, k) => sigmoid(Math.fround(v + bias[k % cols]!)));
      expectAllClose(get(pz, rows * cols), expected, { atol: 0, rtol: 5e-7 }, `σ ${rows}×${cols}`);
    });
  });

  it('should be accurate to a few ulp over the whole useful range (SIMD exp)', () => {
    // σ(t) for t in [−87, 87]; the relative error of σ is what the polynomial exp must keep small.
    const { kernels, arena, put, get } = harness;
    arena.resetScratch();
    const count = 200_003; // not a multiple of 4: the scalar tail goes through the same path
    const t = new Float32Array(count);
    for (let k = 0; k < count; k++) t[k] = -87 + (174 * k) / (count - 1);
    const pz = put(t);
    kernels.bias_sigmoid(pz, put([0]), count, 1);
    const pz4 = put(t);
    kernels.bias_sigmoid(pz4, put([0, 0, 0, 0]), count >> 2, 4);
    const out = get(pz, count);
    const out4 = get(pz4, (count >> 2) * 4);
    let worst = 0;
    for (let k = 0; k < count; k++) {
      const exact = sigmoid(t[k]!);
      worst = Math.max(worst, Math.abs(out[k]! - exact) / exact);
      if (k < out4.length) worst = Math.max(worst, Math.abs(out4[k]! - exact) / exact);
    }
    // measured 1.47e-7 (≈ 1.2 ulp) here; see the comment in assembly/activations.ts
    expect(worst).toBeLessThan(2e-7);
  });

  it('should saturate cleanly at ±large and keep NaN', () => {
    const { kernels, arena, put, get } = harness;
    arena.resetScratch();
    const z = [1000, -1000, 88.7, -88.7, 0, NaN, Infinity, -Infinity];
    const pz = put(z);
    kernels.bias_sigmoid(pz, put(new Float32Array(8)), 1, 8);
    const out = get(pz, 8);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeGreaterThanOrEqual(0);
    expect(out[1]).toBeLessThan(1e-37);
    expect(out[2]).toBe(1);
    expect(out[3]).toBeLessThan(1e-37);
    expect(out[4]).toBe(0.5);
    expect(Number.isNaN(out[5])).toBe(true);
    expect(out[6]).toBe(1);
    expect(out[7]).toBeLessThan(1e-37);
  });
});

describe('output_delta', () => {
  it('should write scale·(y−x)·y·(1−y) and return Σ(y−x)² in f64', () => {
    const { kernels, arena, put, alloc, get } = harness;
    COUNTS.forEach((count, s) => {
      arena.resetScratch();
      const rng = mulberry32(20 + s);
      const y = randomArray(rng, count, 0.01, 0.99);
      const x = randomArray(rng, count, 0, 1);
      const scale = s % 2 === 0 ? 1 : 1 / 7;
      const pd = alloc(count);
      const sum = kernels.output_delta(put(y), put(x), pd, count, scale);
      const expected = Array.from(y, (yk, k) => Math.fround(scale) * (yk - x[k]!) * yk * (1 - yk));
      let expectedSum = 0;
      for (let k = 0; k < count; k++) expectedSum += Math.fround(y[k]! - x[k]!) ** 2;
      expectAllClose(get(pd, count), expected, { atol: 1e-12, rtol: 1e-6 }, `delta, count ${count}`);
      expect(Math.abs(sum - expectedSum)).toBeLessThanOrEqual(1e-12 * expectedSum + 1e-300);
    });
  });
});

describe('column_sum and column_mean', () => {
  it('should sum and average each column', () => {
    const { kernels, arena, put, alloc, get } = harness;
    SHAPES.forEach(([rows, cols], s) => {
      arena.resetScratch();
      const a = randomArray(mulberry32(30 + s), rows * cols, -1, 1);
      const pa = put(a);
      const sums = new Float64Array(cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sums[j]! += a[i * cols + j]!;
      const po = alloc(cols);
      kernels.column_sum(pa, po, rows, cols);
      expectAllClose(get(po, cols), sums, { atol: 1e-6, rtol: 1e-6 }, `column_sum ${rows}×${cols}`);
      kernels.column_mean(pa, po, rows, cols);
      expectAllClose(get(po, cols), sums.map((v) => v / rows), { atol: 1e-6, rtol: 1e-6 }, `column_mean ${rows}×${cols}`);
    });
  });
});

describe('kl_gradient', () => {
  it('should write β·invM·KL′(q) with q clamped and return Σ KL(ρ‖q)', () => {
    const { kernels, arena, put, alloc, get } = harness;
    arena.resetScratch();
    const rhoHat = [0.1, 0.5, 0.02, 0.97, 0, 1, 1e-9, 0.3, 0.7];
    const rho = Math.fround(0.1), beta = 3, invM = 1 / 7; // ρ as stored in f32, so q = ρ exactly below
    const po = alloc(rhoHat.length);
    const kl = kernels.kl_gradient(put(rhoHat), po, rhoHat.length, rho, beta, invM, 1e-6);
    let expectedKl = 0;
    const expected = rhoHat.map((r) => {
      const q = Math.min(Math.max(Math.fround(r), 1e-6), 1 - 1e-6);
      expectedKl += rho * Math.log(rho / q) + (1 - rho) * Math.log((1 - rho) / (1 - q));
      return beta * invM * (-rho / q + (1 - rho) / (1 - q));
    });
    expectAllClose(get(po, rhoHat.length), expected, { atol: 0, rtol: 1e-7 }, 'KL gradient');
    expect(kl).toBeCloseTo(expectedKl, 10);
    expect(get(po, 1)[0]).toBe(0); // q = ρ: no pull
  });
});

describe('hidden_delta', () => {
  it('should compute (dA + klGrad[j])·a·(1−a) in place', () => {
    const { kernels, arena, put, get } = harness;
    SHAPES.forEach(([rows, cols], s) => {
      arena.resetScratch();
      const rng = mulberry32(40 + s);
      const dA = randomArray(rng, rows * cols, -1, 1);
      const a = randomArray(rng, rows * cols, 0, 1);
      const kl = randomArray(rng, cols, -0.5, 0.5);
      const pd = put(dA);
      kernels.hidden_delta(pd, put(a), put(kl), rows, cols);
      const expected = Array.from(dA, (d, k) => (d + kl[k % cols]!) * a[k]! * (1 - a[k]!));
      expectAllClose(get(pd, rows * cols), expected, { atol: 1e-7, rtol: 1e-6 }, `hidden_delta ${rows}×${cols}`);
    });
  });
});

describe('sum_squares', () => {
  it('should return Σp² accumulated in f64', () => {
    const { kernels, arena, put } = harness;
    COUNTS.forEach((count, s) => {
      arena.resetScratch();
      const p = randomArray(mulberry32(50 + s), count, -3, 3);
      let expected = 0;
      for (const v of p) expected += v * v;
      expect(Math.abs(kernels.sum_squares(put(p), count) - expected)).toBeLessThanOrEqual(1e-13 * expected);
    });
    expect(kernels.sum_squares(harness.put([]), 0)).toBe(0);
  });
});

describe('optimizer kernels', () => {
  it('add_scaled should add α·src', () => {
    const { kernels, arena, put, get } = harness;
    COUNTS.forEach((count, s) => {
      arena.resetScratch();
      const rng = mulberry32(60 + s);
      const dst = randomArray(rng, count, -1, 1);
      const src = randomArray(rng, count, -1, 1);
      const pd = put(dst);
      kernels.add_scaled(pd, put(src), count, 0.1);
      const alpha = Math.fround(0.1);
      // exactly the f32 operations: dst + fround(α·src)
      expect(get(pd, count)).toEqual(Float32Array.from(dst, (d, k) => d + Math.fround(alpha * src[k]!)));
    });
  });

  it('sgd_update should subtract lr·g exactly as float32 does', () => {
    const { kernels, arena, put, get } = harness;
    COUNTS.forEach((count, s) => {
      arena.resetScratch();
      const rng = mulberry32(70 + s);
      const w = randomArray(rng, count, -1, 1);
      const g = randomArray(rng, count, -1, 1);
      const pw = put(w);
      kernels.sgd_update(pw, put(g), count, 0.05);
      const lr = Math.fround(0.05);
      expect(get(pw, count)).toEqual(Float32Array.from(w, (wk, k) => wk - Math.fround(lr * g[k]!)));
    });
  });

  it('adam_update should follow m, v, w −= lrT·m/(√v + ε)', () => {
    const { kernels, arena, put, get } = harness;
    COUNTS.forEach((count, s) => {
      arena.resetScratch();
      const rng = mulberry32(80 + s);
      const w = randomArray(rng, count, -1, 1);
      const g = randomArray(rng, count, -1, 1);
      const m = randomArray(rng, count, -0.1, 0.1);
      const v = randomArray(rng, count, 0, 0.01);
      const [lrT, b1, b2, eps] = [0.003, 0.9, 0.999, 1e-7];
      const pw = put(w), pm = put(m), pv = put(v);
      kernels.adam_update(pw, put(g), pm, pv, count, lrT, b1, b2, eps);
      const m2 = Array.from(m, (mk, k) => b1 * mk + (1 - b1) * g[k]!);
      const v2 = Array.from(v, (vk, k) => b2 * vk + (1 - b2) * g[k]! ** 2);
      const w2 = Array.from(w, (wk, k) => wk - (lrT * m2[k]!) / (Math.sqrt(v2[k]!) + eps));
      // m and v are sums of two f32 products that may cancel: absolute error ≈ ulp of the terms
      // (|terms| ≤ 0.1 for m, ≤ 0.01 for v); w: ≈ ulp of |w| ≤ 1.
      expectAllClose(get(pm, count), m2, { atol: 2e-8, rtol: 1e-6 }, 'm');
      expectAllClose(get(pv, count), v2, { atol: 2e-9, rtol: 1e-6 }, 'v');
      expectAllClose(get(pw, count), w2, { atol: 2e-7, rtol: 1e-6 }, 'w');
    });
  });
});

describe('gather_rows', () => {
  it('should copy the named rows in order', () => {
    const { kernels, arena, put, putU32, alloc, get } = harness;
    arena.resetScratch();
    const cols = 5;
    const src = Float32Array.from({ length: 6 * cols }, (_, k) => k);
    const indices = [3, 0, 5, 3, 1];
    const pd = alloc(indices.length * cols);
    kernels.gather_rows(put(src), putU32(indices), pd, indices.length, cols);
    const expected = indices.flatMap((r) => Array.from(src.subarray(r * cols, (r + 1) * cols)));
    expect(Array.from(get(pd, indices.length * cols))).toEqual(expected);
  });
});
