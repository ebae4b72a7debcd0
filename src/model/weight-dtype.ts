/**
 * The dtype a model's weight matrices are stored in (docs/MODEL-FORMAT.md, "Weight dtypes"):
 *
 *   f32   float32, as every model so far (the default; the only dtype that trains)
 *   bf16  bfloat16 bits, the top half of a float32 (round to nearest even from float32)
 *   int8  q ∈ [−127, 127] with one float32 scale per hidden unit: W ≈ scale_j · q
 *         (W_enc [n × h]: unit j is column j; W_dec [h × n]: unit j is row j), scale_j = max|W_unit| / 127
 *
 * Only the two weight matrices (W1 = W_enc, W2 = W_dec) take the dtype: biases, thresholds and the
 * input scaling stay float32 (they are h + 2n numbers, not n·h). A model whose weights are bf16 or
 * int8 is fixed: the float32 values it computes with are the stored ones widened exactly
 * (bf16 → f32 is exact; int8 → fround(scale_j · q)), so every path (the encode session, the full
 * backends, tfjs) reads the same weights. Training refuses such a model: convert it to f32 first
 * (widening is exact, so nothing is lost), train, and narrow again.
 */
import { float32ToBf16 } from '../formats/convert.js';
import { quantizeInt8PerUnit } from '../backends/assemblyscript/int8-quantize.js';

export const WEIGHT_DTYPES = ['f32', 'bf16', 'int8'] as const;
export type WeightDtype = (typeof WEIGHT_DTYPES)[number];

export function isWeightDtype(value: unknown): value is WeightDtype {
  return typeof value === 'string' && (WEIGHT_DTYPES as readonly string[]).includes(value);
}

/** A weight matrix in its stored dtype. */
export type StoredMatrix =
  | { readonly dtype: 'f32'; readonly values: Float32Array }
  | { readonly dtype: 'bf16'; readonly bits: Uint16Array }
  | { readonly dtype: 'int8'; readonly q: Int8Array; readonly scales: Float32Array };

/** The two weight matrices of a bf16 or int8 model, as stored (W1 [n × h], W2 [h × n]). */
export interface StoredWeights {
  readonly dtype: 'bf16' | 'int8';
  readonly W1: StoredMatrix;
  readonly W2: StoredMatrix;
}

/** Which axis of a [rows × cols] matrix is the hidden unit: W1 [n × h] its columns, W2 [h × n] its rows. */
export type UnitAxis = 'cols' | 'rows';

export const UNIT_AXIS = { W1: 'cols', W2: 'rows' } as const satisfies Record<'W1' | 'W2', UnitAxis>;

/**
 * `values` [rows × cols] narrowed to `dtype`. Throws RangeError naming the first value that
 * cannot be stored (a non-finite weight, or a float32 beyond bf16's range, which would round to
 * Infinity).
 */
export function narrowMatrix(values: Float32Array, rows: number, cols: number, dtype: WeightDtype, axis: UnitAxis, name = 'weights'): StoredMatrix {
  if (values.length !== rows * cols) throw new RangeError(`${name}: ${values.length} values for [${rows} × ${cols}]`);
  if (dtype === 'f32') return { dtype, values };
  if (dtype === 'bf16') {
    const bits = float32ToBf16(values);
    for (let k = 0; k < bits.length; k++) {
      if ((bits[k]! & 0x7f80) === 0x7f80) {
        throw new RangeError(`${name}[${Math.floor(k / cols)}][${k % cols}] is ${values[k]}, which bfloat16 cannot hold (it would be ${Number.isNaN(values[k]!) ? 'NaN' : 'Infinity'})`);
      }
    }
    return { dtype, bits };
  }
  if (axis === 'cols') {
    for (let k = 0; k < values.length; k++) {
      if (!Number.isFinite(values[k]!)) throw new RangeError(`${name}[${Math.floor(k / cols)}][${k % cols}] is ${values[k]}; int8 weights need finite values`);
    }
    return { dtype, ...quantizeInt8PerUnit(values, rows, cols) };
  }
  // units are rows: quantise the transpose's columns, then transpose q back
  const transposed = transpose(values, rows, cols);
  for (let k = 0; k < transposed.length; k++) {
    if (!Number.isFinite(transposed[k]!)) throw new RangeError(`${name}[${k % rows}][${Math.floor(k / rows)}] is ${transposed[k]}; int8 weights need finite values`);
  }
  const { q, scales } = quantizeInt8PerUnit(transposed, cols, rows);
  return { dtype, q: transpose(q, cols, rows), scales };
}

/** The float32 values of a stored matrix [rows × cols] (bf16 exactly; int8 as fround(scale · q)). */
export function widenMatrix(matrix: StoredMatrix, rows: number, cols: number, axis: UnitAxis): Float32Array {
  if (matrix.dtype === 'f32') return matrix.values;
  const out = new Float32Array(rows * cols);
  if (matrix.dtype === 'bf16') {
    new Uint32Array(out.buffer).set(matrix.bits);
    const words = new Uint32Array(out.buffer);
    for (let k = 0; k < words.length; k++) words[k] = words[k]! << 16;
    return out;
  }
  const { q, scales } = matrix;
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    if (axis === 'cols') for (let j = 0; j < cols; j++) out[row + j] = scales[j]! * q[row + j]!;
    else {
      const s = scales[i]!;
      for (let j = 0; j < cols; j++) out[row + j] = s * q[row + j]!;
    }
  }
  return out;
}

/** Bytes a stored matrix takes (its scales included). */
export function storedBytes(matrix: StoredMatrix): number {
  return matrix.dtype === 'f32' ? matrix.values.byteLength : matrix.dtype === 'bf16' ? matrix.bits.byteLength : matrix.q.byteLength + matrix.scales.byteLength;
}

function transpose<T extends Float32Array | Int8Array>(values: T, rows: number, cols: number): T {
  const out = new (values.constructor as new (length: number) => T)(values.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j]!;
  return out;
}
