/**
 * The relu and topk kernels (assembly/sparse-codes.ts) against the float64 reference's
 * definitions (src/reference/linear-sae-reference.ts), at sizes that exercise the f32x4 body and
 * the scalar tail, with ties and masks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { auxCodes, topMask } from '../../src/reference/linear-sae-reference.js';
import { expectAllClose } from '../helpers/allclose.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { createHarness, type KernelHarness } from './kernel-harness.js';

let harness: KernelHarness;
beforeAll(async () => {
  harness = await createHarness();
});

const SHAPES: [number, number][] = [[1, 1], [1, 5], [3, 4], [7, 11], [2, 8], [5, 13], [16, 3], [4, 100]];

function putU8(values: ArrayLike<number>): number {
  const address = harness.arena.allocateScratch(values.length);
  new Uint8Array(harness.kernels.memory.buffer, address, values.length).set(Array.from(values));
  return address;
}

describe('top_k_codes', () => {
  it('should keep max(z, 0) of each row\'s k largest, ties to the lower index, as the reference does', () => {
    const { kernels, arena, put, alloc, get } = harness;
    SHAPES.forEach(([rows, cols], s) => {
      const rng = mulberry32(40 + s);
      // values on a coarse grid, so that rows have many ties (and zeros, and negatives)
      const z = Float32Array.from(randomArray(rng, rows * cols, -3, 3), (v) => Math.round(v * 2) / 2);
      for (const k of [1, 2, Math.ceil(cols / 2), cols]) {
        arena.resetScratch();
        const pa = alloc(rows * cols);
        kernels.top_k_codes(put(z), 0, pa, alloc(cols), rows, cols, k);
        const keep = topMask(z, rows, cols, k);
        const expected = Array.from(z, (v, q) => (keep[q] && v > 0 ? v : 0));
        expect(Array.from(get(pa, rows * cols)), `${rows}×${cols}, k ${k}`).toEqual(expected);
      }
    });
  });

  it('should select among the allowed units only, at most as many as are allowed (the AuxK codes)', () => {
    const { kernels, arena, put, alloc, get } = harness;
    SHAPES.forEach(([rows, cols], s) => {
      const rng = mulberry32(60 + s);
      const z = Float32Array.from(randomArray(rng, rows * cols, -3, 3), (v) => Math.round(v * 4) / 4);
      const allowed = Uint8Array.from({ length: cols }, () => (rng() < 0.4 ? 1 : 0));
      for (const count of [1, 3, cols + 5]) {
        arena.resetScratch();
        const pa = alloc(rows * cols);
        kernels.top_k_codes(put(z), putU8(allowed), pa, alloc(cols), rows, cols, count);
        const expected = Array.from(auxCodes(Float64Array.from(z), rows, cols, count, allowed));
        expect(Array.from(get(pa, rows * cols)), `${rows}×${cols}, count ${count}`).toEqual(expected);
      }
    });
  });
});

describe('elementwise relu and topk kernels', () => {
  it('relu, code_delta and masked_add should pass only where the code is positive', () => {
    const { kernels, arena, put, alloc, get } = harness;
    SHAPES.forEach(([rows, cols], s) => {
      arena.resetScratch();
      const rng = mulberry32(80 + s);
      const z = randomArray(rng, rows * cols, -1, 1);
      const pa = alloc(rows * cols);
      kernels.relu(put(z), pa, rows * cols);
      const a = get(pa, rows * cols);
      expect(Array.from(a)).toEqual(Array.from(z, (v) => (v > 0 ? v : 0)));
      const dZ = randomArray(rng, rows * cols, -1, 1);
      const add = randomArray(rng, cols, -1, 1);
      const pd = put(dZ);
      kernels.code_delta(pd, pa, put(add), rows, cols);
      expect(Array.from(get(pd, rows * cols))).toEqual(Array.from(dZ, (v, q) => (a[q]! > 0 ? Math.fround(v + add[q % cols]!) : 0)));
      const dst = randomArray(rng, rows * cols, -1, 1);
      const src = randomArray(rng, rows * cols, -1, 1);
      const pdst = put(dst);
      kernels.masked_add(pdst, put(src), pa, rows * cols);
      expect(Array.from(get(pdst, rows * cols))).toEqual(Array.from(dst, (v, q) => (a[q]! > 0 ? Math.fround(v + src[q]!) : v)));
    });
  });

  it('row_norms, normalize_rows and l1_decoder_gradient should follow their formulas', () => {
    const { kernels, arena, put, alloc, get } = harness;
    SHAPES.forEach(([rows, cols], s) => {
      arena.resetScratch();
      const rng = mulberry32(100 + s);
      const w = randomArray(rng, rows * cols, -2, 2);
      w.fill(0, 0, cols); // a zero row: norm 0, left alone, no gradient
      const norms = Array.from({ length: rows }, (_, j) => Math.hypot(...w.subarray(j * cols, (j + 1) * cols)));
      const pn = alloc(rows);
      kernels.row_norms(put(w), pn, rows, cols);
      expectAllClose(get(pn, rows), norms, { atol: 0, rtol: 1e-7 }, 'norms');
      const pw = put(w);
      kernels.normalize_rows(pw, rows, cols);
      const unit = Array.from(w, (v, q) => (norms[Math.floor(q / cols)]! > 0 ? v / norms[Math.floor(q / cols)]! : 0));
      expectAllClose(get(pw, rows * cols), unit, { atol: 0, rtol: 3e-7 }, 'normalized rows');
      const codeSum = randomArray(rng, rows, 0, 3);
      const g = randomArray(rng, rows * cols, -1, 1);
      const pg = put(g);
      const total = kernels.l1_decoder_gradient(pg, put(w), put(codeSum), put(get(pn, rows)), rows, cols, 0.5);
      const expectedG = Array.from(g, (v, q) => {
        const j = Math.floor(q / cols);
        return norms[j]! > 0 ? v + (0.5 * codeSum[j]! * w[q]!) / norms[j]! : v;
      });
      expectAllClose(get(pg, rows * cols), expectedG, { atol: 1e-6, rtol: 1e-5 }, 'L1 decoder gradient');
      expect(total).toBeCloseTo(norms.reduce((t, nj, j) => t + codeSum[j]! * nj, 0), 4);
    });
  });

  it('update_steps_since_fired and dead_mask should count steps without a positive code', () => {
    const { kernels, arena, put, putU32 } = harness;
    arena.resetScratch();
    const steps = putU32([0, 4, 9, 2, 7]);
    kernels.update_steps_since_fired(put([0, 1, 0, 0, 0, /* row 2 */ 0, 0, 0, 0.5, -1]), steps, 2, 5);
    expect(Array.from(arena.u32(steps, 5))).toEqual([1, 0, 10, 0, 8]);
    const mask = arena.allocateScratch(5);
    expect(kernels.dead_mask(steps, mask, 5, 8)).toBe(2);
    expect(Array.from(new Uint8Array(harness.kernels.memory.buffer, mask, 5))).toEqual([0, 0, 1, 0, 1]);
  });

  it('linear_output_delta and aux_delta should return their sums of squares and scale the deltas', () => {
    const { kernels, arena, put, alloc, get } = harness;
    for (const count of [1, 3, 4, 7, 64, 67]) {
      arena.resetScratch();
      const rng = mulberry32(120 + count);
      const y = randomArray(rng, count, -2, 2);
      const x = randomArray(rng, count, -2, 2);
      const pd = alloc(count);
      const sum = kernels.linear_output_delta(put(y), put(x), pd, count, 0.25);
      expect(sum).toBeCloseTo(Array.from(y).reduce((t, v, q) => t + Math.fround(v - x[q]!) ** 2, 0), 10);
      expect(Array.from(get(pd, count))).toEqual(Array.from(y, (v, q) => Math.fround(0.25 * Math.fround(v - x[q]!))));
      const eHat = randomArray(rng, count, -1, 1);
      const pAux = alloc(count);
      const auxSum = kernels.aux_delta(put(eHat), put(x), put(y), pAux, count, 2);
      const diffs = Array.from(eHat, (v, q) => Math.fround(v - Math.fround(x[q]! - y[q]!)));
      expect(auxSum).toBeCloseTo(diffs.reduce((t, d) => t + d * d, 0), 10);
      expect(Array.from(get(pAux, count))).toEqual(diffs.map((d) => Math.fround(2 * d)));
    }
  });
});
