/**
 * The in-memory form of a data set: a dense row-major float32 matrix, and the validation that
 * turns caller-supplied rows (JSON bodies, library calls) into one. Free of Node imports, so the
 * Worker uses it too.
 */
import { DataError } from '../errors.js';

/** A dense row-major float32 matrix: element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/** The largest finite float32; larger magnitudes would silently become Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** True for a value shaped like a Matrix whose data length matches rows × cols. */
export function isMatrix(value: unknown): value is Matrix {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<Matrix>;
  return (
    Number.isInteger(m.rows) &&
    Number.isInteger(m.cols) &&
    m.data instanceof Float32Array &&
    m.data.length === (m.rows as number) * (m.cols as number)
  );
}

/**
 * Checks one cell and explains what is wrong with it, or returns null when it is a usable number.
 * Shared by every parser so that the same value gets the same message wherever it comes from.
 */
export function describeBadValue(value: unknown): string | null {
  if (typeof value !== 'number') {
    if (value === null) return 'expected a number, got null';
    if (value === undefined) return 'expected a number, got nothing';
    if (Array.isArray(value)) return 'expected a number, got an array';
    if (typeof value === 'string') return `expected a number, got the string ${JSON.stringify(truncate(value))}`;
    return `expected a number, got ${typeof value}`;
  }
  if (Number.isNaN(value)) return 'value is NaN, expected a finite number';
  if (!Number.isFinite(value)) return `value is ${value}, expected a finite number`;
  if (Math.abs(value) > FLOAT32_MAX) return `value ${value} is beyond the float32 range (±${FLOAT32_MAX})`;
  return null;
}

/**
 * Validates rows of numbers (an array of equally long number arrays, or a Matrix) and packs them
 * into a Matrix. Throws DataError naming `source` and the 1-based row and column of the first
 * problem: a row that is not an array, a ragged row, a non-number, null, NaN or ±Infinity, or no
 * data at all.
 *
 * @example
 * toMatrix([[0, 1], [0.5, 0.25]], 'body.data'); // { rows: 2, cols: 2, data: Float32Array [...] }
 */
export function toMatrix(rows: unknown, source?: string): Matrix {
  if (isMatrix(rows)) return checkMatrix(rows, source);
  if (!Array.isArray(rows)) {
    throw new DataError(`expected an array of rows (arrays of numbers), got ${describeType(rows)}`, { source });
  }
  if (rows.length === 0) throw new DataError('no data: expected at least one row', { source });

  const first: unknown = rows[0];
  if (!Array.isArray(first)) {
    throw new DataError(`expected a row (an array of numbers), got ${describeType(first)}`, { source, row: 1 });
  }
  const cols = first.length;
  if (cols === 0) throw new DataError('row is empty: expected at least one number', { source, row: 1 });

  const data = new Float32Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    if (!Array.isArray(row)) {
      throw new DataError(`expected a row (an array of numbers), got ${describeType(row)}`, { source, row: i + 1 });
    }
    if (row.length !== cols) throw raggedRowError(row.length, cols, { source, row: i + 1 });
    for (let j = 0; j < cols; j++) {
      const value: unknown = row[j];
      // The common case inline (this loop is the hot part of encoding a large batch); the
      // message is only worked out for a bad value.
      if (typeof value !== 'number' || !(Math.abs(value) <= FLOAT32_MAX)) {
        throw new DataError(describeBadValue(value) ?? 'not a usable number', { source, row: i + 1, column: j + 1 });
      }
      data[i * cols + j] = value;
    }
  }
  return { rows: rows.length, cols, data };
}

/** The error for a row of `length` values where `expected` were due; points at the first missing or extra column. */
export function raggedRowError(length: number, expected: number, where: { source?: string; row: number }): DataError {
  const column = Math.min(length, expected) + 1;
  const problem =
    length < expected
      ? `row has ${length} value${length === 1 ? '' : 's'}, expected ${expected} like the first row (missing from this column on)`
      : `row has ${length} values, expected ${expected} like the first row (extra values from this column on)`;
  return new DataError(problem, { ...where, column });
}

/** Returns row `i` (0-based) as a plain array, e.g. for JSON output. */
export function matrixRow(m: Matrix, i: number): number[] {
  return Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
}

/** Returns all rows as plain arrays. */
export function matrixToRows(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => matrixRow(m, i));
}

function checkMatrix(m: Matrix, source?: string): Matrix {
  if (m.rows === 0 || m.cols === 0) throw new DataError('no data: expected at least one row and one column', { source });
  const data = m.data;
  for (let k = 0; k < data.length; k++) {
    // float32 values are numbers within range unless NaN or ±Infinity
    if (!Number.isFinite(data[k]!)) {
      const problem = describeBadValue(data[k]) ?? 'not a usable number';
      throw new DataError(problem, { source, row: Math.floor(k / m.cols) + 1, column: (k % m.cols) + 1 });
    }
  }
  return m;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(truncate(value))}`;
  return `${typeof value} ${String(value)}`;
}

function truncate(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
