import { describe, expect, it } from 'vitest';
import { canFoldScaling, foldScaling, inputScaling } from '../../src/export/exportable.js';

const minmax = (min: number[], max: number[]) => ({ kind: 'minmax' as const, min: Float32Array.from(min), max: Float32Array.from(max) });

describe('inputScaling', () => {
  it('should give offset, 1/range and range per feature, scale 0 for a constant feature, and null for none', () => {
    const s = inputScaling(minmax([0, -1, 3], [4, 1, 3]))!;
    expect(Array.from(s.offset)).toEqual([0, -1, 3]);
    expect(Array.from(s.scale)).toEqual([0.25, 0.5, 0]);
    expect(Array.from(s.range)).toEqual([4, 2, 0]);
    expect(inputScaling({ kind: 'none' })).toBeNull();
  });
});

describe('canFoldScaling', () => {
  it('should fold while every offset is within its range, and not beyond', () => {
    expect(canFoldScaling(inputScaling(minmax([0, -1, 3], [4, 1, 3]))!)).toBe(true); // constant feature: scale 0
    expect(canFoldScaling(inputScaling(minmax([2], [4]))!)).toBe(true); // |2| = range 2
    expect(canFoldScaling(inputScaling(minmax([2.5], [4]))!)).toBe(false);
    expect(canFoldScaling(inputScaling(minmax([1000], [1010]))!)).toBe(false);
  });
});

describe('foldScaling', () => {
  it('should give a layer whose output on raw x equals the original layer on scaled x', () => {
    // n = 2, h = 2: W1 row-major [n × h].
    const W1 = Float32Array.from([1, 2, -3, 0.5]);
    const b1 = Float32Array.from([0.25, -1]);
    const scaling = inputScaling(minmax([-2, 1], [2, 3]))!;
    const { weight, bias } = foldScaling(scaling, { W1, b1 }, { inputSize: 2, hiddenSize: 2 });
    const x = [1.5, 2.5];
    const scaled = [(x[0]! + 2) / 4, (x[1]! - 1) / 2];
    for (let k = 0; k < 2; k++) {
      const original = scaled[0]! * W1[k]! + scaled[1]! * W1[2 + k]! + b1[k]!;
      const folded = x[0]! * weight[k]! + x[1]! * weight[2 + k]! + bias[k]!;
      expect(folded).toBeCloseTo(original, 6);
    }
    expect(Array.from(weight)).toEqual([0.25, 0.5, -1.5, 0.25]);
    expect(Array.from(bias)).toEqual([0.25 - (-2 * 0.25 + 1 * -1.5), -1 - (-2 * 0.5 + 1 * 0.25)]);
  });
});
