/**
 * int8 weights with per-unit (per output column) symmetric scales, for the int8 encoder kernels
 * (assembly/encode-int8.ts):
 *
 *   scale_j = max_k |W[k, j]| / 127 (rounded to f32),  q[k, j] = round(W[k, j] / scale_j) ∈ [−127, 127]
 *
 * so |W[k, j] − scale_j · q[k, j]| ≤ scale_j / 2 (plus f32 rounding of scale_j), a column of
 * zeros gets scale 0 and q = 0. −128 is never used, so negation is symmetric and the kernels'
 * integer sums stay in range. W is row-major [n × h] (input × hidden), as the encoder stores it.
 * The float64 definition this follows is src/reference/int8-reference.ts.
 */

export interface Int8Weights {
  /** [n × h] row-major. */
  q: Int8Array;
  /** [h], f32. */
  scales: Float32Array;
}

/** Quantises W [n × h] per column (see the module comment). Non-finite weights are refused. */
export function quantizeInt8PerUnit(w: Float32Array, n: number, h: number): Int8Weights {
  if (w.length !== n * h) throw new RangeError(`quantizeInt8PerUnit: W has ${w.length} values, expected ${n} × ${h} = ${n * h}`);
  const maxAbs = new Float64Array(h);
  for (let k = 0; k < n; k++) {
    const row = k * h;
    for (let j = 0; j < h; j++) {
      const v = w[row + j]!;
      if (!Number.isFinite(v)) throw new RangeError(`quantizeInt8PerUnit: W[${k}, ${j}] is ${v}; int8 weights need finite values`);
      const a = Math.abs(v);
      if (a > maxAbs[j]!) maxAbs[j] = a;
    }
  }
  const scales = new Float32Array(h);
  const inverse = new Float64Array(h);
  for (let j = 0; j < h; j++) {
    scales[j] = maxAbs[j]! / 127;
    inverse[j] = scales[j]! > 0 ? 1 / scales[j]! : 0;
  }
  const q = new Int8Array(n * h);
  for (let k = 0; k < n; k++) {
    const row = k * h;
    for (let j = 0; j < h; j++) {
      // round half away from zero, clamped (scale's f32 rounding can put max/scale a hair above 127)
      const t = w[row + j]! * inverse[j]!;
      const r = Math.sign(t) * Math.round(Math.abs(t));
      q[row + j] = r > 127 ? 127 : r < -127 ? -127 : r;
    }
  }
  return { q, scales };
}
