/**
 * The encoder's pre-activation z = x·W_enc + b_enc with W_enc int8 (per output column symmetric
 * scales), in integer arithmetic over a quantised input row.
 *
 * Weights: W[k, j] ≈ scale_j · q[k, j], q ∈ [−127, 127] (src/backends/assemblyscript/int8-quantize.ts).
 * Input row: x_k ≈ m + s · u_k with u_k ∈ [0, L] (quantize_rows below: per row, asymmetric, L + 1
 * levels from the row's min to its max; L = 4095, 12 bits, unless n is so large that
 * n · 127 · L would pass 2³¹: the wrapper picks L, src/backends/assemblyscript/encoder-kernels.ts).
 * Then, exactly in integers,
 *
 *   z_j = scale_j · (s · Σ_k u_k q[k, j] + m · Σ_k q[k, j]) + b_j
 *
 * with colsum_j = Σ_k q[k, j] fixed at load (passed as off_j = scale_j · colsum_j, f32).
 *
 * The portable kernels multiply q (widened to i16) by u (i16) with i32x4.dot_i16x8_s over pairs of
 * k, adding the pairs at the end. The relaxed dot, i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, c),
 * is deterministic only when b ∈ [0, 127] (x86 lowers it to pmaddubsw, which reads b unsigned and
 * saturates pairs; with b ≤ 127 no pair can saturate), so there the weights keep their full int8
 * range as a and u goes in as two base-64 digits (u >> 6, u & 63), two dots, joined as 64·hi + lo:
 * the same integers. With the same f32 epilogue (no fused multiply-add) both give the same z, bit
 * for bit. (An input quantised to 7 bits, one digit, measured top-32 overlap 0.962 on the accuracy
 * test's data; 12 bits cost the portable kernels nothing, their input is i16 anyway.)
 *
 * Layout (laid out once at load): h → hp = 16·⌈h/16⌉, n → nq = 4·⌈n/4⌉, zero padded; panel p
 * (columns 16p .. 16p+15) holds, for each k4 in 0 .. nq/4, 64 bytes: four groups of four columns,
 * group g = 16 bytes [c0: k..k+3][c1: k..k+3][c2: …][c3: …] (k = 4·k4, cᵢ = 16p + 4g + i). One
 * dot instruction then gives the four columns' sums over four k.
 */

// @ts-ignore: decorator
@inline const PW: i32 = 16;
// @ts-ignore: decorator
@inline const MR: i32 = 4;

/** A tile whose columns run past h is stored here (4 rows × 16 floats), then its columns copied to z. */
const EDGE: usize = memory.data(MR * PW * 4, 16);

/**
 * Quantises rows of x [rows × n] f32 to u ∈ [0, levels] (levels ≤ 4095, 12 bits): per row m = min,
 * s = (max − min)/levels, u_k = round((x_k − m)/s) (0 when max = min), u_k = 0 for k in [n, nq).
 * Writes u as i16 (xi16 [rows × nq], the portable kernels) and as two base-64 digits for the
 * relaxed dot (xu8 [rows × 2nq]: per 4 k, 4 bytes of u >> 6 then 4 bytes of u & 63, all in
 * [0, 63] ⊂ [0, 127]), and params [rows × 2] f32 = (s, m).
 */
export function quantize_rows(x: usize, rows: i32, n: i32, nq: i32, levels: i32, xu8: usize, xi16: usize, params: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * n) << 2);
    let lo = load<f32>(xr), hi = lo;
    for (let k = 1; k < n; k++) {
      const v = load<f32>(xr + (<usize>k << 2));
      lo = min(lo, v);
      hi = max(hi, v);
    }
    const s: f32 = (hi - lo) / <f32>levels;
    const inv: f32 = s > 0 ? <f32>1 / s : 0;
    const ur = xu8 + <usize>(r * nq * 2), ir = xi16 + (<usize>(r * nq) << 1);
    for (let k = 0; k < nq; k++) {
      let u: i32 = 0;
      if (k < n) u = min(levels, max(0, <i32>nearest<f32>((load<f32>(xr + (<usize>k << 2)) - lo) * inv)));
      const d = ur + (<usize>(k >> 2) << 3) + <usize>(k & 3);
      store<u8>(d, <u8>(u >> 6));
      store<u8>(d, <u8>(u & 63), 4);
      store<i16>(ir + (<usize>k << 1), <i16>u);
    }
    store<f32>(params + (<usize>r << 3), s);
    store<f32>(params + (<usize>r << 3), lo, 4);
  }
}

/** Σ over 4 k of q·u for 4 columns, added to acc (relaxed build: one instruction). */
// @ts-ignore: decorator
@inline
function dotRelaxed(w: v128, u8: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, u8, acc);
  return unreachable(); // never called in the plain build (every caller passes dot = the feature flag)
}

/** Portable: pair sums of the 2 low columns added to lo, of the 2 high columns to hi (u16: u as i16, 4 lanes twice). */
// @ts-ignore: decorator
@inline
function dotPairsLo(w: v128, u16: v128, lo: v128): v128 {
  return i32x4.add(lo, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), u16));
}
// @ts-ignore: decorator
@inline
function dotPairsHi(w: v128, u16: v128, hi: v128): v128 {
  return i32x4.add(hi, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), u16));
}
/** The four columns' sums from the pair sums: [lo0+lo1, lo2+lo3, hi0+hi1, hi2+hi3]. */
// @ts-ignore: decorator
@inline
function joinPairs(lo: v128, hi: v128): v128 {
  return i32x4.add(v128.shuffle<i32>(lo, hi, 0, 2, 4, 6), v128.shuffle<i32>(lo, hi, 1, 3, 5, 7));
}

/** The sums from the base-64 digits' sums: 64·hi + lo. */
// @ts-ignore: decorator
@inline
function joinDigits(hi: v128, lo: v128): v128 {
  return i32x4.add(i32x4.shl(hi, 6), lo);
}

/** z = scale·(s·acc + m·colsum) + b as scale·acc·s + off·m + b (plain mul/add: both builds alike), ReLU, stored. */
// @ts-ignore: decorator
@inline
function finish(dst: usize, acc: v128, s: v128, m: v128, scale: usize, off: usize, bias: usize, relu: bool): void {
  const a = f32x4.convert_i32x4_s(acc);
  let v = f32x4.mul(f32x4.mul(a, v128.load(scale)), s);
  v = f32x4.add(v, f32x4.mul(v128.load(off), m));
  v = f32x4.add(v, v128.load(bias));
  if (relu) v = f32x4.max(v, f32x4.splat(0));
  v128.store(dst, v);
}

// @ts-ignore: decorator
@inline
function copyEdge(z: usize, ldz: usize, rows: i32, w: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = z + <usize>r * ldz, src = EDGE + (<usize>r << 6);
    for (let jj = 0; jj < w; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(src + (<usize>jj << 2)));
  }
}

/** One row × one panel (16 columns) at dst. u: the row's base-64 digits (relaxed) or i16 (portable) values. */
// @ts-ignore: decorator
@inline
function rowPanel(dot: bool, u: usize, wp: usize, nq: i32, prm: usize, dst: usize, scale: usize, off: usize, bias: usize, relu: bool): void {
  const s = v128.load32_splat(prm), m = v128.load32_splat(prm, 4);
  const steps = nq >> 2;
  if (dot) {
    let c0 = i32x4.splat(0), c1 = i32x4.splat(0), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
    let e0 = i32x4.splat(0), e1 = i32x4.splat(0), e2 = i32x4.splat(0), e3 = i32x4.splat(0);
    let pu = u, pw = wp;
    for (let t = 0; t < steps; t++) {
      const a = v128.load32_splat(pu), b = v128.load32_splat(pu, 4);
      const w0 = v128.load(pw), w1 = v128.load(pw, 16), w2 = v128.load(pw, 32), w3 = v128.load(pw, 48);
      c0 = dotRelaxed(w0, a, c0);
      e0 = dotRelaxed(w0, b, e0);
      c1 = dotRelaxed(w1, a, c1);
      e1 = dotRelaxed(w1, b, e1);
      c2 = dotRelaxed(w2, a, c2);
      e2 = dotRelaxed(w2, b, e2);
      c3 = dotRelaxed(w3, a, c3);
      e3 = dotRelaxed(w3, b, e3);
      pu += 8;
      pw += 64;
    }
    finish(dst, joinDigits(c0, e0), s, m, scale, off, bias, relu);
    finish(dst + 16, joinDigits(c1, e1), s, m, scale + 16, off + 16, bias + 16, relu);
    finish(dst + 32, joinDigits(c2, e2), s, m, scale + 32, off + 32, bias + 32, relu);
    finish(dst + 48, joinDigits(c3, e3), s, m, scale + 48, off + 48, bias + 48, relu);
  } else {
    let l0 = i32x4.splat(0), h0 = i32x4.splat(0), l1 = i32x4.splat(0), h1 = i32x4.splat(0);
    let l2 = i32x4.splat(0), h2 = i32x4.splat(0), l3 = i32x4.splat(0), h3 = i32x4.splat(0);
    let pu = u, pw = wp;
    for (let t = 0; t < steps; t++) {
      const a = v128.load64_splat(pu);
      const w0 = v128.load(pw), w1 = v128.load(pw, 16), w2 = v128.load(pw, 32), w3 = v128.load(pw, 48);
      l0 = dotPairsLo(w0, a, l0);
      h0 = dotPairsHi(w0, a, h0);
      l1 = dotPairsLo(w1, a, l1);
      h1 = dotPairsHi(w1, a, h1);
      l2 = dotPairsLo(w2, a, l2);
      h2 = dotPairsHi(w2, a, h2);
      l3 = dotPairsLo(w3, a, l3);
      h3 = dotPairsHi(w3, a, h3);
      pu += 8;
      pw += 64;
    }
    finish(dst, joinPairs(l0, h0), s, m, scale, off, bias, relu);
    finish(dst + 16, joinPairs(l1, h1), s, m, scale + 16, off + 16, bias + 16, relu);
    finish(dst + 32, joinPairs(l2, h2), s, m, scale + 32, off + 32, bias + 32, relu);
    finish(dst + 48, joinPairs(l3, h3), s, m, scale + 48, off + 48, bias + 48, relu);
  }
}

/** The input operand of row r: its digits (relaxed) or i16 (portable) values. */
// @ts-ignore: decorator
@inline
function rowInput(dot: bool, xu8: usize, xi16: usize, r: i32, nq: i32): usize {
  return dot ? xu8 + <usize>(r * nq * 2) : xi16 + (<usize>(r * nq) << 1);
}

/** The rows kernel: each panel streamed once, each row down it in turn. */
// @ts-ignore: decorator
@inline
function encodeRows(dot: bool, xu8: usize, xi16: usize, params: usize, w: usize, scale: usize, off: usize, bias: usize, z: usize, rows: i32, nq: i32, h: i32, relu: i32, p0: i32, p1: i32): void {
  const ldz = <usize>h << 2;
  const panelBytes = <usize>nq << 4;
  for (let p = p0; p < p1; p++) {
    const wp = w + <usize>p * panelBytes;
    const j0 = p * PW, cols = min(PW, h - j0);
    const jo = <usize>j0 << 2;
    for (let r = 0; r < rows; r++) {
      const zr = z + <usize>r * ldz + jo;
      const dst = cols == PW ? zr : EDGE;
      rowPanel(dot, rowInput(dot, xu8, xi16, r, nq), wp, nq, params + (<usize>r << 3), dst, scale + jo, off + jo, bias + jo, relu != 0);
      if (cols < PW) copyEdge(zr, ldz, 1, cols);
    }
  }
}

/** Tiles of up to 4 rows × 8 columns (two groups at wp, k4 step 64 bytes), stored at dst. */
// @ts-ignore: decorator
@inline
function tile(dot: bool, rows: i32, xu8: usize, xi16: usize, r0: i32, nq: i32, params: usize, wp: usize, dst: usize, ldd: usize, scale: usize, off: usize, bias: usize, relu: bool): void {
  const steps = nq >> 2;
  if (dot) {
    // c: sums with the high digits, e: with the low ones
    let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
    let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
    let e00 = i32x4.splat(0), e01 = i32x4.splat(0), e10 = i32x4.splat(0), e11 = i32x4.splat(0);
    let e20 = i32x4.splat(0), e21 = i32x4.splat(0), e30 = i32x4.splat(0), e31 = i32x4.splat(0);
    const ld = <usize>nq << 1;
    const u0 = xu8 + <usize>r0 * ld;
    let pw = wp;
    for (let t = 0; t < steps; t++) {
      const o = <usize>t << 3;
      const w0 = v128.load(pw), w1 = v128.load(pw, 16);
      const a0 = v128.load32_splat(u0 + o), b0 = v128.load32_splat(u0 + o, 4);
      c00 = dotRelaxed(w0, a0, c00);
      c01 = dotRelaxed(w1, a0, c01);
      e00 = dotRelaxed(w0, b0, e00);
      e01 = dotRelaxed(w1, b0, e01);
      if (rows > 1) {
        const a1 = v128.load32_splat(u0 + ld + o), b1 = v128.load32_splat(u0 + ld + o, 4);
        c10 = dotRelaxed(w0, a1, c10);
        c11 = dotRelaxed(w1, a1, c11);
        e10 = dotRelaxed(w0, b1, e10);
        e11 = dotRelaxed(w1, b1, e11);
        const a2 = v128.load32_splat(u0 + 2 * ld + o), b2 = v128.load32_splat(u0 + 2 * ld + o, 4);
        c20 = dotRelaxed(w0, a2, c20);
        c21 = dotRelaxed(w1, a2, c21);
        e20 = dotRelaxed(w0, b2, e20);
        e21 = dotRelaxed(w1, b2, e21);
        const a3 = v128.load32_splat(u0 + 3 * ld + o), b3 = v128.load32_splat(u0 + 3 * ld + o, 4);
        c30 = dotRelaxed(w0, a3, c30);
        c31 = dotRelaxed(w1, a3, c31);
        e30 = dotRelaxed(w0, b3, e30);
        e31 = dotRelaxed(w1, b3, e31);
      }
      pw += 64;
    }
    storeTile(rows, joinDigits(c00, e00), joinDigits(c01, e01), joinDigits(c10, e10), joinDigits(c11, e11),
      joinDigits(c20, e20), joinDigits(c21, e21), joinDigits(c30, e30), joinDigits(c31, e31),
      params + (<usize>r0 << 3), dst, ldd, scale, off, bias, relu);
  } else {
    let l00 = i32x4.splat(0), h00 = i32x4.splat(0), l01 = i32x4.splat(0), h01 = i32x4.splat(0);
    let l10 = i32x4.splat(0), h10 = i32x4.splat(0), l11 = i32x4.splat(0), h11 = i32x4.splat(0);
    let l20 = i32x4.splat(0), h20 = i32x4.splat(0), l21 = i32x4.splat(0), h21 = i32x4.splat(0);
    let l30 = i32x4.splat(0), h30 = i32x4.splat(0), l31 = i32x4.splat(0), h31 = i32x4.splat(0);
    const u0 = xi16 + (<usize>(r0 * nq) << 1);
    const ld = <usize>nq << 1;
    let pw = wp;
    for (let t = 0; t < steps; t++) {
      const o = <usize>t << 3;
      const w0 = v128.load(pw), w1 = v128.load(pw, 16);
      // the weights widened once, used by every row of the tile
      const e0l = i16x8.extend_low_i8x16_s(w0), e0h = i16x8.extend_high_i8x16_s(w0);
      const e1l = i16x8.extend_low_i8x16_s(w1), e1h = i16x8.extend_high_i8x16_s(w1);
      const a0 = v128.load64_splat(u0 + o);
      l00 = i32x4.add(l00, i32x4.dot_i16x8_s(e0l, a0));
      h00 = i32x4.add(h00, i32x4.dot_i16x8_s(e0h, a0));
      l01 = i32x4.add(l01, i32x4.dot_i16x8_s(e1l, a0));
      h01 = i32x4.add(h01, i32x4.dot_i16x8_s(e1h, a0));
      if (rows > 1) {
        const a1 = v128.load64_splat(u0 + ld + o);
        l10 = i32x4.add(l10, i32x4.dot_i16x8_s(e0l, a1));
        h10 = i32x4.add(h10, i32x4.dot_i16x8_s(e0h, a1));
        l11 = i32x4.add(l11, i32x4.dot_i16x8_s(e1l, a1));
        h11 = i32x4.add(h11, i32x4.dot_i16x8_s(e1h, a1));
        const a2 = v128.load64_splat(u0 + 2 * ld + o);
        l20 = i32x4.add(l20, i32x4.dot_i16x8_s(e0l, a2));
        h20 = i32x4.add(h20, i32x4.dot_i16x8_s(e0h, a2));
        l21 = i32x4.add(l21, i32x4.dot_i16x8_s(e1l, a2));
        h21 = i32x4.add(h21, i32x4.dot_i16x8_s(e1h, a2));
        const a3 = v128.load64_splat(u0 + 3 * ld + o);
        l30 = i32x4.add(l30, i32x4.dot_i16x8_s(e0l, a3));
        h30 = i32x4.add(h30, i32x4.dot_i16x8_s(e0h, a3));
        l31 = i32x4.add(l31, i32x4.dot_i16x8_s(e1l, a3));
        h31 = i32x4.add(h31, i32x4.dot_i16x8_s(e1h, a3));
      }
      pw += 64;
    }
    storeTile(rows, joinPairs(l00, h00), joinPairs(l01, h01), joinPairs(l10, h10), joinPairs(l11, h11),
      joinPairs(l20, h20), joinPairs(l21, h21), joinPairs(l30, h30), joinPairs(l31, h31),
      params + (<usize>r0 << 3), dst, ldd, scale, off, bias, relu);
  }
}

// @ts-ignore: decorator
@inline
function storeTile(rows: i32, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
  prm: usize, dst: usize, ldd: usize, scale: usize, off: usize, bias: usize, relu: bool): void {
  finish(dst, c00, v128.load32_splat(prm), v128.load32_splat(prm, 4), scale, off, bias, relu);
  finish(dst + 16, c01, v128.load32_splat(prm), v128.load32_splat(prm, 4), scale + 16, off + 16, bias + 16, relu);
  if (rows == 1) return;
  finish(dst + ldd, c10, v128.load32_splat(prm, 8), v128.load32_splat(prm, 12), scale, off, bias, relu);
  finish(dst + ldd + 16, c11, v128.load32_splat(prm, 8), v128.load32_splat(prm, 12), scale + 16, off + 16, bias + 16, relu);
  finish(dst + 2 * ldd, c20, v128.load32_splat(prm, 16), v128.load32_splat(prm, 20), scale, off, bias, relu);
  finish(dst + 2 * ldd + 16, c21, v128.load32_splat(prm, 16), v128.load32_splat(prm, 20), scale + 16, off + 16, bias + 16, relu);
  finish(dst + 3 * ldd, c30, v128.load32_splat(prm, 24), v128.load32_splat(prm, 28), scale, off, bias, relu);
  finish(dst + 3 * ldd + 16, c31, v128.load32_splat(prm, 24), v128.load32_splat(prm, 28), scale + 16, off + 16, bias + 16, relu);
}

/** The GEMM: tiles of 4 rows × 8 columns. */
// @ts-ignore: decorator
@inline
function encodeGemm(dot: bool, xu8: usize, xi16: usize, params: usize, w: usize, scale: usize, off: usize, bias: usize, z: usize, rows: i32, nq: i32, h: i32, relu: i32, p0: i32, p1: i32): void {
  const ldz = <usize>h << 2;
  const panelBytes = <usize>nq << 4;
  const rows4 = rows & ~(MR - 1);
  const rl = relu != 0;
  for (let p = p0; p < p1; p++) {
    for (let half = 0; half < 2; half++) {
      const j0 = p * PW + half * 8;
      const cols = min(8, h - j0);
      if (cols <= 0) break;
      const wp = w + <usize>p * panelBytes + (half ? 32 : 0);
      const jo = <usize>j0 << 2;
      let i = 0;
      for (; i < rows4; i += MR) {
        const zi = z + <usize>i * ldz + jo;
        if (cols == 8) {
          tile(dot, MR, xu8, xi16, i, nq, params, wp, zi, ldz, scale + jo, off + jo, bias + jo, rl);
        } else {
          tile(dot, MR, xu8, xi16, i, nq, params, wp, EDGE, PW << 2, scale + jo, off + jo, bias + jo, rl);
          copyEdge(zi, ldz, MR, cols);
        }
      }
      for (; i < rows; i++) {
        const zi = z + <usize>i * ldz + jo;
        if (cols == 8) {
          tile(dot, 1, xu8, xi16, i, nq, params, wp, zi, ldz, scale + jo, off + jo, bias + jo, rl);
        } else {
          tile(dot, 1, xu8, xi16, i, nq, params, wp, EDGE, PW << 2, scale + jo, off + jo, bias + jo, rl);
          copyEdge(zi, ldz, 1, cols);
        }
      }
    }
  }
}

/**
 * z[rows × h] = dequantised x · W + b (ReLU when relu ≠ 0), few rows, portable integer sums (every
 * build). xu8/xi16/params from quantize_rows; w, scale, off, bias as laid out at load (see the
 * header; scale, off and bias padded to hp).
 */
export function encode_i8_rows(xu8: usize, xi16: usize, params: usize, w: usize, scale: usize, off: usize, bias: usize, z: usize, rows: i32, nq: i32, h: i32, relu: i32): void {
  encodeRows(false, xu8, xi16, params, w, scale, off, bias, z, rows, nq, h, relu, 0, (h + PW - 1) / PW);
}

/** As encode_i8_rows, in tiles of 4 rows × 8 columns (many rows). */
export function encode_i8_gemm(xu8: usize, xi16: usize, params: usize, w: usize, scale: usize, off: usize, bias: usize, z: usize, rows: i32, nq: i32, h: i32, relu: i32): void {
  encodeGemm(false, xu8, xi16, params, w, scale, off, bias, z, rows, nq, h, relu, 0, (h + PW - 1) / PW);
}

/**
 * As encode_i8_rows with the relaxed integer dot (the relaxed build; the portable sums in the
 * plain build). Use only where i8_dot_works() says the engine computes it as specified: Node 20's
 * V8 (11.3, relaxed SIMD behind a flag) returns 2·dot and drops the accumulator.
 */
export function encode_i8_rows_dot(xu8: usize, xi16: usize, params: usize, w: usize, scale: usize, off: usize, bias: usize, z: usize, rows: i32, nq: i32, h: i32, relu: i32): void {
  encodeRows(ASC_FEATURE_RELAXED_SIMD, xu8, xi16, params, w, scale, off, bias, z, rows, nq, h, relu, 0, (h + PW - 1) / PW);
}

/** As encode_i8_gemm with the relaxed integer dot (see encode_i8_rows_dot). */
export function encode_i8_gemm_dot(xu8: usize, xi16: usize, params: usize, w: usize, scale: usize, off: usize, bias: usize, z: usize, rows: i32, nq: i32, h: i32, relu: i32): void {
  encodeGemm(ASC_FEATURE_RELAXED_SIMD, xu8, xi16, params, w, scale, off, bias, z, rows, nq, h, relu, 0, (h + PW - 1) / PW);
}

/**
 * The portable kernels' `_part` twins: the columns of panels [p0, p1) only, for the threads
 * (src/backends/assemblyscript/kernel-splits.ts). Each part reads only its panels of W and computes
 * every one of its outputs exactly as the whole call does; only the part holding the last panel can
 * touch EDGE. (The relaxed build has no shared twin, so the `_dot` kernels need none.)
 */
export function encode_i8_rows_part(xu8: usize, xi16: usize, params: usize, w: usize, scale: usize, off: usize, bias: usize, z: usize, rows: i32, nq: i32, h: i32, relu: i32, p0: i32, p1: i32): void {
  encodeRows(false, xu8, xi16, params, w, scale, off, bias, z, rows, nq, h, relu, p0, p1);
}

export function encode_i8_gemm_part(xu8: usize, xi16: usize, params: usize, w: usize, scale: usize, off: usize, bias: usize, z: usize, rows: i32, nq: i32, h: i32, relu: i32, p0: i32, p1: i32): void {
  encodeGemm(false, xu8, xi16, params, w, scale, off, bias, z, rows, nq, h, relu, p0, p1);
}

/** Scratch for the probe: a 16-column panel over 8 k (128 bytes), an input row (8 bytes, 16 as i16), params, two outputs. */
const PROBE: usize = memory.data(128 + 16 + 16 + 16 + 64 + 64 + 64 + 64 + 64, 16);

/**
 * 1 when this build has the relaxed integer dot and the engine computes it as specified, judged by
 * running both kernels' code on a fixed panel (weights over the whole int8 range, inputs over
 * [0, 4095]) and comparing; 0 otherwise (the plain build, or an engine that gets it wrong).
 */
export function i8_dot_works(): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return 0;
  const w = PROBE, u8 = PROBE + 128, u16 = PROBE + 144, prm = PROBE + 160; // u8: 2 k4 steps × 8 digit bytes
  const scale = PROBE + 176, off = scale + 64, bias = off + 64, z0 = bias + 64, z1 = z0 + 64;
  for (let i = 0; i < 128; i++) store<i8>(w + <usize>i, <i8>(((i * 37 + 11) % 255) - 127));
  for (let k = 0; k < 8; k++) {
    const u = (k * 1553 + 7) % 4096;
    const d = u8 + (<usize>(k >> 2) << 3) + <usize>(k & 3);
    store<u8>(d, <u8>(u >> 6));
    store<u8>(d, <u8>(u & 63), 4);
    store<i16>(u16 + (<usize>k << 1), <i16>u);
  }
  store<f32>(prm, 1);
  store<f32>(prm, 0, 4);
  for (let j = 0; j < 16; j++) {
    store<f32>(scale + (<usize>j << 2), 1);
    store<f32>(off + (<usize>j << 2), 0);
    store<f32>(bias + (<usize>j << 2), <f32>j);
  }
  encodeRows(ASC_FEATURE_RELAXED_SIMD, u8, u16, prm, w, scale, off, bias, z0, 1, 8, 16, 0, 0, 1);
  encodeRows(false, u8, u16, prm, w, scale, off, bias, z1, 1, 8, 16, 0, 0, 1);
  for (let j = 0; j < 16; j++) {
    if (load<f32>(z0 + (<usize>j << 2)) != load<f32>(z1 + (<usize>j << 2))) return 0;
  }
  return 1;
}
