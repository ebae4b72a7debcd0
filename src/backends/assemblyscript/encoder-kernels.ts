/**
 * One encoder's weights in a kernel instance's memory, laid out once as the encode kernels read
 * them (assembly/encode-float.ts, assembly/encode-int8.ts), and z = x·W_enc + b_enc (+ ReLU) for a
 * batch of rows, the kernel chosen by row count. Not yet wired into the model's encode (issue 27):
 * the encode-only session will hold one of these.
 *
 *   W_enc [n × h] (input × hidden, row-major) given as
 *     f32   Float32Array                      → 16-column panels of f32, 64 bytes a k step
 *     bf16  Uint16Array of bf16 bits          → 16-column panels of bf16, 32 bytes a k step, each 8
 *                                               columns interleaved (bf16Slot)
 *     int8  Int8Array + per-column f32 scales → 16-column panels of 4×4 blocks (k4 steps of 64 bytes),
 *           with off_j = scale_j · Σ_k q[k, j] for the input's zero point
 *   b_enc [h] → padded to 16·⌈h/16⌉.
 *
 * fromTensor takes a src/formats tensor (F32 or BF16 as stored; F32 narrowed to bf16 or quantised
 * to int8 when asked).
 */
import { float32ToBf16, toFloat32 } from '../../formats/convert.js';
import { describeTensor, type Tensor } from '../../formats/tensor.js';
import type { StreamedMatrix } from '../weight-matrix.js';
import { Arena } from './arena.js';
import { quantizeInt8PerUnit } from './int8-quantize.js';

export type EncoderDtype = 'f32' | 'bf16' | 'int8';

export type EncoderWeightValues =
  | { dtype: 'f32'; values: Float32Array }
  | { dtype: 'bf16'; bits: Uint16Array }
  | { dtype: 'int8'; q: Int8Array; scales: Float32Array };

/**
 * W_enc given a block of rows at a time (rows k0 .. k0 + count − 1 of [n × h], row-major), so the
 * weights can be laid out from a file without ever being whole in JavaScript memory
 * (src/model/encoder-file.ts): the layout asks for blocks of STREAM_ROWS rows in order.
 */
export type StreamedEncoderWeights = StreamedMatrix;

/** Rows of W_enc a streamed layout asks for at a time. */
export const STREAM_ROWS = 32;

/** The exports of build/kernels*.wasm these use (assembly/encode-*.ts). */
export interface EncodeKernelExports {
  readonly memory: WebAssembly.Memory;
  heap_base(): number;
  encode_f32_rows(x: number, w: number, b: number, z: number, rows: number, n: number, h: number, relu: number): void;
  encode_f32_gemm(x: number, w: number, b: number, z: number, rows: number, n: number, h: number, relu: number): void;
  encode_bf16_rows(x: number, w: number, b: number, z: number, rows: number, n: number, h: number, relu: number): void;
  encode_bf16_gemm(x: number, w: number, b: number, z: number, rows: number, n: number, h: number, relu: number): void;
  quantize_rows(x: number, rows: number, n: number, nq: number, levels: number, xu8: number, xi16: number, params: number): void;
  encode_i8_rows(xu8: number, xi16: number, params: number, w: number, scale: number, off: number, b: number, z: number, rows: number, nq: number, h: number, relu: number): void;
  encode_i8_gemm(xu8: number, xi16: number, params: number, w: number, scale: number, off: number, b: number, z: number, rows: number, nq: number, h: number, relu: number): void;
  encode_i8_rows_dot(xu8: number, xi16: number, params: number, w: number, scale: number, off: number, b: number, z: number, rows: number, nq: number, h: number, relu: number): void;
  encode_i8_gemm_dot(xu8: number, xi16: number, params: number, w: number, scale: number, off: number, b: number, z: number, rows: number, nq: number, h: number, relu: number): void;
  /** 1 when the build has the relaxed integer dot and this engine computes it as specified. */
  i8_dot_works(): number;
}

const REQUIRED = [
  'heap_base', 'encode_f32_rows', 'encode_f32_gemm', 'encode_bf16_rows', 'encode_bf16_gemm',
  'quantize_rows', 'encode_i8_rows', 'encode_i8_gemm', 'encode_i8_rows_dot', 'encode_i8_gemm_dot', 'i8_dot_works',
] as const;

/**
 * Rows from which the GEMM kernel is used (below: the rows kernel), from bench/encode-kernels.ts's
 * "gemm time ÷ rows-kernel time" records at 768 → 24576 (docs/ENCODING.md): the f32 GEMM overtakes
 * the rows kernel between 8 and 16 rows, the bf16 one at 4, the int8 one at about 4 (within noise
 * from 4 to 16). Measured on a loaded machine: to be rechecked on a quiet one.
 */
export const DEFAULT_GEMM_FROM_ROWS: Record<EncoderDtype, number> = { f32: 12, bf16: 4, int8: 4 };

export type EncodeKernelChoice = 'auto' | 'rows' | 'gemm';

export interface EncodeOptions {
  /** max(z, 0) (a ReLU SAE's codes); default false (z itself). */
  relu?: boolean;
  /** Force one kernel shape (tests, benchmarks); default by row count. */
  kernel?: EncodeKernelChoice;
}

const PW = 16;

/** A new instance of the kernel module for one encoder (its own memory). */
export function instantiateEncodeKernels(module: WebAssembly.Module): EncodeKernelExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(): never {
        throw new Error('edge-sae: an encode kernel aborted');
      },
    },
  });
  const exports = instance.exports as unknown as EncodeKernelExports;
  for (const name of REQUIRED) {
    if (typeof exports[name] !== 'function') {
      throw new Error(`edge-sae: the kernel module lacks the export "${name}"; rebuild it with npm run build:wasm`);
    }
  }
  return exports;
}

/** W [n × h] → panels (see the module comment), hp = 16·⌈h/16⌉ columns: f32 values or bf16 bits alike. */
function panels<T extends Float32Array | Uint16Array>(w: T, n: number, h: number, out: T, k0 = 0, kCount = n): void {
  const count = Math.ceil(h / PW);
  for (let p = 0; p < count; p++) {
    const j0 = p * PW, cols = Math.min(PW, h - j0), base = p * n * PW;
    for (let k = k0; k < k0 + kCount; k++) {
      const src = (k - k0) * h + j0, dst = base + k * PW;
      for (let c = 0; c < cols; c++) out[dst + c] = w[src + c]!;
    }
  }
}

/**
 * Where column c of a bf16 panel sits among a k step's 16 values: each 8 (one v128) stored
 * c0 c4 c1 c5 c2 c6 c3 c7, so the kernel widens each half with one instruction
 * (assembly/encode-float.ts's header).
 */
export const bf16Slot = (c: number): number => (c & 8) | ((c & 3) << 1) | ((c >> 2) & 1);

/**
 * bf16 W [n × h] → panels as `panels` lays f32 out, each 8 columns interleaved (bf16Slot). Full
 * panels two values at a time (a Uint32 of columns j and j + 4: half the stores, the layout's cost
 * at load) when the output is 4-byte aligned; the last panel's edge value by value.
 */
function panelsBf16(bits: Uint16Array, n: number, h: number, out: Uint16Array, k0 = 0, kCount = n): void {
  const count = Math.ceil(h / PW), full = out.byteOffset % 4 === 0 ? Math.floor(h / PW) : 0;
  const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length >> 1);
  for (let p = 0; p < full; p++) {
    const j0 = p * PW, base = (p * n * PW) >> 1;
    for (let k = k0; k < k0 + kCount; k++) {
      const src = (k - k0) * h + j0, dst = base + k * (PW >> 1);
      for (let i = 0; i < 4; i++) {
        o32[dst + i] = bits[src + i]! | (bits[src + 4 + i]! << 16);
        o32[dst + 4 + i] = bits[src + 8 + i]! | (bits[src + 12 + i]! << 16);
      }
    }
  }
  for (let p = full; p < count; p++) {
    const j0 = p * PW, cols = Math.min(PW, h - j0), base = p * n * PW;
    for (let k = k0; k < k0 + kCount; k++) {
      const src = (k - k0) * h + j0, dst = base + k * PW;
      for (let c = 0; c < cols; c++) out[dst + bf16Slot(c)] = bits[src + c]!;
    }
  }
}

/** int8 W [n × h] → panels of 4×4 blocks: byte (p, k4, g, c, t) = q[4·k4 + t, 16p + 4g + c]. */
function panelsI8(q: Int8Array, n: number, h: number, nq: number, out: Int8Array, k0 = 0, kCount = n): void {
  const panels = Math.ceil(h / PW);
  for (let p = 0; p < panels; p++) {
    const j0 = p * PW, cols = Math.min(PW, h - j0), base = p * nq * PW;
    for (let k = k0; k < k0 + kCount; k++) {
      const k4 = k >> 2, t = k & 3, src = (k - k0) * h + j0, dst = base + k4 * 64 + t;
      for (let c = 0; c < cols; c++) out[dst + (c >> 2) * 16 + (c & 3) * 4] = q[src + c]!;
    }
  }
}

/** A streamed block of the length asked for. */
function checkBlock<T extends { length: number }>(block: T, length: number): T {
  if (block.length !== length) throw new RangeError(`EncoderKernels: a streamed block of W_enc has ${block.length} values, expected ${length}`);
  return block;
}

export class EncoderKernels {
  readonly dtype: EncoderDtype;
  readonly n: number;
  readonly h: number;
  /** Bytes of the laid-out weights (what one row's encode must read). */
  readonly weightBytes: number;
  readonly gemmFromRows: number;
  /**
   * The int8 integer sums: 'relaxed-dot' (the relaxed build, on an engine whose relaxed dot passes
   * the kernel's own probe) or 'portable'. Both give the same z, bit for bit.
   */
  readonly int8Path: 'relaxed-dot' | 'portable';
  /** The instance's memory: the weights persistent, each encode's blocks scratch (reset by encode and by run's caller). */
  readonly arena: Arena;
  private readonly w: number;
  private readonly b: number;
  private readonly scale: number;
  private readonly off: number;
  private readonly nq: number;
  /**
   * int8: the input row's top quantisation level L (u ∈ [0, L]): 4095 (12 bits) while the integer
   * sums n·127·L stay below 2³¹ (n ≤ 4128), fewer levels beyond.
   */
  readonly inputLevels: number;

  private constructor(readonly k: EncodeKernelExports, weights: EncoderWeightValues | StreamedEncoderWeights, b: Float32Array, n: number, h: number, gemmFromRows?: number) {
    if (!Number.isInteger(n) || !Number.isInteger(h) || n < 1 || h < 1) throw new RangeError(`EncoderKernels: bad shape ${n} × ${h}`);
    if (b.length !== h) throw new RangeError(`EncoderKernels: b_enc has ${b.length} values, expected h = ${h}`);
    this.dtype = weights.dtype;
    this.n = n;
    this.h = h;
    this.gemmFromRows = gemmFromRows ?? DEFAULT_GEMM_FROM_ROWS[weights.dtype];
    this.arena = new Arena(k.memory, k.heap_base());
    this.int8Path = k.i8_dot_works() === 1 ? 'relaxed-dot' : 'portable';
    const hp = Math.ceil(h / PW) * PW;
    this.nq = Math.ceil(n / 4) * 4;
    this.inputLevels = Math.min(4095, Math.floor((2 ** 31 - 1) / (this.nq * 127)));
    if (weights.dtype === 'int8' && this.inputLevels < 1) throw new RangeError(`EncoderKernels: n = ${n} is too large for int8 sums in 32 bits`);
    const count = (weights.dtype === 'int8' ? this.nq : n) * hp;
    const expect = n * h;
    const given = 'rows' in weights ? expect : weights.dtype === 'f32' ? weights.values.length : weights.dtype === 'bf16' ? weights.bits.length : weights.q.length;
    if (given !== expect) throw new RangeError(`EncoderKernels: W_enc (${weights.dtype}) has ${given} values, expected ${n} × ${h} = ${expect}`);

    this.b = this.arena.allocatePersistent(hp * 4);
    this.scale = this.arena.allocatePersistent(hp * 4);
    this.off = this.arena.allocatePersistent(hp * 4);
    const bytesPer = weights.dtype === 'f32' ? 4 : weights.dtype === 'bf16' ? 2 : 1;
    this.weightBytes = count * bytesPer;
    this.w = this.arena.allocatePersistent(this.weightBytes);
    const buffer = k.memory.buffer;
    new Float32Array(buffer, this.b, h).set(b);
    // (views of the memory taken after every allocation: none of these calls grows it)
    const colsum = new Float64Array(weights.dtype === 'int8' ? h : 0);
    const addColsum = (q: Int8Array, rows: number) => {
      for (let kk = 0; kk < rows; kk++) for (let j = 0; j < h; j++) colsum[j]! += q[kk * h + j]!;
    };
    if ('rows' in weights) {
      for (let k0 = 0; k0 < n; k0 += STREAM_ROWS) {
        const kCount = Math.min(STREAM_ROWS, n - k0);
        if (weights.dtype === 'f32') panels(checkBlock(weights.rows(k0, kCount), kCount * h), n, h, new Float32Array(k.memory.buffer, this.w, count), k0, kCount);
        else if (weights.dtype === 'bf16') panelsBf16(checkBlock(weights.rows(k0, kCount), kCount * h), n, h, new Uint16Array(k.memory.buffer, this.w, count), k0, kCount);
        else {
          const q = checkBlock(weights.rows(k0, kCount), kCount * h);
          panelsI8(q, n, h, this.nq, new Int8Array(k.memory.buffer, this.w, count), k0, kCount);
          addColsum(q, kCount);
        }
      }
    } else if (weights.dtype === 'f32') panels(weights.values, n, h, new Float32Array(buffer, this.w, count));
    else if (weights.dtype === 'bf16') panelsBf16(weights.bits, n, h, new Uint16Array(buffer, this.w, count));
    else {
      panelsI8(weights.q, n, h, this.nq, new Int8Array(buffer, this.w, count));
      addColsum(weights.q, n);
    }
    if (weights.dtype === 'int8') {
      const { scales } = weights;
      if (scales.length !== h) throw new RangeError(`EncoderKernels: int8 scales have ${scales.length} values, expected h = ${h}`);
      const scale = new Float32Array(buffer, this.scale, h), off = new Float32Array(buffer, this.off, h);
      for (let j = 0; j < h; j++) {
        scale[j] = scales[j]!;
        off[j] = scales[j]! * colsum[j]!;
      }
    }
  }

  /** An encoder from weights already in their dtype (a fresh kernel instance from `module`). */
  static create(module: WebAssembly.Module, weights: EncoderWeightValues, b: Float32Array, n: number, h: number, options: { gemmFromRows?: number } = {}): EncoderKernels {
    return new EncoderKernels(instantiateEncodeKernels(module), weights, b, n, h, options.gemmFromRows);
  }

  /** As create, on an instance the caller made (the encode session instantiates the whole kernel module once); weights whole or streamed. */
  static onInstance(exports: EncodeKernelExports, weights: EncoderWeightValues | StreamedEncoderWeights, b: Float32Array, n: number, h: number, options: { gemmFromRows?: number } = {}): EncoderKernels {
    return new EncoderKernels(exports, weights, b, n, h, options.gemmFromRows);
  }

  /**
   * An encoder from W_enc as a tensor of shape [n, h]: F32 or BF16 kept as stored when `dtype` is
   * theirs; F32 (or anything toFloat32 widens) narrowed to bf16 or quantised to int8 when asked.
   */
  static fromTensor(module: WebAssembly.Module, wEnc: Tensor, bEnc: Float32Array, dtype: EncoderDtype, options: { gemmFromRows?: number } = {}): EncoderKernels {
    if (wEnc.shape.length !== 2) throw new RangeError(`EncoderKernels: W_enc must be 2-D [n, h], got ${describeTensor(wEnc)}`);
    const [n, h] = wEnc.shape as [number, number];
    let weights: EncoderWeightValues;
    if (dtype === 'bf16' && wEnc.dtype === 'BF16') {
      const bits = new Uint16Array(n * h);
      const view = new DataView(wEnc.bytes.buffer, wEnc.bytes.byteOffset, wEnc.bytes.byteLength);
      for (let i = 0; i < bits.length; i++) bits[i] = view.getUint16(2 * i, true);
      weights = { dtype, bits };
    } else {
      const values = toFloat32(wEnc);
      weights = dtype === 'f32' ? { dtype, values } : dtype === 'bf16' ? { dtype, bits: float32ToBf16(values) } : { dtype, ...quantizeInt8PerUnit(values, n, h) };
    }
    return EncoderKernels.create(module, weights, bEnc, n, h, options);
  }

  /** z [rows × h] = x [rows × n] · W_enc + b_enc (ReLU'd when options.relu), float32. */
  encode(x: Float32Array, rows: number, options: EncodeOptions = {}): Float32Array {
    const { n, h, k, arena } = this;
    if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`EncoderKernels.encode: bad row count ${rows}`);
    if (x.length !== rows * n) throw new RangeError(`EncoderKernels.encode: x has ${x.length} values, expected ${rows} rows × ${n}`);
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i]!)) throw new RangeError(`EncoderKernels.encode: x[${Math.floor(i / n)}, ${i % n}] is ${x[i]}; inputs must be finite`);
    }
    if (rows === 0) return new Float32Array(0);
    arena.resetScratch();
    const px = arena.allocateScratch(rows * n * 4);
    const pz = arena.allocateScratch(rows * h * 4);
    arena.f32(px, rows * n).set(x);
    this.run(px, rows, pz, options);
    const z = arena.f32(pz, rows * h).slice();
    arena.resetScratch();
    return z;
  }

  /**
   * z [rows × h] at address pz = x [rows × n] at address px · W_enc + b_enc, both blocks in this
   * instance's memory (the caller's scratch: x finite). The kernel by row count, as encode.
   */
  run(px: number, rows: number, pz: number, options: EncodeOptions = {}): void {
    const { h, k, arena } = this;
    const choice = options.kernel ?? 'auto';
    const gemm = choice === 'gemm' || (choice === 'auto' && rows >= this.gemmFromRows);
    const relu = options.relu ? 1 : 0;
    if (this.dtype === 'int8') {
      const nq = this.nq;
      const pu8 = arena.allocateScratch(rows * nq * 2), pi16 = arena.allocateScratch(rows * nq * 2), prm = arena.allocateScratch(rows * 8);
      k.quantize_rows(px, rows, this.n, nq, this.inputLevels, pu8, pi16, prm);
      const dot = this.int8Path === 'relaxed-dot';
      (gemm ? (dot ? k.encode_i8_gemm_dot : k.encode_i8_gemm) : dot ? k.encode_i8_rows_dot : k.encode_i8_rows)(pu8, pi16, prm, this.w, this.scale, this.off, this.b, pz, rows, nq, h, relu);
    } else if (this.dtype === 'bf16') {
      (gemm ? k.encode_bf16_gemm : k.encode_bf16_rows)(px, this.w, this.b, pz, rows, this.n, h, relu);
    } else {
      (gemm ? k.encode_f32_gemm : k.encode_f32_rows)(px, this.w, this.b, pz, rows, this.n, h, relu);
    }
  }
}
