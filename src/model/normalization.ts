/**
 * Input scaling. The outputs are sigmoids in (0, 1), so inputs must live there too: "minmax"
 * maps each feature to [0, 1] with the min and max of the training data (a constant feature maps
 * to 0); "none" requires the values to be in [0, 1] already. Encode applies the fitted scaling
 * (values outside the training range extrapolate linearly); decode undoes it.
 */
import { DataError } from '../errors.js';
import type { NormalizationKind } from './config.js';

export type Normalization =
  | { readonly kind: 'minmax'; readonly min: Float32Array; readonly max: Float32Array }
  | { readonly kind: 'none' };

/** Fits the normalisation of `kind` to row-major data of `cols` features. */
export function fitNormalization(kind: NormalizationKind, data: Float32Array, rows: number, cols: number): Normalization {
  if (kind === 'none') return { kind: 'none' };
  const min = new Float32Array(cols).fill(Infinity);
  const max = new Float32Array(cols).fill(-Infinity);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j]!;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  return { kind: 'minmax', min, max };
}

/**
 * The normalisation of `kind` from per-column minima and maxima already known (a ShardSource's
 * columnMin / columnMax): the same as fitNormalization on the rows they were taken from.
 */
export function normalizationFromRange(kind: NormalizationKind, min: Float32Array, max: Float32Array): Normalization {
  return kind === 'none' ? { kind: 'none' } : { kind: 'minmax', min: Float32Array.from(min), max: Float32Array.from(max) };
}

/**
 * Returns the data scaled into the model's input space (a new array). With "none", a value
 * outside [0, 1] is a DataError naming its row and column (1-based) — unless `anyFinite` (the
 * relu and topk models, whose linear output needs no [0, 1]), where only a non-finite value is.
 */
export function normalize(norm: Normalization, data: Float32Array, rows: number, cols: number, source?: string, anyFinite = false): Float32Array {
  const out = new Float32Array(rows * cols);
  normalizeInto(norm, data, rows, cols, out, 0, source, anyFinite);
  return out;
}

/** normalize, written into `out` from element `offset` (streamed training fills its window so). */
export function normalizeInto(norm: Normalization, data: Float32Array, rows: number, cols: number, out: Float32Array, offset: number, source?: string, anyFinite = false): void {
  if (norm.kind === 'none' && anyFinite) {
    for (let k = 0; k < rows * cols; k++) {
      if (!Number.isFinite(data[k]!)) {
        throw new DataError(`value ${data[k]} is not a finite number`, { source, row: Math.floor(k / cols) + 1, column: (k % cols) + 1 });
      }
    }
    out.set(data.subarray(0, rows * cols), offset);
    return;
  }
  if (norm.kind === 'none') {
    for (let k = 0; k < rows * cols; k++) {
      const v = data[k]!;
      if (!(v >= 0 && v <= 1)) {
        throw new DataError(
          `value ${v} is outside [0, 1], which normalize "none" requires (use normalize "minmax" to scale the data)`,
          { source, row: Math.floor(k / cols) + 1, column: (k % cols) + 1 },
        );
      }
    }
    out.set(data.subarray(0, rows * cols), offset);
    return;
  }
  for (let j = 0; j < cols; j++) {
    const lo = norm.min[j]!;
    const range = norm.max[j]! - lo;
    const scale = range > 0 ? 1 / range : 0;
    for (let i = 0; i < rows; i++) out[offset + i * cols + j] = (data[i * cols + j]! - lo) * scale;
  }
}

/** Maps model outputs in [0, 1] back to the caller's original scale (a new array). */
export function denormalize(norm: Normalization, data: Float32Array, rows: number, cols: number): Float32Array {
  if (norm.kind === 'none') return data.slice(0, rows * cols);
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const lo = norm.min[j]!;
    const range = norm.max[j]! - lo;
    for (let i = 0; i < rows; i++) out[i * cols + j] = lo + data[i * cols + j]! * range;
  }
  return out;
}
