/**
 * Matrix products with a sparse operand, for TopK's codes (k of h non-zero a row) and their
 * gradients: the same numbers as the dense gemm.ts, bit for bit, at a cost proportional to the
 * non-zeros.
 *
 *   nonzero_index     the non-zero entries of a [rows×cols], row by row (CSR column lists)
 *   sparse_gemm_nn    C = A·B,   A [M×K] sparse (its index)
 *   sparse_gemm_tn    C = Aᵀ·B,  A stored [K×M] sparse (its index over the K rows)
 *   masked_gemm_nt    C = A·Bᵀ only at the entries of an index [M×N], 0 elsewhere
 *   transpose         dst [cols×rows] = srcᵀ
 *
 * Why the same bits: gemm.ts computes every C[i,j] in one f32x4 lane as passes over k of KC = 256,
 * each pass a sum from +0 in k order (madd), the passes added in order (pass + C). A term with
 * A = 0 adds a ±0 product, which leaves a sum unchanged (the sums are never −0: they start at +0,
 * and an exact cancellation rounds to +0), so skipping it changes nothing; here every kept term is
 * added with the same madd, in the same order, inside the same passes. (With a non-finite B the
 * dense product has NaNs from 0·∞ where these have none.)
 */
import { madd } from './simd';

/** gemm.ts's pass length over k. */
// @ts-ignore: decorator
@inline const KC: i32 = 256;

/**
 * index = [offsets: rows + 1 u32][columns: one u32 per non-zero]: the columns of row i are
 * columns[offsets[i] .. offsets[i+1]], increasing. A NaN counts as non-zero. Returns the count.
 * index needs (rows + 1 + rows·cols) u32 at most.
 */
export function nonzero_index(a: usize, rows: i32, cols: i32, index: usize): i32 {
  const columns = index + ((<usize>rows + 1) << 2);
  let count = 0;
  let p = a;
  const cols4 = cols & ~3;
  const zero = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    store<u32>(index + (<usize>i << 2), count);
    let j = 0;
    for (; j < cols4; j += 4) {
      const v = v128.load(p + (<usize>j << 2));
      // all four +0/−0: nothing to keep (f32x4.ne is true for NaN)
      if (!v128.any_true(f32x4.ne(v, zero))) continue;
      for (let q = j; q < j + 4; q++) {
        if (load<f32>(p + (<usize>q << 2)) != 0) {
          store<u32>(columns + (<usize>count << 2), q);
          count++;
        }
      }
    }
    for (; j < cols; j++) {
      if (load<f32>(p + (<usize>j << 2)) != 0) {
        store<u32>(columns + (<usize>count << 2), j);
        count++;
      }
    }
    p += <usize>cols << 2;
  }
  store<u32>(index + (<usize>rows << 2), count);
  return count;
}

/** The first `w` (< 4) floats at p as lanes 0..w−1 of an f32x4, 0 beyond. */
@inline
function loadPartial(p: usize, w: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (w > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (w > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores lanes 0..w−1 (w < 4) of v at p. */
@inline
function storePartial(p: usize, v: v128, w: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (w > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (w > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** dst[0..n] = madd(splat(s), src[0..n], dst[0..n]): one lane per float, the tail too. */
@inline
function maddRow(dst: usize, s: f32, src: usize, n: i32): void {
  const sv = f32x4.splat(s);
  const n4 = n & ~3;
  let c = 0;
  for (; c < n4; c += 4) {
    const o = <usize>c << 2;
    v128.store(dst + o, madd(sv, v128.load(src + o), v128.load(dst + o)));
  }
  if (c < n) {
    const o = <usize>c << 2;
    storePartial(dst + o, madd(sv, loadPartial(src + o, n - c), loadPartial(dst + o, n - c)), n - c);
  }
}

/** dst[0..n] = src[0..n] + dst[0..n] (a pass added to C, as gemm.ts's storeC does). */
@inline
function addRow(dst: usize, src: usize, n: i32): void {
  const n4 = n & ~3;
  let c = 0;
  for (; c < n4; c += 4) {
    const o = <usize>c << 2;
    v128.store(dst + o, f32x4.add(v128.load(src + o), v128.load(dst + o)));
  }
  for (; c < n; c++) {
    const o = <usize>c << 2;
    store<f32>(dst + o, load<f32>(src + o) + load<f32>(dst + o));
  }
}

/**
 * C[M×N] = A[M×K]·B[K×N] (C overwritten) with A's non-zeros listed in `index` (nonzero_index of
 * A). acc: N floats of scratch.
 */
export function sparse_gemm_nn(a: usize, index: usize, b: usize, c: usize, acc: usize, M: i32, K: i32, N: i32): void {
  sparse_gemm_nn_part(a, index, b, c, acc, M, K, N, 0, M);
}

/** Rows i0..i1 of sparse_gemm_nn's C (the thread pool's part; each row is computed alone). */
export function sparse_gemm_nn_part(a: usize, index: usize, b: usize, c: usize, acc: usize, M: i32, K: i32, N: i32, i0: i32, i1: i32): void {
  const columns = index + ((<usize>M + 1) << 2);
  const ldb = <usize>N << 2;
  const rowBytes = <usize>N << 2;
  memory.fill(c + <usize>i0 * rowBytes, 0, <usize>(i1 - i0) * rowBytes);
  for (let i = i0; i < i1; i++) {
    const ci = c + <usize>i * rowBytes;
    const ai = a + <usize>i * (<usize>K << 2);
    const end = load<u32>(index + ((<usize>i + 1) << 2));
    let e = load<u32>(index + (<usize>i << 2));
    while (e < end) {
      // one pass of k: the row's entries in [k0, k0 + KC), summed from +0, then added to C
      const pass = <i32>load<u32>(columns + (<usize>e << 2)) / KC;
      memory.fill(acc, 0, rowBytes);
      while (e < end) {
        const k = <i32>load<u32>(columns + (<usize>e << 2));
        if (k / KC != pass) break;
        maddRow(acc, load<f32>(ai + (<usize>k << 2)), b + <usize>k * ldb, N);
        e++;
      }
      addRow(ci, acc, N);
    }
  }
}

/**
 * C[M×N] = Aᵀ·B (C overwritten), A stored [K×M] with its non-zeros listed by row in `index`
 * (nonzero_index of A as [K×M]), B [K×N]. work: when K > KC, M·N floats then 2·M u32 of scratch
 * (the later passes' sums and which rows of C they touch); unused otherwise.
 */
export function sparse_gemm_tn(a: usize, index: usize, b: usize, c: usize, work: usize, M: i32, K: i32, N: i32): void {
  sparse_gemm_tn_part(a, index, b, c, work, M, K, N, 0, M);
}

/**
 * Rows j0..j1 of sparse_gemm_tn's C (the thread pool's part): every entry is visited, those of
 * other rows skipped, so each row of C gets the same terms in the same order as in the whole call.
 * A part uses only its own rows of `work` (sums, marks and its slice of the touched list).
 */
export function sparse_gemm_tn_part(a: usize, index: usize, b: usize, c: usize, work: usize, M: i32, K: i32, N: i32, j0: i32, j1: i32): void {
  const columns = index + ((<usize>K + 1) << 2);
  const rowBytes = <usize>N << 2;
  const lda = <usize>M << 2;
  memory.fill(c + <usize>j0 * rowBytes, 0, <usize>(j1 - j0) * rowBytes);
  const mark = work + <usize>M * rowBytes;
  const touched = mark + (<usize>M << 2) + (<usize>j0 << 2);
  if (K > KC) memory.fill(mark + (<usize>j0 << 2), 0xff, <usize>(j1 - j0) << 2);
  const whole = j0 == 0 && j1 == M;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = min(K, k0 + KC);
    // pass 0 sums into C itself (from +0); a later pass into work, then added to C
    const first = k0 == 0;
    let count = 0;
    for (let k = k0; k < k1; k++) {
      const ak = a + <usize>k * lda;
      const bk = b + <usize>k * rowBytes;
      const end = load<u32>(index + ((<usize>k + 1) << 2));
      for (let e = load<u32>(index + (<usize>k << 2)); e < end; e++) {
        const j = <i32>load<u32>(columns + (<usize>e << 2));
        if (!whole && (j < j0 || j >= j1)) continue;
        let dst = c + <usize>j * rowBytes;
        if (!first) {
          dst = work + <usize>j * rowBytes;
          const m = mark + (<usize>j << 2);
          if (load<i32>(m) != k0) {
            store<i32>(m, k0);
            memory.fill(dst, 0, rowBytes);
            store<u32>(touched + (<usize>count << 2), j);
            count++;
          }
        }
        maddRow(dst, load<f32>(ak + (<usize>j << 2)), bk, N);
      }
    }
    for (let t = 0; t < count; t++) {
      const j = <usize>load<u32>(touched + (<usize>t << 2));
      addRow(c + j * rowBytes, work + j * rowBytes, N);
    }
  }
}

/**
 * C[i,j] = Σ_k A[i,k]·B[j,k] at the entries (i, j) listed in `index` (an index over [M×N]), 0
 * elsewhere; A [M×K], B stored [N×K]; C [M×N] overwritten. Four entries of a row at a time, one
 * lane each, k in gemm.ts's passes.
 */
export function masked_gemm_nt(a: usize, b: usize, c: usize, index: usize, M: i32, K: i32, N: i32): void {
  masked_gemm_nt_part(a, b, c, index, M, K, N, 0, M);
}

/** Rows i0..i1 of masked_gemm_nt's C (the thread pool's part; each row is computed alone). */
export function masked_gemm_nt_part(a: usize, b: usize, c: usize, index: usize, M: i32, K: i32, N: i32, i0: i32, i1: i32): void {
  const columns = index + ((<usize>M + 1) << 2);
  const ld = <usize>K << 2;
  const ldc = <usize>N << 2;
  memory.fill(c + <usize>i0 * ldc, 0, <usize>(i1 - i0) * ldc);
  for (let i = i0; i < i1; i++) {
    const ai = a + <usize>i * ld;
    const ci = c + <usize>i * ldc;
    const end = <i32>load<u32>(index + ((<usize>i + 1) << 2));
    for (let e = <i32>load<u32>(index + (<usize>i << 2)); e < end; e += 4) {
      const w = min(4, end - e);
      const j0 = load<u32>(columns + (<usize>e << 2));
      const j1 = w > 1 ? load<u32>(columns + (<usize>(e + 1) << 2)) : j0;
      const j2 = w > 2 ? load<u32>(columns + (<usize>(e + 2) << 2)) : j0;
      const j3 = w > 3 ? load<u32>(columns + (<usize>(e + 3) << 2)) : j0;
      const r0 = b + <usize>j0 * ld, r1 = b + <usize>j1 * ld, r2 = b + <usize>j2 * ld, r3 = b + <usize>j3 * ld;
      let total = f32x4.splat(0);
      for (let k0 = 0; k0 < K; k0 += KC) {
        const kc = min(KC, K - k0);
        const kc4 = k0 + (kc & ~3);
        let s = f32x4.splat(0);
        let k = k0;
        for (; k < kc4; k += 4) {
          const o = <usize>k << 2;
          const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o);
          const x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
          const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
          s = madd(v128.load32_splat(ai + o), v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), s);
          s = madd(v128.load32_splat(ai + o + 4), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), s);
          s = madd(v128.load32_splat(ai + o + 8), v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), s);
          s = madd(v128.load32_splat(ai + o + 12), v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), s);
        }
        for (; k < k0 + kc; k++) {
          const o = <usize>k << 2;
          let bv = f32x4.splat(load<f32>(r0 + o));
          bv = f32x4.replace_lane(bv, 1, load<f32>(r1 + o));
          bv = f32x4.replace_lane(bv, 2, load<f32>(r2 + o));
          bv = f32x4.replace_lane(bv, 3, load<f32>(r3 + o));
          s = madd(v128.load32_splat(ai + o), bv, s);
        }
        total = k0 == 0 ? s : f32x4.add(s, total);
      }
      store<f32>(ci + (<usize>j0 << 2), f32x4.extract_lane(total, 0));
      if (w > 1) store<f32>(ci + (<usize>j1 << 2), f32x4.extract_lane(total, 1));
      if (w > 2) store<f32>(ci + (<usize>j2 << 2), f32x4.extract_lane(total, 2));
      if (w > 3) store<f32>(ci + (<usize>j3 << 2), f32x4.extract_lane(total, 3));
    }
  }
}

/** dst [cols×rows] = srcᵀ, src [rows×cols]; in blocks of 16 × 16. */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32): void {
  transpose_part(src, dst, rows, cols, 0, rows);
}

/** Rows r0..r1 of src transposed into dst (the thread pool's part: columns r0..r1 of dst). */
export function transpose_part(src: usize, dst: usize, rows: i32, cols: i32, r0: i32, r1: i32): void {
  const B = 16;
  for (let i0 = r0; i0 < r1; i0 += B) {
    const i1 = min(r1, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        const s = src + (<usize>i * <usize>cols << 2);
        for (let j = j0; j < j1; j++) store<f32>(dst + ((<usize>j * <usize>rows + <usize>i) << 2), load<f32>(s + (<usize>j << 2)));
      }
    }
  }
}
