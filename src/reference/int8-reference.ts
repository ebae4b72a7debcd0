/**
 * The float64 definition of the int8 encoder path (src/backends/assemblyscript/int8-quantize.ts,
 * assembly/encode-int8.ts), written for clarity, one column and one row at a time:
 *
 *   weights:  scale_j = fround(max_k |W[k, j]| / 127), q[k, j] = clamp(round(W[k, j] / scale_j), −127, 127)
 *             (round half away from zero)
 *   input:    per row, m = min_k x_k, s = fround((max − m) / L), u_k = clamp(round((x_k − m)/s), 0, L)
 *             (L = the encoder's inputLevels, 4095 for n ≤ 4128)
 *   z_j       = scale_j · (s · Σ_k u_k q[k, j] + m · Σ_k q[k, j]) + b_j
 */

/** Per-column symmetric int8 of W [n × h], in float64 arithmetic. */
export function quantizeInt8Reference(w: ArrayLike<number>, n: number, h: number): { q: Int8Array; scales: Float32Array } {
  const q = new Int8Array(n * h);
  const scales = new Float32Array(h);
  for (let j = 0; j < h; j++) {
    let max = 0;
    for (let k = 0; k < n; k++) max = Math.max(max, Math.abs(w[k * h + j]!));
    const scale = Math.fround(max / 127);
    scales[j] = scale;
    for (let k = 0; k < n; k++) {
      if (scale === 0) continue;
      const t = w[k * h + j]! / scale;
      q[k * h + j] = Math.max(-127, Math.min(127, Math.sign(t) * Math.round(Math.abs(t))));
    }
  }
  return { q, scales };
}

/** The quantised input row as the kernel forms it: u ∈ [0, levels], x ≈ m + s·u. (Float32 steps as the kernel's.) */
export function quantizeRowReference(x: ArrayLike<number>, levels: number): { u: Uint16Array; s: number; m: number } {
  let lo = Infinity, hi = -Infinity;
  for (let k = 0; k < x.length; k++) {
    lo = Math.min(lo, x[k]!);
    hi = Math.max(hi, x[k]!);
  }
  const s = Math.fround(Math.fround(hi - lo) / levels);
  const inv = s > 0 ? Math.fround(1 / s) : 0;
  const u = new Uint16Array(x.length);
  for (let k = 0; k < x.length; k++) {
    // f32 arithmetic, round half to even (wasm's f32.nearest)
    const t = Math.fround(Math.fround(x[k]! - lo) * inv);
    const f = Math.floor(t);
    const r = t - f > 0.5 || (t - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
    u[k] = Math.max(0, Math.min(levels, r));
  }
  return { u, s, m: lo };
}

/** z [rows × h] of the int8 path in float64 (ReLU when relu). */
export function encodeInt8Reference(x: ArrayLike<number>, rows: number, n: number, q: Int8Array, scales: Float32Array, b: ArrayLike<number>, h: number, relu: boolean, levels: number): Float64Array {
  const z = new Float64Array(rows * h);
  const colsum = new Float64Array(h);
  for (let k = 0; k < n; k++) for (let j = 0; j < h; j++) colsum[j]! += q[k * h + j]!;
  for (let r = 0; r < rows; r++) {
    const { u, s, m } = quantizeRowReference(Array.from({ length: n }, (_, k) => x[r * n + k]!), levels);
    for (let j = 0; j < h; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += u[k]! * q[k * h + j]!;
      const v = scales[j]! * (s * dot + m * colsum[j]!) + b[j]!;
      z[r * h + j] = relu ? Math.max(0, v) : v;
    }
  }
  return z;
}
