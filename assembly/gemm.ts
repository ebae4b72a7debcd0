/**
 * Matrix products, f32, row-major, over raw byte addresses.
 *
 * Three forms, all overwriting C [M×N]:
 *
 *   gemm_nn   C = A · B      A stored [M×K], B stored [K×N]
 *   gemm_tn   C = Aᵀ · B     A stored [K×M], B stored [K×N]
 *   gemm_nt   C = A · Bᵀ     A stored [M×K], B stored [N×K]
 *
 * and gemm_nn_bias_sigmoid, C = σ(A·B + bias) with the bias and the sigmoid applied as the tiles
 * are stored (the forward pass of a layer, one pass over C instead of two).
 *
 * All forms share one driver. B is copied, 8 columns × KC rows at a time, into a packed panel in
 * static memory (for nt that copy is the transpose), so the micro-kernel reads B contiguously
 * whatever the form; A is read in place, 4 rows at a time (nn: rows of A; tn: columns of the
 * stored A, which are 4 consecutive floats at each k). A 4-row × 8-column tile of C lives in eight
 * f32x4 accumulators while k runs; each k step loads 8 floats of the panel and splats 4 A values:
 *
 *          k →                     j →  (8 columns = 2 × f32x4)
 *   A   ┌──────────┐  panel  k ┌────────┐          C  ┌────────┐
 *  rows │ a0k      │  (K×8,   ↓ │ p[k, 0:8]          │ 4×8    │ += splat(a_rk) · p[k, 0:8]
 *  i..  │ a1k      │   packed)  │        │           │ tile   │
 *  i+3  │ a2k  a3k │            └────────┘           └────────┘
 *
 * Loops: k in passes of KC = 256 rows (the first pass stores C, later ones add to it; the bias and
 * sigmoid go with the last), then the 8-column panels, then the 4-row tiles: one packed panel
 * (8 KB) and the 4 rows of A a tile reads stay in L1 while the tiles sweep down C. Rows not a
 * multiple of 4 take a 1×8 tile; columns not a multiple of 8 are packed zero-padded and their tile
 * is stored through a small buffer. Every size from 1×1×1 up is exact to float32 rounding; the
 * accumulation order over k is sequential within a pass, passes added in order.
 *
 * see: Goto & van de Geijn, "Anatomy of high-performance matrix multiplication" (packing, register
 *      tiles); XNNPACK's f32-gemm 4x8 wasmsimd splat micro-kernels.
 */
import { sigmoid1, sigmoid4 } from './sigmoid';
import { madd } from './simd';

/** Rows of k a pass (see the header). */
// @ts-ignore: decorator
@inline const KC: i32 = 256;
/** Columns of a panel and of a tile. */
// @ts-ignore: decorator
@inline const NR: i32 = 8;
/** Rows of a tile. */
// @ts-ignore: decorator
@inline const MR: i32 = 4;

/**
 * The packed panel of B: KC rows × 8 floats, and a tile of the column tail (N mod 8 columns),
 * stored there and then copied to C. Static blocks, unless set_scratch moves them: in the shared-
 * memory build every worker thread's instance shares the static data, so each worker points its
 * own instance (a wasm global is per instance) at a block of its own (thread-pool.ts).
 */
let PANEL: usize = memory.data(KC * NR * 4, 64);
let EDGE: usize = memory.data(MR * NR * 4, 16);

/** Bytes a thread's own PANEL and EDGE take (set_scratch's block). */
export function gemm_scratch_bytes(): i32 {
  return KC * NR * 4 + MR * NR * 4;
}

/** Points this instance's PANEL and EDGE at `block` (gemm_scratch_bytes, 16-byte aligned). */
export function set_scratch(block: usize): void {
  PANEL = block;
  EDGE = block + <usize>(KC * NR * 4);
}

// @ts-ignore: decorator
@inline const EPILOGUE_NONE: i32 = 0;
// @ts-ignore: decorator
@inline const EPILOGUE_BIAS_SIGMOID: i32 = 1;

/**
 * Packs B[k0 .. k0+kc, j0 .. j0+w] (w ≤ 8) into PANEL as kc rows of 8 floats, zero beyond w.
 * transposed = false: B stored [K×N] (row stride ldb bytes); true: B stored [N×K] (row stride ldb).
 */
@inline
function packPanel(b: usize, ldb: usize, transposed: bool, k0: i32, kc: i32, j0: i32, w: i32): void {
  if (!transposed) {
    let src = b + <usize>k0 * ldb + (<usize>j0 << 2);
    let dst = PANEL;
    if (w == NR) {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += ldb;
        dst += NR << 2;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, f32x4.splat(0));
        v128.store(dst, f32x4.splat(0), 16);
        for (let jj = 0; jj < w; jj++) store<f32>(dst + (<usize>jj << 2), load<f32>(src + (<usize>jj << 2)));
        src += ldb;
        dst += NR << 2;
      }
    }
    return;
  }
  // B stored [N×K]: panel[k][jj] = B[j0 + jj][k0 + k], 4×4 blocks transposed with shuffles
  const base = b + <usize>j0 * ldb + (<usize>k0 << 2);
  if (w == NR) {
    const kc4 = kc & ~3;
    for (let half = 0; half < 2; half++) {
      const r0 = base + <usize>(half * 4) * ldb;
      const r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
      let dst = PANEL + (<usize>half << 4);
      let o: usize = 0;
      for (let k = 0; k < kc4; k += 4) {
        const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o);
        const x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5); // x0[0] x1[0] x0[1] x1[1]
        const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5); // x2[0] x3[0] x2[1] x3[1]
        const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(dst, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), NR << 2);
        v128.store(dst, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), NR << 3);
        v128.store(dst, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), (NR << 3) + (NR << 2));
        o += 16;
        dst += NR << 4;
      }
      for (let k = kc4; k < kc; k++) {
        const ko = <usize>k << 2;
        const d = PANEL + <usize>k * (NR << 2) + (<usize>half << 4);
        store<f32>(d, load<f32>(r0 + ko));
        store<f32>(d, load<f32>(r1 + ko), 4);
        store<f32>(d, load<f32>(r2 + ko), 8);
        store<f32>(d, load<f32>(r3 + ko), 12);
      }
    }
  } else {
    for (let k = 0; k < kc; k++) {
      const d = PANEL + <usize>k * (NR << 2);
      v128.store(d, f32x4.splat(0));
      v128.store(d, f32x4.splat(0), 16);
      const ko = <usize>k << 2;
      for (let jj = 0; jj < w; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(base + <usize>jj * ldb + ko));
    }
  }
}

/** Stores one f32x4 of C: plain, added to what is there, and/or through bias + σ (columns at bias). */
@inline
function storeC(c: usize, v0: v128, acc: bool, epilogue: i32, bias: usize): void {
  let v = v0;
  if (acc) v = f32x4.add(v, v128.load(c));
  if (epilogue == EPILOGUE_BIAS_SIGMOID) v = sigmoid4(f32x4.add(v, v128.load(bias)));
  v128.store(c, v);
}

/**
 * C[i..i+3, 0..7] (+)= A[i..i+3, k-range] · PANEL over kc rows. A element (row r, index k) at
 * a + r·rs + k·ks bytes.
 */
@inline
function tile4x8(a: usize, rs: usize, ks: usize, c: usize, ldc: usize, kc: i32, acc: bool, epilogue: i32, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const rs2 = rs + rs, rs3 = rs2 + rs;
  let pa = a, pb = PANEL;
  const end = PANEL + (<usize>kc << 5);
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(pa + rs);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(pa + rs2);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(pa + rs3);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    pa += ks;
    pb += 32;
  }
  storeC(c, c00, acc, epilogue, bias);
  storeC(c + 16, c01, acc, epilogue, bias + 16);
  storeC(c + ldc, c10, acc, epilogue, bias);
  storeC(c + ldc + 16, c11, acc, epilogue, bias + 16);
  storeC(c + 2 * ldc, c20, acc, epilogue, bias);
  storeC(c + 2 * ldc + 16, c21, acc, epilogue, bias + 16);
  storeC(c + 3 * ldc, c30, acc, epilogue, bias);
  storeC(c + 3 * ldc + 16, c31, acc, epilogue, bias + 16);
}

/** C[i, 0..7] (+)= A[i, k-range] · PANEL: one row. */
@inline
function tile1x8(a: usize, ks: usize, c: usize, kc: i32, acc: bool, epilogue: i32, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let pa = a, pb = PANEL;
  const end = PANEL + (<usize>kc << 5);
  while (pb < end) {
    const a0 = v128.load32_splat(pa);
    c0 = madd(a0, v128.load(pb), c0);
    c1 = madd(a0, v128.load(pb, 16), c1);
    pa += ks;
    pb += 32;
  }
  storeC(c, c0, acc, epilogue, bias);
  storeC(c + 16, c1, acc, epilogue, bias + 16);
}

/** C[i..i+3, 0..3] = A[i..i+3, k-range] · PANEL[:, 0..3] (the narrow last panel, w ≤ 4). */
@inline
function tile4x4(a: usize, rs: usize, ks: usize, c: usize, ldc: usize, kc: i32, acc: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const rs2 = rs + rs, rs3 = rs2 + rs;
  let pa = a, pb = PANEL;
  const end = PANEL + (<usize>kc << 5);
  while (pb < end) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa + rs), b0, c1);
    c2 = madd(v128.load32_splat(pa + rs2), b0, c2);
    c3 = madd(v128.load32_splat(pa + rs3), b0, c3);
    pa += ks;
    pb += 32;
  }
  storeC(c, c0, acc, EPILOGUE_NONE, 0);
  storeC(c + ldc, c1, acc, EPILOGUE_NONE, 0);
  storeC(c + 2 * ldc, c2, acc, EPILOGUE_NONE, 0);
  storeC(c + 3 * ldc, c3, acc, EPILOGUE_NONE, 0);
}

/** Copies `rows` rows of `w` floats between two row-major blocks (a few floats: no memory.copy call). */
@inline
function copyBlock(dst: usize, ldd: usize, src: usize, lds: usize, rows: i32, w: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = dst + <usize>r * ldd, s = src + <usize>r * lds;
    for (let jj = 0; jj < w; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(s + (<usize>jj << 2)));
  }
}

/**
 * The driver of every form: C[M×N] = op(A)·op(B) (+ bias, σ). A element (row r, index k) at
 * a + r·rs + k·ks; B as packPanel reads it; C's rows ldc bytes apart.
 */
@inline
function gemm(a: usize, rs: usize, ks: usize, b: usize, ldb: usize, bTransposed: bool, c: usize, ldc: usize, M: i32, K: i32, N: i32, epilogue: i32, bias: usize): void {
  const M4 = M & ~3;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const acc = k0 > 0;
    const last = k0 + kc >= K;
    const ep = last ? epilogue : EPILOGUE_NONE;
    const ak = a + <usize>k0 * ks;
    for (let j0 = 0; j0 < N; j0 += NR) {
      const w = min(NR, N - j0);
      packPanel(b, ldb, bTransposed, k0, kc, j0, w);
      const jo = <usize>j0 << 2;
      if (w == NR) {
        let i = 0;
        for (; i < M4; i += MR) {
          tile4x8(ak + <usize>i * rs, rs, ks, c + <usize>i * ldc + jo, ldc, kc, acc, ep, bias + jo);
        }
        for (; i < M; i++) {
          tile1x8(ak + <usize>i * rs, ks, c + <usize>i * ldc + jo, kc, acc, ep, bias + jo);
        }
      } else {
        // the last, narrower panel: its tiles go through EDGE (8 wide), then w columns to C, with
        // the epilogue applied to those w columns on the way
        for (let i = 0; i < M; i += MR) {
          const rows = min(MR, M - i);
          const ci = c + <usize>i * ldc + jo;
          if (acc) copyBlock(EDGE, NR << 2, ci, ldc, rows, w);
          if (rows == MR && w <= 4) {
            tile4x4(ak + <usize>i * rs, rs, ks, EDGE, NR << 2, kc, acc);
          } else if (rows == MR) {
            tile4x8(ak + <usize>i * rs, rs, ks, EDGE, NR << 2, kc, acc, EPILOGUE_NONE, 0);
          } else {
            for (let r = 0; r < rows; r++) {
              tile1x8(ak + <usize>(i + r) * rs, ks, EDGE + <usize>r * (NR << 2), kc, acc, EPILOGUE_NONE, 0);
            }
          }
          if (ep == EPILOGUE_BIAS_SIGMOID) {
            for (let r = 0; r < rows; r++) {
              for (let jj = 0; jj < w; jj++) {
                const p = EDGE + <usize>r * (NR << 2) + (<usize>jj << 2);
                store<f32>(p, sigmoid1(load<f32>(p) + load<f32>(bias + jo + (<usize>jj << 2))));
              }
            }
          }
          copyBlock(ci, ldc, EDGE, NR << 2, rows, w);
        }
      }
    }
  }
}

/** C[M×N] = A[M×K] · B[K×N]; C is overwritten. */
export function gemm_nn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  gemm(a, <usize>K << 2, 4, b, <usize>N << 2, false, c, <usize>N << 2, M, K, N, EPILOGUE_NONE, 0);
}

/** C[M×N] = σ(A[M×K] · B[K×N] + bias[N]) (bias added to every row); C is overwritten. */
export function gemm_nn_bias_sigmoid(a: usize, b: usize, bias: usize, c: usize, M: i32, K: i32, N: i32): void {
  gemm(a, <usize>K << 2, 4, b, <usize>N << 2, false, c, <usize>N << 2, M, K, N, EPILOGUE_BIAS_SIGMOID, bias);
}

/** C[M×N] = Aᵀ · B with A stored [K×M] and B [K×N]; C is overwritten. */
export function gemm_tn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  gemm(a, 4, <usize>M << 2, b, <usize>N << 2, false, c, <usize>N << 2, M, K, N, EPILOGUE_NONE, 0);
}

/** C[M×N] = A · Bᵀ with A stored [M×K] and B stored [N×K]; C is overwritten. */
export function gemm_nt(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  gemm(a, <usize>K << 2, 4, b, <usize>K << 2, true, c, <usize>N << 2, M, K, N, EPILOGUE_NONE, 0);
}

/**
 * One block of a product, C[i0..i1, j0..j1], for the thread pool: form 0 gemm_nn, 1 gemm_tn,
 * 2 gemm_nt, 3 gemm_nn_bias_sigmoid, with the whole product's arguments. Every C element is
 * computed exactly as the whole call computes it (the same panel of 8 columns, the same passes
 * over k; a row's sums do not depend on which rows share its tile) as long as j0 is a multiple of
 * 8 or the block spans all columns, so any split of C into such blocks gives the same bits.
 */
export function gemm_part(form: i32, a: usize, b: usize, bias: usize, c: usize, M: i32, K: i32, N: i32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  const ldc = <usize>N << 2;
  const cBlock = c + <usize>i0 * ldc + (<usize>j0 << 2);
  const rows = i1 - i0, cols = j1 - j0;
  if (rows <= 0 || cols <= 0) return;
  if (form == 1) {
    // A stored [K×M]: rows of C are columns of A
    gemm(a + (<usize>i0 << 2), 4, <usize>M << 2, b + (<usize>j0 << 2), <usize>N << 2, false, cBlock, ldc, rows, K, cols, EPILOGUE_NONE, 0);
  } else if (form == 2) {
    // B stored [N×K]: columns of C are rows of B
    gemm(a + <usize>i0 * (<usize>K << 2), <usize>K << 2, 4, b + <usize>j0 * (<usize>K << 2), <usize>K << 2, true, cBlock, ldc, rows, K, cols, EPILOGUE_NONE, 0);
  } else {
    const ep = form == 3 ? EPILOGUE_BIAS_SIGMOID : EPILOGUE_NONE;
    gemm(a + <usize>i0 * (<usize>K << 2), <usize>K << 2, 4, b + (<usize>j0 << 2), <usize>N << 2, false, cBlock, ldc, rows, K, cols, ep, bias + (<usize>j0 << 2));
  }
}
