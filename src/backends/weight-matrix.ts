/**
 * A weight matrix as stored (src/model/weight-dtype.ts has the dtypes, their meaning and the
 * conversions): the types the backends' encode sessions take, below the model layer.
 */

/** A weight matrix in its stored dtype. */
export type StoredMatrix =
  | { readonly dtype: 'f32'; readonly values: Float32Array }
  | { readonly dtype: 'bf16'; readonly bits: Uint16Array }
  | { readonly dtype: 'int8'; readonly q: Int8Array; readonly scales: Float32Array };

/**
 * A weight matrix [rows × cols] handed over a block of rows at a time, in order (a file read
 * piecewise: src/model/encoder-file-node.ts), so it is never whole in JavaScript memory.
 */
export type StreamedMatrix =
  | { readonly dtype: 'f32'; rows(first: number, count: number): Float32Array }
  | { readonly dtype: 'bf16'; rows(first: number, count: number): Uint16Array }
  | { readonly dtype: 'int8'; rows(first: number, count: number): Int8Array; readonly scales: Float32Array };
