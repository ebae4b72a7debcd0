/** Codes compared row by row, for the import and export tests. */

/** The largest |a − b| over a row, divided by the row's largest |b|; and rows whose active sets differ. */
export function compareRows(actual: Float32Array, expected: Float64Array, rowsCount: number, width: number): { worst: number; activeMismatches: number } {
  let worst = 0;
  let activeMismatches = 0;
  for (let r = 0; r < rowsCount; r++) {
    let scale = 0;
    for (let j = 0; j < width; j++) scale = Math.max(scale, Math.abs(expected[r * width + j]!));
    for (let j = 0; j < width; j++) {
      const a = actual[r * width + j]!;
      const b = expected[r * width + j]!;
      worst = Math.max(worst, Math.abs(a - b) / Math.max(scale, 1e-12));
      if ((a !== 0) !== (b !== 0)) activeMismatches++;
    }
  }
  return { worst, activeMismatches };
}
