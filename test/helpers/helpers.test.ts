import { describe, expect, it } from 'vitest';
import { allClose, expectAllClose, maxAbsDiff } from './allclose.js';
import { mulberry32, randomMatrix, randomRows } from './random.js';

describe('allclose helpers', () => {
  it('maxAbsDiff should return the largest absolute difference', () => {
    expect(maxAbsDiff([1, 2, 3], new Float32Array([1, 2.5, 2]))).toBe(1);
    expect(maxAbsDiff([1, NaN], [1, 1])).toBeNaN();
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/length mismatch/);
  });

  it('should pass values within atol + rtol·|expected|', () => {
    expect(allClose([1.00001, 100.001], [1, 100], { atol: 1e-4, rtol: 1e-5 }).ok).toBe(true);
    expect(() => expectAllClose([0, Infinity], [0, Infinity])).not.toThrow();
  });

  it('should report the worst index on failure', () => {
    expect(() => expectAllClose([1, 2.1, 3.5], [1, 2, 3], { atol: 0.01, rtol: 0 }, 'W1')).toThrow(/W1: not close .*worst at index 2: actual 3.5, expected 3/);
    expect(() => expectAllClose([NaN], [0])).toThrow(/worst at index 0/);
    expect(() => expectAllClose([1], [1, 2], {}, 'b')).toThrow(/b: length 1, expected 2/);
  });
});

describe('random helpers', () => {
  it('should repeat the same sequence for the same seed', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, mulberry32(8))).not.toEqual(seqA);
    for (const v of seqA) expect(v >= 0 && v < 1).toBe(true);
  });

  it('randomMatrix should fill rows × cols values in [lo, hi)', () => {
    const m = randomMatrix(mulberry32(1), 3, 4, -2, 2);
    expect([m.rows, m.cols, m.data.length]).toEqual([3, 4, 12]);
    for (const v of m.data) expect(v >= -2 && v <= 2).toBe(true);
    expect(randomRows(mulberry32(1), 3, 4, -2, 2).flat()).toEqual(Array.from(m.data));
  });
});
