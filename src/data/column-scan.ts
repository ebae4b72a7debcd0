/**
 * What a first pass over rows takes: each column's min and max (a ShardSource's columnMin /
 * columnMax) and the first value outside [0, 1]. Runtime-neutral.
 */

/** A value outside [0, 1], by its row and column as errors count them. */
export interface CellLocation {
  value: number;
  row: number;
  column: number;
}

/** Running per-column min/max, and the first value outside [0, 1], over rows in order. */
export class ColumnScan {
  readonly min: Float32Array;
  readonly max: Float32Array;
  outside: CellLocation | null = null;

  constructor(private readonly cols: number) {
    this.min = new Float32Array(cols).fill(Infinity);
    this.max = new Float32Array(cols).fill(-Infinity);
  }

  /** Folds in `x` (rows × cols), whose row 0 is row `firstRow` as errors count them. */
  add(x: Float32Array, firstRow: number): void {
    const cols = this.cols;
    // The comparisons of fitNormalization, in the same order, so minmax comes out identical.
    for (let k = 0; k < x.length; k++) {
      const j = k % cols;
      const v = x[k]!;
      if (v < this.min[j]!) this.min[j] = v;
      if (v > this.max[j]!) this.max[j] = v;
      if (this.outside === null && !(v >= 0 && v <= 1)) this.outside = { value: v, row: firstRow + Math.floor(k / cols), column: j + 1 };
    }
  }
}

