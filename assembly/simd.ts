/**
 * The one multiply-add every kernel uses, so a build with relaxed SIMD fuses it.
 *
 * `madd(a, b, c)` = a·b + c, four lanes. The default build (`--enable simd`) computes it as
 * f32x4.mul then f32x4.add, two roundings, the same on every engine. The relaxed build
 * (`--enable simd,relaxed-simd`, build/kernels-relaxed.wasm) emits f32x4.relaxed_madd, which an
 * engine may run as one fused multiply-add (one rounding) or as mul + add: results may differ
 * from the default build by about one float32 ulp of each product-sum, and between machines.
 */

// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
