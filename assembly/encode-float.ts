/**
 * The encoder's pre-activation z = x·W_enc + b_enc (optionally ReLU'd), W_enc stored f32 or bf16 in
 * the layout these kernels read, laid out once when the encoder is loaded
 * (src/backends/assemblyscript/encoder-kernels.ts):
 *
 *   W_enc [n × h] → panels of 16 columns, h rounded up to hp = 16·⌈h/16⌉ (zero columns):
 *     panel p = W[0.., 16p .. 16p+15] stored k-major: for k in 0..n: 16 values (f32: 64 bytes,
 *     bf16: 32 bytes). One panel is one contiguous stream of n·16 values.
 *   b_enc → hp floats (zero beyond h).
 *   x [rows × n] f32, z [rows × h] f32, row-major, unpadded.
 *
 * Two kernel shapes a dtype:
 *   encode_*_rows  (few rows, GEMV-like): for each panel, each row in turn runs down the panel
 *       with 16 columns in four f32x4 accumulators. The panel (n·64 bytes, 48 KB at n = 768) comes
 *       from memory once per call, and from cache for the further rows: the weights stream at
 *       memory bandwidth.
 *   encode_*_gemm  (many rows): for each half panel (8 columns), tiles of 4 rows × 8 columns in
 *       eight accumulators, so each weight vector loaded serves 4 rows (as assembly/gemm.ts's 4×8
 *       micro-kernel). No k-blocking: the half panel (n·32 bytes) stays in L1/L2 across the row tiles.
 * The caller picks by row count (encoder-kernels.ts; the crossover is measured, docs/ENCODING.md).
 *
 * bf16 weights are widened in registers (bf16 is the high half of an f32): each v128 of 8 bf16 is
 * stored at load with its columns interleaved, c0 c4 c1 c5 c2 c6 c3 c7, so that one instruction
 * widens each half: i32x4.shl(v, 16) gives the even u16 lanes, c0..c3, and v & 0xFFFF0000 the odd
 * ones, c4..c7 (an extend then a shift, two instructions a half, cost a fifth more in the rows
 * kernel's loop). The products are exactly those of the widened weights, accumulated in f32.
 *
 * Accumulation order over k is sequential in every kernel (k = 0, 1, …), one f32 accumulator per
 * output, then + b and ReLU: the rows kernel and the GEMM give the same bits (madd: see simd.ts).
 */
import { madd } from './simd';

/** Columns of a panel. */
// @ts-ignore: decorator
@inline const PW: i32 = 16;
/** Rows of a GEMM tile. */
// @ts-ignore: decorator
@inline const MR: i32 = 4;

// @ts-ignore: decorator
@inline const F32: i32 = 0;
// @ts-ignore: decorator
@inline const BF16: i32 = 1;

/** A tile whose columns run past h is stored here (4 rows × 16 floats), then its columns copied to z. */
const EDGE: usize = memory.data(MR * PW * 4, 16);

/** Bytes of one k step of a panel. */
// @ts-ignore: decorator
@inline
function panelStep(dtype: i32): usize {
  return dtype == BF16 ? <usize>(PW * 2) : <usize>(PW * 4);
}

/** The f32 of 8 interleaved bf16 (see the header): columns 0–3 (high = false) or 4–7. */
// @ts-ignore: decorator
@inline
function widen(v: v128, high: bool): v128 {
  return high ? v128.and(v, i32x4.splat(<i32>0xffff0000)) : i32x4.shl(v, 16);
}

/** + b (4 lanes at bias), max(·, 0) when relu, stored at dst. */
// @ts-ignore: decorator
@inline
function finish(dst: usize, acc: v128, bias: usize, relu: bool): void {
  let v = f32x4.add(acc, v128.load(bias));
  if (relu) v = f32x4.max(v, f32x4.splat(0));
  v128.store(dst, v);
}

/** Copies `rows` rows of `w` floats from EDGE (row stride 16 floats) to z. */
// @ts-ignore: decorator
@inline
function copyEdge(z: usize, ldz: usize, rows: i32, w: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = z + <usize>r * ldz, s = EDGE + (<usize>r << 6);
    for (let jj = 0; jj < w; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(s + (<usize>jj << 2)));
  }
}

/** One row × one panel: 16 outputs at dst (+ b, ReLU). */
// @ts-ignore: decorator
@inline
function rowPanel(dtype: i32, x: usize, wp: usize, n: i32, dst: usize, bias: usize, relu: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let px = x, pw = wp;
  const end = x + (<usize>n << 2);
  while (px < end) {
    const a = v128.load32_splat(px);
    if (dtype == BF16) {
      const v0 = v128.load(pw), v1 = v128.load(pw, 16);
      c0 = madd(a, widen(v0, false), c0);
      c1 = madd(a, widen(v0, true), c1);
      c2 = madd(a, widen(v1, false), c2);
      c3 = madd(a, widen(v1, true), c3);
    } else {
      c0 = madd(a, v128.load(pw), c0);
      c1 = madd(a, v128.load(pw, 16), c1);
      c2 = madd(a, v128.load(pw, 32), c2);
      c3 = madd(a, v128.load(pw, 48), c3);
    }
    px += 4;
    pw += panelStep(dtype);
  }
  finish(dst, c0, bias, relu);
  finish(dst + 16, c1, bias + 16, relu);
  finish(dst + 32, c2, bias + 32, relu);
  finish(dst + 48, c3, bias + 48, relu);
}

// @ts-ignore: decorator
@inline
function encodeRows(dtype: i32, x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: bool, p0: i32, p1: i32): void {
  const ldx = <usize>n << 2, ldz = <usize>h << 2;
  const panelBytes = <usize>n * panelStep(dtype);
  for (let p = p0; p < p1; p++) {
    const wp = w + <usize>p * panelBytes;
    const j0 = p * PW, cols = min(PW, h - j0);
    const bp = bias + (<usize>j0 << 2);
    for (let r = 0; r < rows; r++) {
      const zr = z + <usize>r * ldz + (<usize>j0 << 2);
      if (cols == PW) {
        rowPanel(dtype, x + <usize>r * ldx, wp, n, zr, bp, relu);
      } else {
        rowPanel(dtype, x + <usize>r * ldx, wp, n, EDGE, bp, relu);
        copyEdge(zr, ldz, 1, cols);
      }
    }
  }
}

/** 4 rows × 8 columns (a half panel at wp, k step `step` bytes), stored at dst (row stride ldd). */
// @ts-ignore: decorator
@inline
function tile4x8(dtype: i32, x: usize, ldx: usize, wp: usize, n: i32, dst: usize, ldd: usize, bias: usize, relu: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const ldx2 = ldx + ldx, ldx3 = ldx2 + ldx;
  let px = x, pw = wp;
  const end = x + (<usize>n << 2);
  while (px < end) {
    let b0: v128, b1: v128;
    if (dtype == BF16) {
      const v = v128.load(pw);
      b0 = widen(v, false);
      b1 = widen(v, true);
    } else {
      b0 = v128.load(pw);
      b1 = v128.load(pw, 16);
    }
    const a0 = v128.load32_splat(px);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(px + ldx);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(px + ldx2);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(px + ldx3);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    px += 4;
    pw += panelStep(dtype);
  }
  finish(dst, c00, bias, relu);
  finish(dst + 16, c01, bias + 16, relu);
  finish(dst + ldd, c10, bias, relu);
  finish(dst + ldd + 16, c11, bias + 16, relu);
  finish(dst + 2 * ldd, c20, bias, relu);
  finish(dst + 2 * ldd + 16, c21, bias + 16, relu);
  finish(dst + 3 * ldd, c30, bias, relu);
  finish(dst + 3 * ldd + 16, c31, bias + 16, relu);
}

/** 1 row × 8 columns (the rows beyond a multiple of 4). */
// @ts-ignore: decorator
@inline
function tile1x8(dtype: i32, x: usize, wp: usize, n: i32, dst: usize, bias: usize, relu: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let px = x, pw = wp;
  const end = x + (<usize>n << 2);
  while (px < end) {
    let b0: v128, b1: v128;
    if (dtype == BF16) {
      const v = v128.load(pw);
      b0 = widen(v, false);
      b1 = widen(v, true);
    } else {
      b0 = v128.load(pw);
      b1 = v128.load(pw, 16);
    }
    const a = v128.load32_splat(px);
    c0 = madd(a, b0, c0);
    c1 = madd(a, b1, c1);
    px += 4;
    pw += panelStep(dtype);
  }
  finish(dst, c0, bias, relu);
  finish(dst + 16, c1, bias + 16, relu);
}

// @ts-ignore: decorator
@inline
function encodeGemm(dtype: i32, x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: bool, p0: i32, p1: i32): void {
  const ldx = <usize>n << 2, ldz = <usize>h << 2;
  const step = panelStep(dtype);
  const panelBytes = <usize>n * step;
  const halfOffset = step >> 1;
  const rows4 = rows & ~(MR - 1);
  for (let p = p0; p < p1; p++) {
    for (let half = 0; half < 2; half++) {
      const j0 = p * PW + half * 8;
      const cols = min(8, h - j0);
      if (cols <= 0) break;
      const wp = w + <usize>p * panelBytes + (half ? halfOffset : 0);
      const bp = bias + (<usize>j0 << 2);
      const zj = z + (<usize>j0 << 2);
      let i = 0;
      for (; i < rows4; i += MR) {
        if (cols == 8) {
          tile4x8(dtype, x + <usize>i * ldx, ldx, wp, n, zj + <usize>i * ldz, ldz, bp, relu);
        } else {
          tile4x8(dtype, x + <usize>i * ldx, ldx, wp, n, EDGE, PW << 2, bp, relu);
          copyEdge(zj + <usize>i * ldz, ldz, MR, cols);
        }
      }
      for (; i < rows; i++) {
        if (cols == 8) {
          tile1x8(dtype, x + <usize>i * ldx, wp, n, zj + <usize>i * ldz, bp, relu);
        } else {
          tile1x8(dtype, x + <usize>i * ldx, wp, n, EDGE, bp, relu);
          copyEdge(zj + <usize>i * ldz, ldz, 1, cols);
        }
      }
    }
  }
}

/** Panels of 16 columns in h: the exports below run all of them, their `_part` twins panels [p0, p1). */
// @ts-ignore: decorator
@inline
function panelsOf(h: i32): i32 {
  return (h + PW - 1) / PW;
}

/** z[rows × h] = x[rows × n] · W + b (ReLU when relu ≠ 0); W f32 in panels, b padded to hp (see the header). */
export function encode_f32_rows(x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: i32): void {
  encodeRows(F32, x, w, bias, z, rows, n, h, relu != 0, 0, panelsOf(h));
}

/** As encode_f32_rows, 4-row tiles (many rows). */
export function encode_f32_gemm(x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: i32): void {
  encodeGemm(F32, x, w, bias, z, rows, n, h, relu != 0, 0, panelsOf(h));
}

/** As encode_f32_rows with W bf16 in panels (widened in registers). */
export function encode_bf16_rows(x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: i32): void {
  encodeRows(BF16, x, w, bias, z, rows, n, h, relu != 0, 0, panelsOf(h));
}

/** As encode_f32_gemm with W bf16 in panels. */
export function encode_bf16_gemm(x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: i32): void {
  encodeGemm(BF16, x, w, bias, z, rows, n, h, relu != 0, 0, panelsOf(h));
}

/*
 * The `_part` twins compute the columns of panels [p0, p1) only, for the threads
 * (src/backends/assemblyscript/kernel-splits.ts): each part reads only its panels of W (the weights
 * are what streams from memory, so each thread reads its own share), and every output is computed
 * exactly as the whole call computes it. Only the part holding the last panel can touch EDGE.
 */
export function encode_f32_rows_part(x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: i32, p0: i32, p1: i32): void {
  encodeRows(F32, x, w, bias, z, rows, n, h, relu != 0, p0, p1);
}

export function encode_f32_gemm_part(x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: i32, p0: i32, p1: i32): void {
  encodeGemm(F32, x, w, bias, z, rows, n, h, relu != 0, p0, p1);
}

export function encode_bf16_rows_part(x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: i32, p0: i32, p1: i32): void {
  encodeRows(BF16, x, w, bias, z, rows, n, h, relu != 0, p0, p1);
}

export function encode_bf16_gemm_part(x: usize, w: usize, bias: usize, z: usize, rows: i32, n: i32, h: i32, relu: i32, p0: i32, p1: i32): void {
  encodeGemm(BF16, x, w, bias, z, rows, n, h, relu != 0, p0, p1);
}
