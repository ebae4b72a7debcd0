import { describe, expect, it } from 'vitest';
import { mergeRuns } from '../../src/api/models/tensor-ranges.js';

describe('mergeRuns: the range reads of a sparse decode', () => {
  it('should read consecutive rows together and keep the largest gaps as boundaries', () => {
    expect(mergeRuns([1, 2, 3, 7, 8, 20], 16)).toEqual([[1, 3], [7, 8], [20, 20]]);
    // Two reads: the gap 8 → 20 is the largest, so 1..8 is read as one (rows 4–6 with it).
    expect(mergeRuns([1, 2, 3, 7, 8, 20], 2)).toEqual([[1, 8], [20, 20]]);
    expect(mergeRuns([1, 2, 3, 7, 8, 20], 1)).toEqual([[1, 20]]);
    expect(mergeRuns([], 4)).toEqual([]);
  });

  it('should never make more reads than allowed, and cover every row', () => {
    const wanted = Array.from({ length: 200 }, (_, i) => i * 7 + (i % 3));
    for (const max of [1, 3, 16, 500]) {
      const runs = mergeRuns(wanted, max);
      expect(runs.length).toBeLessThanOrEqual(max);
      for (const row of wanted) expect(runs.some(([from, to]) => row >= from && row <= to)).toBe(true);
    }
  });
});
