/**
 * The batchtopk kernels (assembly/batch-top-k.ts) against the float64 reference's definitions
 * (src/reference/batchtopk-reference.ts): the radix select of the batch's k·m largest codes with
 * ties (many, on a coarse grid), zeros and negatives, values that share their top bits, more
 * places than positive values, and min_positive and copy_block.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { batchTopKCodes } from '../../src/reference/batchtopk-reference.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { createHarness, type KernelHarness } from './kernel-harness.js';

let harness: KernelHarness;
beforeAll(async () => {
  harness = await createHarness();
});

const SHAPES: [number, number][] = [[1, 1], [1, 5], [3, 4], [7, 11], [5, 13], [16, 3], [4, 100], [64, 48]];

describe('batch_top_k_codes', () => {
  it.each([
    ['a coarse grid (many ties)', (v: number) => Math.round(v * 2) / 2],
    ['continuous values', (v: number) => v],
    ['values sharing their top bits (1 + tiny)', (v: number) => 1 + Math.abs(v) * 1e-6],
  ])('should keep max(z, 0) of the batch\'s k·m largest, ties to the lower flat index, as the reference (%s)', (_label, shapeValue) => {
    const { kernels, arena, put, alloc, get } = harness;
    SHAPES.forEach(([rows, cols], s) => {
      const rng = mulberry32(70 + s);
      const z = Float32Array.from(randomArray(rng, rows * cols, -3, 3), shapeValue);
      for (const k of [1, 2, Math.ceil(cols / 2), cols]) {
        arena.resetScratch();
        const pa = alloc(rows * cols);
        kernels.batch_top_k_codes(put(z), pa, alloc(2048), rows * cols, k * rows);
        const expected = Array.from(batchTopKCodes(z, rows, cols, k));
        expect(Array.from(get(pa, rows * cols)), `${rows}×${cols}, k ${k}`).toEqual(expected);
      }
    });
  });

  it('should keep exactly k·m codes when that many are positive, and every positive one when fewer are', () => {
    const { kernels, arena, put, alloc, get } = harness;
    arena.resetScratch();
    const rows = 32, cols = 64, k = 5;
    const z = Float32Array.from(randomArray(mulberry32(3), rows * cols, 0.01, 1));
    const pa = alloc(rows * cols);
    kernels.batch_top_k_codes(put(z), pa, alloc(2048), rows * cols, k * rows);
    expect(Array.from(get(pa, rows * cols)).filter((v) => v > 0).length).toBe(k * rows);
    const sparse = Float32Array.from(z, (v, q) => (q % 50 === 0 ? v : -v));
    kernels.batch_top_k_codes(put(sparse), pa, alloc(2048), rows * cols, k * rows);
    expect(Array.from(get(pa, rows * cols)).filter((v) => v > 0).length).toBe(Math.ceil((rows * cols) / 50));
    kernels.batch_top_k_codes(put(z), pa, alloc(2048), rows * cols, 0);
    expect(Array.from(get(pa, rows * cols)).every((v) => v === 0)).toBe(true);
  });
});

describe('min_positive and copy_block', () => {
  it('should give the smallest positive value (0 when none), over the f32x4 body and the tail', () => {
    const { kernels, arena, put } = harness;
    for (const count of [0, 1, 3, 4, 7, 33]) {
      arena.resetScratch();
      const v = Float32Array.from(randomArray(mulberry32(count), count, -1, 1));
      const positives = Array.from(v).filter((x) => x > 0);
      expect(kernels.min_positive(put(v), count), `count ${count}`).toBe(positives.length ? Math.min(...positives) : 0);
    }
  });

  it('should copy a column block out of a matrix and back', () => {
    const { kernels, arena, put, alloc, get } = harness;
    arena.resetScratch();
    const src = Float32Array.from({ length: 3 * 5 }, (_, q) => q);
    const block = alloc(3 * 2);
    const ps = put(src);
    kernels.copy_block(ps + 2 * 4, 5, block, 2, 3, 2); // columns 2..3
    expect(Array.from(get(block, 6))).toEqual([2, 3, 7, 8, 12, 13]);
    const dst = alloc(3 * 5);
    new Float32Array(kernels.memory.buffer, dst, 15).fill(-1);
    kernels.copy_block(block, 2, dst + 1 * 4, 5, 3, 2);
    expect(Array.from(get(dst, 15))).toEqual([-1, 2, 3, -1, -1, -1, 7, 8, -1, -1, -1, 12, 13, -1, -1]);
  });
});
