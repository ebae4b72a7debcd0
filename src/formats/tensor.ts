/**
 * The tensor every reader of src/formats/ returns: a name, a dtype, a shape and the raw bytes,
 * little-endian, row-major (C order), exactly `elementCount(shape) × DTYPE_BYTES[dtype]` long.
 * The bytes are kept as stored, not converted: a bf16 or int8 weight stays bf16 or int8 until
 * whoever uses it decides (src/formats/convert.ts widens to float32; the kernels of the real-size
 * issue will read bf16 and int8 themselves). docs/FORMATS.md describes the design.
 *
 * The dtype names are safetensors' (https://github.com/huggingface/safetensors, "dtype"): every
 * reader maps its own names onto them (numpy '<f2' → F16, torch.BFloat16Storage → BF16).
 */

/** Every dtype a tensor can have: safetensors' names for the whole-byte types. */
export const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type Dtype = keyof typeof DTYPE_BYTES;

export const DTYPES = Object.keys(DTYPE_BYTES) as Dtype[];

/** The floating-point dtypes (the others are integers or booleans). */
export const FLOAT_DTYPES: ReadonlySet<Dtype> = new Set(['F8_E4M3', 'F8_E5M2', 'F16', 'BF16', 'F32', 'F64']);

export interface Tensor {
  /** The name the file gives it (a safetensors key, an .npz member without `.npy`, a state-dict key). */
  readonly name: string;
  readonly dtype: Dtype;
  /** Sizes of the dimensions, outermost first; [] is a scalar (one element). */
  readonly shape: readonly number[];
  /** Little-endian, row-major; often a view of the file's own bytes (no copy). */
  readonly bytes: Uint8Array;
}

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, value);
}

/**
 * The number of elements of `shape`, or null when it is above `limit` (default: the largest
 * safe integer). Computed exactly (BigInt), so a shape whose product wraps around in 64-bit
 * arithmetic, such as [2^26, 2^26, 2^14], is caught rather than taken for 0 elements.
 */
export function elementCount(shape: readonly number[], limit: number = Number.MAX_SAFE_INTEGER): number | null {
  let product = 1n;
  for (const size of shape) product *= BigInt(size);
  return product > BigInt(limit) ? null : Number(product);
}

/** How many bytes a tensor of this dtype and shape takes, or null when above `limit` bytes. */
export function byteLength(dtype: Dtype, shape: readonly number[], limit: number = Number.MAX_SAFE_INTEGER): number | null {
  const count = elementCount(shape, Math.floor(limit / DTYPE_BYTES[dtype]));
  return count === null ? null : count * DTYPE_BYTES[dtype];
}

/** True when each size is a whole number from 0 to 2^53 − 1 (what a JSON header can say exactly). */
export function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((size) => typeof size === 'number' && Number.isSafeInteger(size) && size >= 0);
}

/** "[768, 24576] F32", for errors and listings. */
export function describeTensor(tensor: Pick<Tensor, 'dtype' | 'shape'>): string {
  return `[${tensor.shape.join(', ')}] ${tensor.dtype}`;
}
