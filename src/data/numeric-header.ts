/**
 * A header row of numbers ("2019,2020,2021", or column numbers "1,2,3") cannot be told from data
 * by the CSV rules (a header is a first row with no number in it, src/data/csv.ts), so it is
 * trained on as a row. It is not refused, since it may be data; it is named in a warning, by
 * this rule (docs/SPEC.md §2, "Numeric header rows"):
 *
 *   the first row is a likely header when it has at least 3 columns, its values are whole
 *   numbers each one more than the one before, and the second row (if any) is not such a run.
 *
 * Plain code, no Node imports: the Worker, the CLI and the playground use it.
 */
import type { Matrix } from './matrix.js';

/** The fewest columns the rule looks at: two consecutive numbers are too common in data ("0,1"). */
const MIN_COLUMNS = 3;

/** Whether `values` are whole numbers, each one more than the one before. */
function isCountingRun(values: ArrayLike<number>): boolean {
  if (values.length < MIN_COLUMNS) return false;
  for (let j = 0; j < values.length; j++) {
    if (!Number.isInteger(values[j]!)) return false;
    if (j > 0 && values[j]! !== values[j - 1]! + 1) return false;
  }
  return true;
}

/**
 * The warning for a first row that looks like a header of numbers, or null. `first` and `second`
 * are the first two data rows (second null when there is one row only); `source` names the data
 * and `fix` says how to mark the row as a header where the caller can (e.g. "?header=true").
 */
export function numericHeaderWarning(first: ArrayLike<number>, second: ArrayLike<number> | null, source: string, fix: string): string | null {
  if (!isCountingRun(first) || (second !== null && isCountingRun(second))) return null;
  const shown = Array.from(first).slice(0, 4).join(',') + (first.length > 4 ? ',…' : '');
  return `the first row of ${source} (${shown}) looks like a header of numbers, yet it was read as data: ${fix}`;
}

/** The same for a parsed matrix (its first two rows). */
export function numericHeaderWarningOf(matrix: Matrix, source: string, fix: string): string | null {
  if (matrix.rows === 0) return null;
  const { cols, data } = matrix;
  return numericHeaderWarning(data.subarray(0, cols), matrix.rows > 1 ? data.subarray(cols, 2 * cols) : null, source, fix);
}
