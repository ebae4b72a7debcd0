/**
 * Matrix products, f32, row-major, over raw byte addresses.
 *
 * Three forms, all overwriting C [M×N]:
 *
 *   gemm_nn   C = A · B      A stored [M×K], B stored [K×N]
 *   gemm_tn   C = Aᵀ · B     A stored [K×M], B stored [K×N]
 *   gemm_nt   C = A · Bᵀ     A stored [M×K], B stored [N×K]
 *
 * nn and tn are register-blocked outer products: a 4-row × 8-column tile of C lives in eight
 * f32x4 accumulators while k runs; each k step loads 8 floats of one B row and splats 4 A values.
 *
 *          k →                     j →  (8 columns = 2 × f32x4)
 *   A   ┌──────────┐      B  k ┌────────┐          C  ┌────────┐
 *  rows │ a0k      │         ↓ │ b[k,j:j+8]          │ 4×8    │ += splat(a_rk) · b[k,j:j+8]
 *  i..  │ a1k      │           │        │           │ tile   │
 *  i+3  │ a2k  a3k │           └────────┘           └────────┘
 *
 * nt is a block of dot products: rows i..i+3 of A against rows j, j+1 of B (both contiguous in k),
 * eight f32x4 accumulators, reduced horizontally at the end.
 *
 * Every form has scalar tails (columns, rows and k not divisible by the block), so any size
 * from 1×1×1 up is exact to float32 rounding. nn and tn run k in passes of KC = 256 (the first
 * pass stores C, later ones add to it) so the slices of A and B a tile reads stay in L1.
 * Accumulation order differs from a naive loop only by those passes and, in nt, by the 4-way
 * split of k.
 *
 * see: Goto & van de Geijn, "Anatomy of high-performance matrix multiplication" (register tiles);
 *      XNNPACK's f32-gemm 4x8 wasmsimd micro-kernels (the splat form).
 */

/** Rows of k a pass of the nn / tn tiles (see gemmSplat). */
// @ts-ignore: decorator
@inline const KC: i32 = 256;

// ---- nn / tn: A element (row r, index k) is at a + r·rs + k·ks (bytes) ----

/** 4 rows × 8 columns of C. */
@inline
function tile4x8(a: usize, rs: usize, ks: usize, b: usize, ldb: usize, c: usize, ldc: usize, K: i32, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const rs2 = rs + rs, rs3 = rs2 + rs;
  let pa = a, pb = b;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(pa + rs);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(pa + rs2);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(pa + rs3);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    pa += ks;
    pb += ldb;
  }
  if (acc) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc)); c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc)); c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc)); c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
}

/** 4 rows × 4 columns of C. */
@inline
function tile4x4(a: usize, rs: usize, ks: usize, b: usize, ldb: usize, c: usize, ldc: usize, K: i32, acc: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const rs2 = rs + rs, rs3 = rs2 + rs;
  let pa = a, pb = b;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa), b0));
    c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(pa + rs), b0));
    c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(pa + rs2), b0));
    c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(pa + rs3), b0));
    pa += ks;
    pb += ldb;
  }
  if (acc) {
    c0 = f32x4.add(c0, v128.load(c));
    c1 = f32x4.add(c1, v128.load(c + ldc));
    c2 = f32x4.add(c2, v128.load(c + 2 * ldc));
    c3 = f32x4.add(c3, v128.load(c + 3 * ldc));
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
}

/** 4 rows × 1 column of C (scalar). */
@inline
function tile4x1(a: usize, rs: usize, ks: usize, b: usize, ldb: usize, c: usize, ldc: usize, K: i32, acc: bool): void {
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  const rs2 = rs + rs, rs3 = rs2 + rs;
  let pa = a, pb = b;
  for (let k = 0; k < K; k++) {
    const bk = load<f32>(pb);
    s0 += load<f32>(pa) * bk;
    s1 += load<f32>(pa + rs) * bk;
    s2 += load<f32>(pa + rs2) * bk;
    s3 += load<f32>(pa + rs3) * bk;
    pa += ks;
    pb += ldb;
  }
  if (acc) {
    s0 += load<f32>(c);
    s1 += load<f32>(c + ldc);
    s2 += load<f32>(c + 2 * ldc);
    s3 += load<f32>(c + 3 * ldc);
  }
  store<f32>(c, s0);
  store<f32>(c + ldc, s1);
  store<f32>(c + 2 * ldc, s2);
  store<f32>(c + 3 * ldc, s3);
}

/** 1 row × 8 columns of C. */
@inline
function tile1x8(a: usize, ks: usize, b: usize, ldb: usize, c: usize, K: i32, acc: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let pa = a, pb = b;
  for (let k = 0; k < K; k++) {
    const a0 = v128.load32_splat(pa);
    c0 = f32x4.add(c0, f32x4.mul(a0, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(a0, v128.load(pb, 16)));
    pa += ks;
    pb += ldb;
  }
  if (acc) {
    c0 = f32x4.add(c0, v128.load(c));
    c1 = f32x4.add(c1, v128.load(c, 16));
  }
  v128.store(c, c0);
  v128.store(c, c1, 16);
}

/** 1 row × 4 columns of C. */
@inline
function tile1x4(a: usize, ks: usize, b: usize, ldb: usize, c: usize, K: i32, acc: bool): void {
  let c0 = f32x4.splat(0);
  let pa = a, pb = b;
  for (let k = 0; k < K; k++) {
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
    pa += ks;
    pb += ldb;
  }
  v128.store(c, acc ? f32x4.add(c0, v128.load(c)) : c0);
}

/** 1 row × 1 column of C (scalar). */
@inline
function tile1x1(a: usize, ks: usize, b: usize, ldb: usize, c: usize, K: i32, acc: bool): void {
  let s: f32 = 0;
  let pa = a, pb = b;
  for (let k = 0; k < K; k++) {
    s += load<f32>(pa) * load<f32>(pb);
    pa += ks;
    pb += ldb;
  }
  store<f32>(c, acc ? s + load<f32>(c) : s);
}

/**
 * The shared driver of nn and tn: row r of A starts at a + r·rs, its k-th element is ks further
 * on per k. nn: rs = K·4, ks = 4. tn: rs = 4, ks = M·4.
 */
@inline
function gemmSplat(a: usize, rs: usize, ks: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  const ldb = <usize>N << 2;
  const ldc = ldb;
  // k in chunks of KC, so the part of A a row block reads (and of B a column block reads) stays
  // in L1 while the tiles sweep; the first chunk stores C, the later ones add to it.
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const acc = k0 > 0;
    const a0 = a + <usize>k0 * ks;
    const b0 = b + <usize>k0 * ldb;
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const ai = a0 + <usize>i * rs;
      const ci = c + <usize>i * ldc;
      let j = 0;
      for (; j + 8 <= N; j += 8) {
        tile4x8(ai, rs, ks, b0 + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, kc, acc);
      }
      if (j + 4 <= N) {
        tile4x4(ai, rs, ks, b0 + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, kc, acc);
        j += 4;
      }
      for (; j < N; j++) {
        tile4x1(ai, rs, ks, b0 + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, kc, acc);
      }
    }
    for (; i < M; i++) {
      const ai = a0 + <usize>i * rs;
      const ci = c + <usize>i * ldc;
      let j = 0;
      for (; j + 8 <= N; j += 8) {
        tile1x8(ai, ks, b0 + (<usize>j << 2), ldb, ci + (<usize>j << 2), kc, acc);
      }
      if (j + 4 <= N) {
        tile1x4(ai, ks, b0 + (<usize>j << 2), ldb, ci + (<usize>j << 2), kc, acc);
        j += 4;
      }
      for (; j < N; j++) {
        tile1x1(ai, ks, b0 + (<usize>j << 2), ldb, ci + (<usize>j << 2), kc, acc);
      }
    }
  }
}

/** C[M×N] = A[M×K] · B[K×N]; C is overwritten. */
export function gemm_nn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  gemmSplat(a, <usize>K << 2, 4, b, c, M, K, N);
}

/** C[M×N] = Aᵀ · B with A stored [K×M] and B [K×N]; C is overwritten. */
export function gemm_tn(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  gemmSplat(a, 4, <usize>M << 2, b, c, M, K, N);
}

// ---- nt: dot products of rows of A with rows of B ----

@inline
function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** C[i..i+3, j..j+1]: four rows of A (stride lda) against two rows of B (stride ldb). */
@inline
function dot4x2(a: usize, lda: usize, b: usize, ldb: usize, c: usize, ldc: usize, K: i32): void {
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0);
  let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
  let s30 = f32x4.splat(0), s31 = f32x4.splat(0);
  const a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda, b1 = b + ldb;
  const K4 = K & ~3;
  let o: usize = 0;
  const end = <usize>K4 << 2;
  for (; o < end; o += 16) {
    const x0 = v128.load(b + o);
    const x1 = v128.load(b1 + o);
    let y = v128.load(a + o);
    s00 = f32x4.add(s00, f32x4.mul(y, x0));
    s01 = f32x4.add(s01, f32x4.mul(y, x1));
    y = v128.load(a1 + o);
    s10 = f32x4.add(s10, f32x4.mul(y, x0));
    s11 = f32x4.add(s11, f32x4.mul(y, x1));
    y = v128.load(a2 + o);
    s20 = f32x4.add(s20, f32x4.mul(y, x0));
    s21 = f32x4.add(s21, f32x4.mul(y, x1));
    y = v128.load(a3 + o);
    s30 = f32x4.add(s30, f32x4.mul(y, x0));
    s31 = f32x4.add(s31, f32x4.mul(y, x1));
  }
  let t00 = hsum(s00), t01 = hsum(s01), t10 = hsum(s10), t11 = hsum(s11);
  let t20 = hsum(s20), t21 = hsum(s21), t30 = hsum(s30), t31 = hsum(s31);
  const oEnd = <usize>K << 2;
  for (; o < oEnd; o += 4) {
    const x0 = load<f32>(b + o), x1 = load<f32>(b1 + o);
    const y0 = load<f32>(a + o), y1 = load<f32>(a1 + o);
    const y2 = load<f32>(a2 + o), y3 = load<f32>(a3 + o);
    t00 += y0 * x0; t01 += y0 * x1;
    t10 += y1 * x0; t11 += y1 * x1;
    t20 += y2 * x0; t21 += y2 * x1;
    t30 += y3 * x0; t31 += y3 * x1;
  }
  store<f32>(c, t00); store<f32>(c, t01, 4);
  store<f32>(c + ldc, t10); store<f32>(c + ldc, t11, 4);
  store<f32>(c + 2 * ldc, t20); store<f32>(c + 2 * ldc, t21, 4);
  store<f32>(c + 3 * ldc, t30); store<f32>(c + 3 * ldc, t31, 4);
}

/** One dot product of length K, four f32x4 accumulators. */
@inline
function dot1x1(a: usize, b: usize, K: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let o: usize = 0;
  const end8 = <usize>(K & ~7) << 2;
  for (; o < end8; o += 32) {
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    s1 = f32x4.add(s1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
  }
  const end4 = <usize>(K & ~3) << 2;
  if (o < end4) {
    s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    o += 16;
  }
  let t = hsum(f32x4.add(s0, s1));
  const oEnd = <usize>K << 2;
  for (; o < oEnd; o += 4) t += load<f32>(a + o) * load<f32>(b + o);
  return t;
}

/** C[M×N] = A · Bᵀ with A stored [M×K] and B stored [N×K]; C is overwritten. */
export function gemm_nt(a: usize, b: usize, c: usize, M: i32, K: i32, N: i32): void {
  const lda = <usize>K << 2;
  const ldb = lda;
  const ldc = <usize>N << 2;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const ai = a + <usize>i * lda;
    const ci = c + <usize>i * ldc;
    let j = 0;
    for (; j + 2 <= N; j += 2) {
      dot4x2(ai, lda, b + <usize>j * ldb, ldb, ci + (<usize>j << 2), ldc, K);
    }
    if (j < N) {
      const bj = b + <usize>j * ldb;
      const cj = ci + (<usize>j << 2);
      for (let r = 0; r < 4; r++) {
        store<f32>(cj + <usize>r * ldc, dot1x1(ai + <usize>r * lda, bj, K));
      }
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * lda;
    const ci = c + <usize>i * ldc;
    for (let j = 0; j < N; j++) {
      store<f32>(ci + (<usize>j << 2), dot1x1(ai, b + <usize>j * ldb, K));
    }
  }
}
