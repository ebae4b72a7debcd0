/**
 * Conversions between a tensor's stored dtype and the numbers code computes with.
 *
 * - toFloat32: F32 as stored; F16, BF16, F8_E4M3, F8_E5M2, BOOL, U8, I8, U16 and I16 widen
 *   exactly (every value of those types is a float32); F64, I32, U32, I64 and U64 round once, to
 *   the nearest float32 (ties to even), as `Math.fround` of the exact value does. A finite F64
 *   that rounds beyond float32's range (|x| ≥ 3.40282357e38, the midpoint between float32's
 *   largest number and 2^128) is refused rather than turned into Infinity, and so is a 64-bit
 *   integer beyond 2^53 (it could not be read exactly first).
 * - toFloat64: exact for every dtype (64-bit integers beyond 2^53 refused).
 * - float32ToBf16: narrowing for export, round to nearest, ties to even (as torch's
 *   `.to(torch.bfloat16)` and safetensors' writers of bf16 do); NaN stays NaN, a value that
 *   rounds above bf16's largest finite number becomes ±Infinity, as IEEE rounding says.
 */
import { TensorFileError } from '../errors.js';
import { describeTensor, DTYPE_BYTES, type Tensor } from './tensor.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_53 = 2n ** 53n;

/** The tensor's values as float32 (see the module comment for which dtypes round, and how). */
export function toFloat32(tensor: Tensor, source?: string): Float32Array {
  const { dtype, bytes } = tensor;
  const count = bytes.length / DTYPE_BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    // A view of the file's bytes when it can be one (the safetensors writers align the data).
    if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    // Unaligned (an .npz member's data, after its header): one copy to aligned memory.
    if (LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer);
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) out[k] = view.getFloat32(4 * k, true);
    return out;
  }
  if (dtype === 'BF16') {
    // bf16 is the top half of a float32: shifting its bits up widens it exactly.
    const bits = new Uint32Array(count);
    if (LITTLE_ENDIAN) {
      const halves = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(bytes.slice().buffer);
      for (let k = 0; k < count; k++) bits[k] = halves[k]! << 16;
    } else {
      for (let k = 0; k < count; k++) bits[k] = view.getUint16(2 * k, true) << 16;
    }
    return new Float32Array(bits.buffer);
  }
  if (dtype === 'F64') {
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      const value = view.getFloat64(8 * k, true);
      out[k] = value; // the one rounding, to nearest even
      if (!Number.isFinite(out[k]!) && Number.isFinite(value)) {
        throw new TensorFileError(tensor.name, `value ${value} at index ${k} of ${describeTensor(tensor)} rounds beyond float32's range (±3.4028235e38)`, source);
      }
    }
    return out;
  }
  return Float32Array.from(toFloat64(tensor, source));
}

/** The tensor's values as float64, exactly. */
export function toFloat64(tensor: Tensor, source?: string): Float64Array {
  const { dtype, bytes } = tensor;
  const count = bytes.length / DTYPE_BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  const read = ((): ((k: number) => number) => {
    switch (dtype) {
      case 'BOOL':
        return (k) => (bytes[k] === 0 ? 0 : 1);
      case 'U8':
        return (k) => bytes[k]!;
      case 'I8':
        return (k) => view.getInt8(k);
      case 'U16':
        return (k) => view.getUint16(2 * k, true);
      case 'I16':
        return (k) => view.getInt16(2 * k, true);
      case 'U32':
        return (k) => view.getUint32(4 * k, true);
      case 'I32':
        return (k) => view.getInt32(4 * k, true);
      case 'U64':
      case 'I64':
        return (k) => {
          const value = dtype === 'I64' ? view.getBigInt64(8 * k, true) : view.getBigUint64(8 * k, true);
          if (value > TWO_53 || value < -TWO_53) {
            throw new TensorFileError(tensor.name, `value ${value} at index ${k} of ${describeTensor(tensor)} is beyond 2^53, where numbers stop being exact`, source);
          }
          return Number(value);
        };
      case 'F16':
        return (k) => float16ToNumber(view.getUint16(2 * k, true));
      case 'BF16':
        return (k) => bf16ToNumber(view.getUint16(2 * k, true));
      case 'F32':
        return (k) => view.getFloat32(4 * k, true);
      case 'F64':
        return (k) => view.getFloat64(8 * k, true);
      case 'F8_E5M2':
        // E5M2 is the top byte of an IEEE half: same exponent bias, infinities and NaNs.
        return (k) => float16ToNumber(bytes[k]! << 8);
      case 'F8_E4M3':
        return (k) => float8E4M3ToNumber(bytes[k]!);
    }
  })();
  for (let k = 0; k < count; k++) out[k] = read(k);
  return out;
}

/** An IEEE 754 half (binary16) from its bits. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** A bfloat16 from its bits (the high 16 bits of a float32). */
export function bf16ToNumber(bits: number): number {
  const word = new Float32Array(new Uint32Array([(bits & 0xffff) << 16]).buffer);
  return word[0]!;
}

/**
 * float8 E4M3 ("FN": no infinities, S.1111.111 is NaN, bias 7), the `F8_E4M3` of safetensors
 * and torch.float8_e4m3fn.
 */
export function float8E4M3ToNumber(bits: number): number {
  const sign = bits & 0x80 ? -1 : 1;
  const exponent = (bits >> 3) & 0xf;
  const mantissa = bits & 0x7;
  if (exponent === 0xf && mantissa === 0x7) return NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -9;
  return sign * (8 + mantissa) * 2 ** (exponent - 10);
}

/** Narrows float32 values to bfloat16 bits: round to nearest, ties to even. */
export function float32ToBf16(values: Float32Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const word = words[k]!;
    if ((word & 0x7f800000) === 0x7f800000 && (word & 0x007fffff) !== 0) {
      out[k] = (word >>> 16) | 0x0040; // NaN: keep sign and top payload, force quiet, never round to Infinity
      continue;
    }
    // Adding 0x7fff plus the lowest kept bit rounds half to even; a carry into the exponent is
    // the correct result (including rounding up to Infinity).
    out[k] = (word + 0x7fff + ((word >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** A BF16 tensor of float32 values (narrowed by float32ToBf16), bytes little-endian. */
export function bf16Tensor(name: string, shape: readonly number[], values: Float32Array): Tensor {
  const bits = float32ToBf16(values);
  const bytes = new Uint8Array(bits.length * 2);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < bits.length; k++) view.setUint16(2 * k, bits[k]!, true);
  return { name, dtype: 'BF16', shape: [...shape], bytes };
}
