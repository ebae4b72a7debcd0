/**
 * Input scaling, each an affine map per feature x' = (x − offset) / range, fitted on the first
 * training data. The sigmoid model's outputs are in (0, 1), so its inputs must live there too:
 * "minmax" maps each feature to [0, 1] with the min and max of the training data; "none" requires
 * the values to be in [0, 1] already. The relu and TopK models have a linear output and take any
 * finite values: "none" passes them through, and "standardize" maps each feature to mean 0 and
 * variance 1 with the data's mean and (population) standard deviation. A constant feature maps
 * to 0. Encode applies the fitted scaling (values outside the training range extrapolate
 * linearly); decode undoes it.
 */
import { DataError } from '../errors.js';
import type { NormalizationKind } from './config.js';

export type Normalization =
  | { readonly kind: 'minmax'; readonly min: Float32Array; readonly max: Float32Array }
  | { readonly kind: 'standardize'; readonly mean: Float32Array; readonly std: Float32Array }
  | { readonly kind: 'none' };

/** A fitted normalisation (one with vectors). */
export type AffineNormalization = Exclude<Normalization, { kind: 'none' }>;

/**
 * The vectors of each kind, by the names the model files give them (the JSON file's
 * normalization.min, the binary file's tensor "normalization.min"): the one list writers and
 * readers of both forms take.
 */
export const NORMALIZATION_VECTORS = { minmax: ['min', 'max'], standardize: ['mean', 'std'], none: [] } as const satisfies Record<NormalizationKind, readonly string[]>;

/** The normalisation's vectors with their file names, in NORMALIZATION_VECTORS order. */
export function normalizationVectors(norm: Normalization): [string, Float32Array][] {
  const vectors = norm as unknown as Record<string, Float32Array>;
  return NORMALIZATION_VECTORS[norm.kind].map((name) => [name, vectors[name]!]);
}

/**
 * Feature j's offset and range (x' = (x − offset) / range) as doubles: minmax's min and max − min,
 * standardize's mean and standard deviation. Range 0 is a constant feature, mapped to 0.
 */
export function affineOf(norm: AffineNormalization, j: number): [offset: number, range: number] {
  return norm.kind === 'minmax' ? [norm.min[j]!, norm.max[j]! - norm.min[j]!] : [norm.mean[j]!, norm.std[j]!];
}

/**
 * The mean and standard deviation of each column in two passes over the rows, in row order and
 * summed in float64 (the mean, then the squared deviations from it), so data met in shards (a
 * streamed run) fits exactly as the same rows in one array. Population variance (÷ rows, as
 * scikit-learn's StandardScaler); mean and standard deviation are each rounded to float32 once.
 */
export class StandardizationFit {
  private readonly sum: Float64Array;
  private readonly squares: Float64Array;
  private mean: Float64Array | null = null;
  private meanRows = 0;
  private varianceRows = 0;

  constructor(private readonly cols: number) {
    this.sum = new Float64Array(cols);
    this.squares = new Float64Array(cols);
  }

  /** The first pass: `rows` more rows (row-major) into the column sums. */
  addToMean(x: Float32Array, rows: number): void {
    if (this.mean !== null) throw new Error('StandardizationFit: the mean pass is over');
    const { cols, sum } = this;
    for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) sum[c]! += x[i * cols + c]!;
    this.meanRows += rows;
  }

  /** The second pass, over the same rows in the same order: their squared deviations from the mean. */
  addToVariance(x: Float32Array, rows: number): void {
    if (this.mean === null) this.mean = Float64Array.from(this.sum, (total) => total / this.meanRows);
    const { cols, squares, mean } = this;
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < cols; c++) {
        const d = x[i * cols + c]! - mean[c]!;
        squares[c]! += d * d;
      }
    }
    this.varianceRows += rows;
  }

  result(): Normalization {
    if (this.mean === null || this.varianceRows !== this.meanRows || this.meanRows === 0) {
      throw new Error(`StandardizationFit: the two passes saw ${this.meanRows} and ${this.varianceRows} rows`);
    }
    return { kind: 'standardize', mean: Float32Array.from(this.mean), std: Float32Array.from(this.squares, (m2) => Math.sqrt(m2 / this.varianceRows)) };
  }
}

/** Fits the normalisation of `kind` to row-major data of `cols` features. */
export function fitNormalization(kind: NormalizationKind, data: Float32Array, rows: number, cols: number): Normalization {
  if (kind === 'none') return { kind: 'none' };
  if (kind === 'standardize') {
    const fit = new StandardizationFit(cols);
    fit.addToMean(data, rows);
    fit.addToVariance(data, rows);
    return fit.result();
  }
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
 * The normalisation of `kind` ("minmax" or "none") from per-column minima and maxima already
 * known (a ShardSource's columnMin / columnMax): the same as fitNormalization on the rows they
 * were taken from. "standardize" needs passes over the rows (StandardizationFit).
 */
export function normalizationFromRange(kind: Exclude<NormalizationKind, 'standardize'>, min: Float32Array, max: Float32Array): Normalization {
  return kind === 'none' ? { kind: 'none' } : { kind: 'minmax', min: Float32Array.from(min), max: Float32Array.from(max) };
}

/**
 * Returns the data scaled into the model's input space (a new array). With "none", a value
 * outside [0, 1] is a DataError naming its row and column (1-based) — unless `anyFinite` (the
 * relu and TopK models, whose linear output needs no [0, 1]), where only a non-finite value is.
 */
export function normalize(norm: Normalization, data: Float32Array, rows: number, cols: number, source?: string, anyFinite = false): Float32Array {
  const out = new Float32Array(rows * cols);
  normalizeInto(norm, data, rows, cols, out, 0, source, anyFinite);
  return out;
}

/** A DataError naming the first value of `data` (rows × cols) that is not finite, its row counted from `firstRow`. */
export function checkAllFinite(data: Float32Array, rows: number, cols: number, source?: string, firstRow = 1): void {
  for (let k = 0; k < rows * cols; k++) {
    if (!Number.isFinite(data[k]!)) {
      throw new DataError(`value ${data[k]} is not a finite number`, { source, row: firstRow + Math.floor(k / cols), column: (k % cols) + 1 });
    }
  }
}

/** normalize, written into `out` from element `offset` (streamed training fills its window so). */
export function normalizeInto(norm: Normalization, data: Float32Array, rows: number, cols: number, out: Float32Array, offset: number, source?: string, anyFinite = false): void {
  if (norm.kind === 'none' && anyFinite) {
    checkAllFinite(data, rows, cols, source);
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
    const [lo, range] = affineOf(norm, j);
    const scale = range > 0 ? 1 / range : 0;
    for (let i = 0; i < rows; i++) out[offset + i * cols + j] = (data[i * cols + j]! - lo) * scale;
  }
}

/** Maps model outputs back to the caller's original scale (a new array). */
export function denormalize(norm: Normalization, data: Float32Array, rows: number, cols: number): Float32Array {
  if (norm.kind === 'none') return data.slice(0, rows * cols);
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    const [lo, range] = affineOf(norm, j);
    for (let i = 0; i < rows; i++) out[i * cols + j] = lo + data[i * cols + j]! * range;
  }
  return out;
}

/**
 * A per-row input normalisation an imported SAE brings (docs/IMPORT.md), applied to each row before
 * the per-feature scaling above and undone on that row's reconstruction:
 * - "layer_norm": x' = (x − μ) / (σ + 1e-5), μ the row's mean, σ its standard deviation with
 *   Bessel's correction (torch's `x.std(dim=-1)`), as SAELens' normalize_activations "layer_norm"
 *   (sae_lens/saes/sae.py, run_time_activation_ln_in) and OpenAI's v5 SAEs (sparse_autoencoder/model.py, LN);
 *   undone as x̂·σ + μ (the ε is not put back, as both libraries undo it).
 * - "constant_norm_rescale": x' = x·√n / ‖x‖, undone as x̂·‖x‖/√n (SAELens, run_time_activation_norm_fn_in).
 * It depends on the row, so decoding codes alone (no row) cannot undo it: decode answers in the
 * normalised space, reconstruct in the caller's.
 */
export const ROW_NORMALIZATIONS = ['layer_norm', 'constant_norm_rescale'] as const;
export type RowNormalization = (typeof ROW_NORMALIZATIONS)[number];

export function isRowNormalization(value: unknown): value is RowNormalization {
  return typeof value === 'string' && (ROW_NORMALIZATIONS as readonly string[]).includes(value);
}

/** Each row's (shift, scale): x' = (x − shift) / scale. Computed in float64. */
export function rowStatistics(kind: RowNormalization, data: Float32Array, rows: number, cols: number): Float64Array {
  const stats = new Float64Array(2 * rows);
  for (let i = 0; i < rows; i++) {
    const row = data.subarray(i * cols, (i + 1) * cols);
    if (kind === 'layer_norm') {
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += row[j]!;
      const mean = sum / cols;
      let squares = 0;
      for (let j = 0; j < cols; j++) squares += (row[j]! - mean) ** 2;
      // torch's std is unbiased (÷ n − 1); one column has none: NaN in torch, refused by the caller's finite check
      stats[2 * i] = mean;
      stats[2 * i + 1] = Math.sqrt(squares / (cols - 1));
    } else {
      let squares = 0;
      for (let j = 0; j < cols; j++) squares += row[j]! ** 2;
      stats[2 * i] = 0;
      stats[2 * i + 1] = Math.sqrt(squares) / Math.sqrt(cols);
    }
  }
  return stats;
}

/** The divisor of a row: layer_norm adds its ε to σ. */
function rowDivisor(kind: RowNormalization, scale: number): number {
  return kind === 'layer_norm' ? scale + 1e-5 : scale;
}

/** The rows normalised (a new array) and their statistics, for rowDenormalize. */
export function rowNormalize(kind: RowNormalization, data: Float32Array, rows: number, cols: number): { x: Float32Array; stats: Float64Array } {
  const stats = rowStatistics(kind, data, rows, cols);
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const shift = stats[2 * i]!;
    const divisor = rowDivisor(kind, stats[2 * i + 1]!);
    for (let j = 0; j < cols; j++) x[i * cols + j] = (data[i * cols + j]! - shift) / divisor;
  }
  return { x, stats };
}

/** Undoes rowNormalize on outputs, in place: x = x'·scale + shift (as SAELens and OpenAI undo it). */
export function rowDenormalize(data: Float32Array, stats: Float64Array, rows: number, cols: number): Float32Array {
  for (let i = 0; i < rows; i++) {
    const shift = stats[2 * i]!;
    const scale = stats[2 * i + 1]!;
    for (let j = 0; j < cols; j++) data[i * cols + j] = data[i * cols + j]! * scale + shift;
  }
  return data;
}
