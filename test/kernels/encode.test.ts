/**
 * The encode kernels (assembly/encode-float.ts, assembly/encode-int8.ts) through their wrapper
 * (src/backends/assemblyscript/encoder-kernels.ts), against float64 references, on sizes with
 * tails: n not a multiple of 4, h not a multiple of 16 or 8, rows not a multiple of 4. Both kernel
 * shapes (rows and gemm) are run on every case and must give the same bits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EncoderKernels, type EncoderWeightValues } from '../../src/backends/assemblyscript/encoder-kernels.js';
import { quantizeInt8PerUnit } from '../../src/backends/assemblyscript/int8-quantize.js';
import { loadKernelModule } from '../../src/backends/assemblyscript/module-node.js';
import { bf16ToNumber, float32ToBf16 } from '../../src/formats/convert.js';
import { encodeInt8Reference, quantizeInt8Reference, quantizeRowReference } from '../../src/reference/int8-reference.js';
import { mulberry32, randomArray } from '../helpers/random.js';

let module: WebAssembly.Module;
beforeAll(async () => {
  module = await loadKernelModule();
});

/** [rows, n, h] */
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 5, 3], [2, 3, 16], [3, 7, 17], [4, 8, 8], [5, 13, 33], [7, 9, 40], [9, 31, 50], [6, 64, 24], [13, 130, 71],
];

/** z in float64 from float64 weights, and Σ|x||w| per output (the scale of f32 accumulation error). */
function reference(x: Float32Array, w: ArrayLike<number>, b: Float32Array, rows: number, n: number, h: number): { z: Float64Array; mag: Float64Array } {
  const z = new Float64Array(rows * h), mag = new Float64Array(rows * h);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < h; j++) {
      let s = b[j]!, m = Math.abs(b[j]!);
      for (let k = 0; k < n; k++) {
        s += x[r * n + k]! * w[k * h + j]!;
        m += Math.abs(x[r * n + k]! * w[k * h + j]!);
      }
      z[r * h + j] = s;
      mag[r * h + j] = m;
    }
  }
  return { z, mag };
}

function both(enc: EncoderKernels, x: Float32Array, rows: number, relu = false): Float32Array {
  const a = enc.encode(x, rows, { kernel: 'rows', relu });
  const g = enc.encode(x, rows, { kernel: 'gemm', relu });
  expect(Array.from(g), 'gemm = rows kernel, bit for bit').toEqual(Array.from(a));
  return a;
}

/** |z − ref| within f32 accumulation over n + 1 terms: (n + 2)·2⁻²⁴·Σ|terms| (+ a tiny absolute floor). */
function expectWithinAccumulation(z: Float32Array, ref: { z: Float64Array; mag: Float64Array }, n: number, label: string): void {
  for (let i = 0; i < z.length; i++) {
    const bound = (n + 2) * 2 ** -24 * ref.mag[i]! + 1e-30;
    if (!(Math.abs(z[i]! - ref.z[i]!) <= bound)) {
      throw new Error(`${label}: z[${i}] = ${z[i]}, reference ${ref.z[i]}, beyond ${bound}`);
    }
  }
}

describe('encode kernels, f32 weights', () => {
  it('should equal the float64 product + b within f32 accumulation rounding, every tail', () => {
    SHAPES.forEach(([rows, n, h], s) => {
      const rng = mulberry32(100 + s);
      const x = randomArray(rng, rows * n, -1, 1), w = randomArray(rng, n * h, -1, 1), b = randomArray(rng, h, -1, 1);
      const enc = EncoderKernels.create(module, { dtype: 'f32', values: w }, b, n, h);
      expectWithinAccumulation(both(enc, x, rows), reference(x, w, b, rows, n, h), n, `f32 ${rows}×${n}→${h}`);
    });
  });

  it('should apply the ReLU after the bias when asked', () => {
    const [rows, n, h] = [5, 13, 33];
    const rng = mulberry32(7);
    const x = randomArray(rng, rows * n, -1, 1), w = randomArray(rng, n * h, -1, 1), b = randomArray(rng, h, -1, 1);
    const enc = EncoderKernels.create(module, { dtype: 'f32', values: w }, b, n, h);
    const z = enc.encode(x, rows);
    const a = both(enc, x, rows, true);
    expect(z.some((v) => v < 0)).toBe(true);
    expect(Array.from(a)).toEqual(Array.from(z, (v) => Math.max(0, v)));
  });
});

describe('encode kernels, bf16 weights', () => {
  it('should equal the widened bf16 weights\' float64 product within f32 accumulation rounding', () => {
    SHAPES.forEach(([rows, n, h], s) => {
      const rng = mulberry32(200 + s);
      const x = randomArray(rng, rows * n, -1, 1), b = randomArray(rng, h, -1, 1);
      const bits = float32ToBf16(randomArray(rng, n * h, -1, 1));
      const widened = Float64Array.from(bits, bf16ToNumber);
      const enc = EncoderKernels.create(module, { dtype: 'bf16', bits }, b, n, h);
      expectWithinAccumulation(both(enc, x, rows), reference(x, widened, b, rows, n, h), n, `bf16 ${rows}×${n}→${h}`);
    });
  });

  it('should give the f32 kernel\'s bits on weights that are bf16 values (the widening is exact)', () => {
    const [rows, n, h] = [7, 37, 45];
    const rng = mulberry32(9);
    const x = randomArray(rng, rows * n, -2, 2), b = randomArray(rng, h, -1, 1);
    const bits = float32ToBf16(randomArray(rng, n * h, -3, 3));
    const values = Float32Array.from(bits, bf16ToNumber);
    const zb = both(EncoderKernels.create(module, { dtype: 'bf16', bits }, b, n, h), x, rows);
    const zf = both(EncoderKernels.create(module, { dtype: 'f32', values }, b, n, h), x, rows);
    expect(Array.from(zb)).toEqual(Array.from(zf));
  });
});

describe('int8 quantiser', () => {
  it('should match its float64 definition and keep every weight within half a step', () => {
    const [n, h] = [29, 37];
    const rng = mulberry32(11);
    const w = randomArray(rng, n * h, -2, 2);
    for (let k = 0; k < n; k++) w[k * h + 5] = 0; // an all-zero column: scale 0, q 0
    const got = quantizeInt8PerUnit(w, n, h);
    const want = quantizeInt8Reference(w, n, h);
    expect(Array.from(got.scales)).toEqual(Array.from(want.scales));
    expect(Array.from(got.q)).toEqual(Array.from(want.q));
    expect(got.scales[5]).toBe(0);
    for (let i = 0; i < w.length; i++) {
      const j = i % h;
      expect(Math.abs(got.q[i]!)).toBeLessThanOrEqual(127);
      expect(Math.abs(w[i]! - got.scales[j]! * got.q[i]!)).toBeLessThanOrEqual(got.scales[j]! * 0.5 * (1 + 1e-6));
    }
  });

  it('should refuse non-finite weights by position', () => {
    const w = new Float32Array([1, 2, NaN, 4]);
    expect(() => quantizeInt8PerUnit(w, 2, 2)).toThrow(/W\[1, 0\] is NaN/);
  });
});

describe('encode kernels, int8 weights', () => {
  it('should equal the integer definition (float64) to f32 rounding of its epilogue, every tail', () => {
    SHAPES.forEach(([rows, n, h], s) => {
      const rng = mulberry32(300 + s);
      const x = randomArray(rng, rows * n, -1, 3), w = randomArray(rng, n * h, -1, 1), b = randomArray(rng, h, -1, 1);
      const { q, scales } = quantizeInt8PerUnit(w, n, h);
      const enc = EncoderKernels.create(module, { dtype: 'int8', q, scales }, b, n, h);
      const z = both(enc, x, rows);
      const ref = encodeInt8Reference(x, rows, n, q, scales, b, h, false, enc.inputLevels);
      // the epilogue's terms: |scale·s·dot|, |off·m|, |b|: a few f32 roundings of each
      for (let r = 0; r < rows; r++) {
        const { s: sx, m } = quantizeRowReference(x.subarray(r * n, (r + 1) * n), enc.inputLevels);
        for (let j = 0; j < h; j++) {
          let dot = 0, colsum = 0;
          for (let k = 0; k < n; k++) {
            dot += Math.abs(q[k * h + j]!) * enc.inputLevels;
            colsum += q[k * h + j]!;
          }
          const scale = 8 * 2 ** -24 * (scales[j]! * sx * dot + Math.abs(scales[j]! * colsum * m) + Math.abs(b[j]!));
          expect(Math.abs(z[r * h + j]! - ref[r * h + j]!), `int8 ${rows}×${n}→${h} z[${r},${j}]`).toBeLessThanOrEqual(scale + 1e-30);
        }
      }
    });
  });

  it('should stay within the stated error of the unquantised product: Σ_k (s/2)|W_kj| + |x_k|·scale_j/2', () => {
    SHAPES.forEach(([rows, n, h], s) => {
      const rng = mulberry32(400 + s);
      const x = randomArray(rng, rows * n, -1, 3), w = randomArray(rng, n * h, -1, 1), b = randomArray(rng, h, -1, 1);
      const { q, scales } = quantizeInt8PerUnit(w, n, h);
      const enc = EncoderKernels.create(module, { dtype: 'int8', q, scales }, b, n, h);
      const z = both(enc, x, rows);
      const exact = reference(x, w, b, rows, n, h);
      for (let r = 0; r < rows; r++) {
        const { s: sx } = quantizeRowReference(x.subarray(r * n, (r + 1) * n), enc.inputLevels);
        for (let j = 0; j < h; j++) {
          let bound = 0;
          for (let k = 0; k < n; k++) bound += (sx / 2) * (Math.abs(w[k * h + j]!) + scales[j]! / 2) + Math.abs(x[r * n + k]!) * scales[j]! / 2;
          bound = bound * (1 + 1e-5) + (n + 2) * 2 ** -24 * exact.mag[r * h + j]!;
          expect(Math.abs(z[r * h + j]! - exact.z[r * h + j]!), `int8 ${rows}×${n}→${h} z[${r},${j}]`).toBeLessThanOrEqual(bound);
        }
      }
    });
  });

  it('should give b (as the reference) for a constant input row, where the quantisation step is 0', () => {
    const [n, h] = [6, 5];
    const w = randomArray(mulberry32(3), n * h, -1, 1), b = randomArray(mulberry32(4), h, -1, 1);
    const { q, scales } = quantizeInt8PerUnit(w, n, h);
    const enc = EncoderKernels.create(module, { dtype: 'int8', q, scales }, b, n, h);
    const x = new Float32Array(n).fill(0.75);
    const z = both(enc, x, 1);
    const ref = encodeInt8Reference(x, 1, n, q, scales, b, h, false, enc.inputLevels);
    for (let j = 0; j < h; j++) expect(z[j]).toBeCloseTo(ref[j]!, 5);
  });
});

describe('int8 input levels', () => {
  it('should use 12 bits up to n = 4128 and fewer beyond, so that the integer sums cannot overflow', () => {
    const h = 3;
    for (const n of [768, 4128, 6000]) {
      const w = new Float32Array(n * h).fill(0.5); // every q = 127: the largest sums
      const x = Float32Array.from({ length: n }, (_, k) => (k === 0 ? 0 : 1)); // u = L on all but one k
      const enc = EncoderKernels.create(module, { dtype: 'int8', ...quantizeInt8PerUnit(w, n, h) }, new Float32Array(h), n, h);
      expect(enc.inputLevels).toBe(n <= 4128 ? 4095 : Math.floor((2 ** 31 - 1) / (n * 127)));
      expect(n * 127 * enc.inputLevels).toBeLessThan(2 ** 31);
      const z = both(enc, x, 1);
      for (let j = 0; j < h; j++) expect(z[j]! / (0.5 * (n - 1))).toBeCloseTo(1, 5);
    }
  });
});

describe('EncoderKernels input checks', () => {
  it('should name what is wrong: shape, bias length, row count, a non-finite input', () => {
    const w: EncoderWeightValues = { dtype: 'f32', values: new Float32Array(6) };
    expect(() => EncoderKernels.create(module, w, new Float32Array(4), 2, 4)).toThrow(/W_enc \(f32\) has 6 values, expected 2 × 4/);
    expect(() => EncoderKernels.create(module, w, new Float32Array(2), 2, 3)).toThrow(/b_enc has 2 values, expected h = 3/);
    const enc = EncoderKernels.create(module, w, new Float32Array(3), 2, 3);
    expect(() => enc.encode(new Float32Array(3), 2)).toThrow(/x has 3 values, expected 2 rows × 2/);
    expect(() => enc.encode(new Float32Array([0, 1, Infinity, 0]), 2)).toThrow(/x\[1, 0\] is Infinity/);
    expect(enc.encode(new Float32Array(0), 0)).toHaveLength(0);
  });
});

describe('the relaxed integer dot', () => {
  it('should be used only where the probe finds it computed as specified, and then agree with the portable sums', async () => {
    const { instantiateEncodeKernels } = await import('../../src/backends/assemblyscript/encoder-kernels.js');
    const k = instantiateEncodeKernels(module);
    const [rows, n, h] = [5, 22, 37];
    const rng = mulberry32(21);
    const x = randomArray(rng, rows * n, -1, 1), w = randomArray(rng, n * h, -1, 1), b = randomArray(rng, h, -1, 1);
    const enc = EncoderKernels.create(module, { dtype: 'int8', ...quantizeInt8PerUnit(w, n, h) }, b, n, h);
    expect(enc.int8Path).toBe(k.i8_dot_works() === 1 ? 'relaxed-dot' : 'portable');
    if (process.env.EDGE_SAE_KERNELS !== 'relaxed') expect(k.i8_dot_works()).toBe(0); // the plain build has none
    // whatever the path, the integer definition holds (the tests above), and rows = gemm
    both(enc, x, rows);
  });
});

describe('EncoderKernels.fromTensor', () => {
  it('should keep a BF16 tensor as stored, and narrow or quantise an F32 one when asked', async () => {
    const { bf16Tensor } = await import('../../src/formats/convert.js');
    const [rows, n, h] = [3, 10, 21];
    const rng = mulberry32(31);
    const x = randomArray(rng, rows * n, -1, 1), w = randomArray(rng, n * h, -1, 1), b = randomArray(rng, h, -1, 1);
    const f32Tensor = { name: 'W_enc', dtype: 'F32' as const, shape: [n, h], bytes: new Uint8Array(w.buffer.slice(0)) };
    const bits = float32ToBf16(w);
    const viaBits = EncoderKernels.create(module, { dtype: 'bf16', bits }, b, n, h).encode(x, rows);
    expect(Array.from(EncoderKernels.fromTensor(module, bf16Tensor('W_enc', [n, h], w), b, 'bf16').encode(x, rows))).toEqual(Array.from(viaBits));
    expect(Array.from(EncoderKernels.fromTensor(module, f32Tensor, b, 'bf16').encode(x, rows))).toEqual(Array.from(viaBits));
    const viaQ = EncoderKernels.create(module, { dtype: 'int8', ...quantizeInt8PerUnit(w, n, h) }, b, n, h).encode(x, rows);
    expect(Array.from(EncoderKernels.fromTensor(module, f32Tensor, b, 'int8').encode(x, rows))).toEqual(Array.from(viaQ));
    const viaF = EncoderKernels.create(module, { dtype: 'f32', values: w }, b, n, h).encode(x, rows);
    expect(Array.from(EncoderKernels.fromTensor(module, f32Tensor, b, 'f32').encode(x, rows))).toEqual(Array.from(viaF));
    expect(() => EncoderKernels.fromTensor(module, { ...f32Tensor, shape: [n * h] }, b, 'f32')).toThrow(/W_enc must be 2-D \[n, h\]/);
  });
});
