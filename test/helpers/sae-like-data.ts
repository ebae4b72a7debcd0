/**
 * Synthetic data shaped like a trained SAE's encoder and the activations it encodes, for the
 * accuracy tests of the bf16 and int8 encode paths (test/kernels/encode-accuracy.test.ts) and the
 * encode benchmark. No public SAE's weights are used (none may be downloaded here), so the shape
 * of the real thing is imitated:
 *
 * - a dictionary of h unit-norm directions in R^n; W_enc = its transpose plus 10 % noise, columns
 *   scaled by a log-normal gain (real encoders' column norms spread over about a decade);
 *   b_enc slightly negative (a ReLU SAE's thresholds);
 * - each row a sparse mix of `active` directions with exponentially distributed magnitudes, plus
 *   dense noise, plus a few outlier dimensions 20× larger than the rest (the residual stream's
 *   massive activations, which are what makes per-row input quantisation hard).
 */
import { mulberry32, type Rng } from './random.js';

function gaussian(rng: Rng): number {
  const u = 1 - rng(), v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface SaeLikeData {
  n: number;
  h: number;
  rows: number;
  /** [n × h] */
  wEnc: Float32Array;
  bEnc: Float32Array;
  /** [rows × n] */
  x: Float32Array;
}

export function saeLikeData(n: number, h: number, rows: number, seed = 1, active = 48): SaeLikeData {
  const rng = mulberry32(seed);
  const dict = new Float32Array(h * n);
  for (let j = 0; j < h; j++) {
    let norm = 0;
    for (let k = 0; k < n; k++) {
      const v = gaussian(rng);
      dict[j * n + k] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let k = 0; k < n; k++) dict[j * n + k]! *= inv;
  }
  const wEnc = new Float32Array(n * h);
  const bEnc = new Float32Array(h);
  const noise = 0.1 / Math.sqrt(n);
  for (let j = 0; j < h; j++) {
    const gain = Math.exp(0.5 * gaussian(rng));
    for (let k = 0; k < n; k++) wEnc[k * h + j] = gain * (dict[j * n + k]! + noise * gaussian(rng));
    bEnc[j] = -0.05 * gain * rng();
  }
  const outliers = [Math.floor(n / 5), Math.floor((3 * n) / 7)];
  const x = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const row = new Float64Array(n);
    for (let a = 0; a < active; a++) {
      const j = Math.floor(rng() * h);
      const c = -Math.log(1 - rng());
      for (let k = 0; k < n; k++) row[k]! += c * dict[j * n + k]!;
    }
    for (let k = 0; k < n; k++) row[k]! += 0.02 * gaussian(rng);
    for (const k of outliers) row[k] = 20 * (0.5 + rng()) * Math.sqrt(active / n);
    x.set(row, r * n);
  }
  return { n, h, rows, wEnc, bEnc, x };
}

/** Indices of the k largest values of row r (ties to the lower index). */
export function topIndices(z: ArrayLike<number>, r: number, h: number, k: number): number[] {
  const idx = Array.from({ length: h }, (_, j) => j);
  idx.sort((a, b) => z[r * h + b]! - z[r * h + a]! || a - b);
  return idx.slice(0, k);
}

/** Mean over rows of |top-k(a) ∩ top-k(b)| / k. */
export function topOverlap(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, h: number, k: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const set = new Set(topIndices(a, r, h, k));
    total += topIndices(b, r, h, k).filter((j) => set.has(j)).length / k;
  }
  return total / rows;
}

/** ‖a − b‖ / ‖b‖ over the entries where either is positive (the ReLU codes' relative error). */
export function codesRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    const va = Math.max(0, a[i]!), vb = Math.max(0, b[i]!);
    num += (va - vb) ** 2;
    den += vb * vb;
  }
  return Math.sqrt(num / den);
}
