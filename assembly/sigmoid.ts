/**
 * σ(t) = 1 / (1 + exp(−t)), four lanes at a time, shared by the activation kernels and the GEMM
 * epilogue. (Not re-exported by index.ts: its functions take v128 and are inlined where used.)
 */

// ---- exp, four lanes ----
// see: Cephes expf (S. Moshier): exp(u) = 2ⁿ · exp(r), n = round(u·log2 e), r = u − n·ln 2 with
// ln 2 split in two (Cody–Waite) so r is exact enough, and exp(r) on |r| ≤ ln2/2 by a degree-7
// polynomial 1 + r + r²·P(r). Without FMA, measured over 2·10⁶ points of t ∈ [−87, 87] against
// float64, σ(t) = 1/(1 + exp(−t)) from it has relative error ≤ 1.5e-7 (≈ 1.2 ulp; mean 1.9e-8);
// for t < −10, where σ ≈ exp(t), that is the error of exp itself. (test/kernels/elementwise.test.ts)
// u is clamped to [−87.3, 88.3] so 2ⁿ stays a normal float: exp(−87.3) ≈ 1.2e-38 and
// exp(88.3) ≈ 2.2e38, which is enough for σ (σ(t) is then 1 for t > 87.3, and ≈ 5e-39 instead of
// smaller for t < −88.3).

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;
// @ts-ignore: decorator
@inline const U_MIN: f32 = -87.3;
// @ts-ignore: decorator
@inline const U_MAX: f32 = 88.3;

// @ts-ignore: decorator
@inline
export function expf4(u0: v128): v128 {
  const u = f32x4.min(f32x4.max(u0, f32x4.splat(U_MIN)), f32x4.splat(U_MAX));
  const nf = f32x4.nearest(f32x4.mul(u, f32x4.splat(LOG2E)));
  let r = f32x4.sub(u, f32x4.mul(nf, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(nf, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  const e = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1));
  const n = i32x4.trunc_sat_f32x4_s(nf);
  const scale = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  return f32x4.mul(e, scale);
}

/** σ(t) four lanes at a time. */
// @ts-ignore: decorator
@inline
export function sigmoid4(t: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expf4(f32x4.neg(t))));
}

/** σ(t) of one float, by the same formula as the lanes (so tails match the SIMD body). */
// @ts-ignore: decorator
@inline
export function sigmoid1(t: f32): f32 {
  return f32x4.extract_lane(sigmoid4(f32x4.splat(t)), 0);
}

