/**
 * The dtype conversions against the libraries: numpy's float16 → float32 and torch's bfloat16 →
 * float32 over all 65536 bit patterns, torch's float32 → bfloat16 (round to nearest even) and
 * float64 → float32 on values where rounding is hard (expected.json, half-widening.npz).
 */
import { describe, expect, it } from 'vitest';
import { TensorFileError } from '../../src/errors.js';
import { bf16Tensor, float32ToBf16, float8E4M3ToNumber, toFloat32, toFloat64 } from '../../src/formats/convert.js';
import { readNpz } from '../../src/formats/npy.js';
import type { Dtype, Tensor } from '../../src/formats/tensor.js';
import { expected, fixture } from './fixtures.js';

const ALL_BITS = Uint16Array.from({ length: 65536 }, (_, k) => k);

function tensorOf(dtype: Dtype, array: ArrayBufferView, shape = [array.byteLength / { I64: 8, F64: 8, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1 }[dtype as 'F64']]): Tensor {
  return { name: 'w', dtype, shape, bytes: new Uint8Array(array.buffer, array.byteOffset, array.byteLength) };
}

/** The float32 bits, with every NaN the same (the libraries keep payloads, which no reader of weights needs). */
function bitsOf(values: Float32Array): number[] {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return Array.from(bits, (b, k) => (Number.isNaN(values[k]) ? 0x7fc00000 : b));
}

describe('conversions', () => {
  const libraries = readNpz(fixture('half-widening.npz'));
  const library = (name: string) => {
    const bits = new Uint32Array(toFloat64(libraries.get(name)!));
    return bitsOf(new Float32Array(bits.buffer));
  };

  it('should widen every float16 exactly as numpy does', () => {
    expect(bitsOf(toFloat32(tensorOf('F16', ALL_BITS)))).toEqual(library('f16_as_f32'));
  });

  it('should widen every bfloat16 exactly as torch does', () => {
    expect(bitsOf(toFloat32(tensorOf('BF16', ALL_BITS)))).toEqual(library('bf16_as_f32'));
  });

  it('should narrow float32 to bfloat16 as torch does (nearest, ties to even; NaN stays NaN)', () => {
    const { f32_bits: input, bf16_bits: want } = expected.conversions.bf16;
    const values = new Float32Array(Uint32Array.from(input).buffer);
    const got = Array.from(float32ToBf16(values));
    const isNaN16 = (b: number) => (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0;
    expect(got.map((b) => (isNaN16(b) ? 'NaN' : b))).toEqual(want.map((b) => (isNaN16(b) ? 'NaN' : b)));
    // and a BF16 tensor of them widens back to the rounded values
    const back = toFloat32(bf16Tensor('w', [values.length], values));
    expect(bitsOf(back)).toEqual(bitsOf(new Float32Array(Uint32Array.from(want, (b) => b << 16).buffer)));
  });

  it('should round float64 to float32 once, as torch does, and refuse what torch turns into Infinity', () => {
    const { f64, f32_bits: want } = expected.conversions.f64_to_f32;
    const finite = f64.filter((_, k) => (want[k]! & 0x7fffffff) !== 0x7f800000);
    expect(finite.length).toBeGreaterThan(f64.length - 3); // (only the values past the midpoint)
    expect(bitsOf(toFloat32(tensorOf('F64', Float64Array.from(finite))))).toEqual(want.filter((b) => (b & 0x7fffffff) !== 0x7f800000));
    for (const [k, value] of f64.entries()) {
      if ((want[k]! & 0x7fffffff) === 0x7f800000) expect(() => toFloat32(tensorOf('F64', Float64Array.from([value])))).toThrowError(/rounds beyond float32's range/);
    }
  });

  it('should refuse a finite float64 beyond float32, and a 64-bit integer beyond 2^53, naming the tensor', () => {
    expect(() => toFloat32(tensorOf('F64', Float64Array.from([1, 1e39])), 'w.safetensors')).toThrowError(
      /^w\.safetensors: w: value 1e\+39 at index 1 of \[2\] F64 rounds beyond float32's range/,
    );
    expect(toFloat32(tensorOf('F64', Float64Array.from([Infinity, -Infinity])))).toEqual(Float32Array.from([Infinity, -Infinity]));
    let error: unknown;
    try {
      toFloat64(tensorOf('I64', BigInt64Array.from([2n ** 53n, 2n ** 53n + 1n])));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TensorFileError);
    expect((error as Error).message).toMatch(/value 9007199254740993 at index 1 of \[2\] I64 is beyond 2\^53/);
  });

  it('should read float8 E4M3 (no infinities) and E5M2 (a half’s top byte)', () => {
    expect([0x00, 0x01, 0x08, 0x38, 0x7e, 0xfe, 0x7f].map(float8E4M3ToNumber)).toEqual([0, 2 ** -9, 2 ** -6, 1, 448, -448, NaN]);
    expect(Array.from(toFloat64(tensorOf('F8_E5M2', Uint8Array.from([0x3c, 0x7b, 0x7c, 0x01]))))).toEqual([1, 57344, Infinity, 2 ** -16]);
  });
});
