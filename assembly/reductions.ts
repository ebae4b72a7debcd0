/**
 * Reductions over f32 arrays: column sums and means of a row-major matrix, and a sum of squares.
 * Column reductions add rows of f32x4 lanes (row after row, in order), so each column is the plain
 * sequential f32 sum; sum_squares accumulates in f64.
 */

/** out[j] = Σ_i a[i,j] for a [rows×cols]. */
export function column_sum(a: usize, out: usize, rows: i32, cols: i32): void {
  columnSum(a, out, rows, cols, false);
}

/** out[j] = (Σ_i a[i,j]) / rows for a [rows×cols] (NaN when rows is 0). */
export function column_mean(a: usize, out: usize, rows: i32, cols: i32): void {
  columnSum(a, out, rows, cols, true);
}

@inline
function columnSum(a: usize, out: usize, rows: i32, cols: i32, mean: bool): void {
  const ld = <usize>cols << 2;
  const rowsF = <f32>rows;
  const d = f32x4.splat(rowsF);
  let j = 0;
  // eight columns at a time, two f32x4 accumulators
  for (; j + 8 <= cols; j += 8) {
    let p = a + (<usize>j << 2);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    for (let i = 0; i < rows; i++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      p += ld;
    }
    const o = out + (<usize>j << 2);
    v128.store(o, mean ? f32x4.div(s0, d) : s0);
    v128.store(o, mean ? f32x4.div(s1, d) : s1, 16);
  }
  for (; j + 4 <= cols; j += 4) {
    let p = a + (<usize>j << 2);
    let s0 = f32x4.splat(0);
    for (let i = 0; i < rows; i++) {
      s0 = f32x4.add(s0, v128.load(p));
      p += ld;
    }
    v128.store(out + (<usize>j << 2), mean ? f32x4.div(s0, d) : s0);
  }
  for (; j < cols; j++) {
    let p = a + (<usize>j << 2);
    let t: f32 = 0;
    for (let i = 0; i < rows; i++) {
      t += load<f32>(p);
      p += ld;
    }
    store<f32>(out + (<usize>j << 2), mean ? t / rowsF : t);
  }
}

/** Σ p[k]² over `count` floats, accumulated in f64. */
export function sum_squares(p: usize, count: i32): f64 {
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const x = v128.load(p + (<usize>k << 2));
    const lo = f64x2.promote_low_f32x4(x);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1));
    acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
    acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
  }
  const acc = f64x2.add(acc0, acc1);
  let total = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; k < count; k++) {
    const x = <f64>load<f32>(p + (<usize>k << 2));
    total += x * x;
  }
  return total;
}
