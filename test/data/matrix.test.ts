import { describe, expect, it } from 'vitest';
import { toMatrix, matrixToRows, isMatrix } from '../../src/data/matrix.js';
import { DataError } from '../../src/errors.js';

function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

describe('toMatrix', () => {
  it('should pack rows into a row-major float32 matrix', () => {
    const m = toMatrix([
      [0, 0.5, 1],
      [2, 3, 4],
    ]);
    expect(m.rows).toBe(2);
    expect(m.cols).toBe(3);
    expect(Array.from(m.data)).toEqual([0, 0.5, 1, 2, 3, 4]);
    expect(matrixToRows(m)).toEqual([
      [0, 0.5, 1],
      [2, 3, 4],
    ]);
  });

  it('should accept an already packed Matrix', () => {
    const m = { rows: 1, cols: 2, data: new Float32Array([1, 2]) };
    expect(isMatrix(m)).toBe(true);
    expect(toMatrix(m)).toBe(m);
  });

  it.each([
    ['ragged (short) row', [[1, 2, 3], [4, 5]], 2, 3, /has 2 values, expected 3/],
    ['ragged (long) row', [[1, 2], [3, 4], [5, 6, 7]], 3, 3, /has 3 values, expected 2/],
    ['a string', [[1, 2], [3, '4']], 2, 2, /expected a number, got the string "4"/],
    ['null', [[null, 2]], 1, 1, /got null/],
    ['NaN', [[1, 2], [3, NaN]], 2, 2, /NaN/],
    ['Infinity', [[Infinity]], 1, 1, /Infinity/],
    ['-Infinity', [[1], [2], [-Infinity]], 3, 1, /-Infinity/],
    ['beyond float32', [[1e39]], 1, 1, /float32 range/],
    ['a nested array', [[1, [2]]], 1, 2, /got an array/],
  ])('should reject %s naming row and column', (_label, rows, row, column, message) => {
    const error = dataError(() => toMatrix(rows, 'body.data'));
    expect(error.location).toEqual({ source: 'body.data', row, column });
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`body.data, row ${row}, column ${column}: `);
  });

  it('should reject empty data, a non-array and non-array rows', () => {
    expect(dataError(() => toMatrix([], 'x')).message).toMatch(/^x: no data/);
    expect(dataError(() => toMatrix({ rows: [] }, 'x')).message).toMatch(/expected an array of rows/);
    expect(dataError(() => toMatrix([[]], 'x')).location).toEqual({ source: 'x', row: 1 });
    expect(dataError(() => toMatrix([[1], 2], 'x')).location).toEqual({ source: 'x', row: 2 });
  });

  it('should check a packed Matrix for non-finite values', () => {
    const m = { rows: 2, cols: 2, data: new Float32Array([0, 1, 2, NaN]) };
    expect(dataError(() => toMatrix(m)).location).toEqual({ source: undefined, row: 2, column: 2 });
  });
});
