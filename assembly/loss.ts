/**
 * The loss terms and their first gradients: the reconstruction error at the output and the KL
 * sparsity penalty on the mean hidden activations. Sums are returned in f64.
 */

/**
 * delta[k] = scale·(y[k] − x[k])·y[k]·(1 − y[k]) over `count` floats (the output layer's error
 * through its sigmoid; scale is r, 1 or 1/m); returns Σ (y − x)², accumulated in f64.
 */
export function output_delta(y: usize, x: usize, delta: usize, count: i32, scale: f32): f64 {
  const s = f32x4.splat(scale);
  const one = f32x4.splat(1);
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const o = <usize>k << 2;
    const yv = v128.load(y + o);
    const d = f32x4.sub(yv, v128.load(x + o));
    v128.store(delta + o, f32x4.mul(f32x4.mul(f32x4.mul(s, d), yv), f32x4.sub(one, yv)));
    const lo = f64x2.promote_low_f32x4(d);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(d, d, 2, 3, 0, 1));
    acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
    acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
  }
  const acc = f64x2.add(acc0, acc1);
  let total = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; k < count; k++) {
    const o = <usize>k << 2;
    const yk = load<f32>(y + o);
    const d = yk - load<f32>(x + o);
    store<f32>(delta + o, scale * d * yk * (1 - yk));
    total += <f64>d * <f64>d;
  }
  return total;
}

/**
 * The KL sparsity term. With q = clamp(rhoHat[j], qClamp, 1 − qClamp) (the caller passes the
 * one clamp every backend uses, src/backends/formulas.ts):
 *   out[j] = beta·invM·(−ρ/q + (1 − ρ)/(1 − q))      (∂(β·ΣKL)/∂a[i,j], the same for every row i)
 * returns Σ_j KL(ρ‖q) = Σ_j ρ·ln(ρ/q) + (1 − ρ)·ln((1 − ρ)/(1 − q)), unscaled by beta, in f64.
 */
export function kl_gradient(rhoHat: usize, out: usize, cols: i32, rho: f64, beta: f64, invM: f64, qClamp: f64): f64 {
  const scale = beta * invM;
  const qMax = 1 - qClamp;
  let total: f64 = 0;
  for (let j = 0; j < cols; j++) {
    const o = <usize>j << 2;
    let q = <f64>load<f32>(rhoHat + o);
    q = q < qClamp ? qClamp : q > qMax ? qMax : q;
    store<f32>(out + o, <f32>(scale * (-rho / q + (1 - rho) / (1 - q))));
    total += rho * Math.log(rho / q) + (1 - rho) * Math.log((1 - rho) / (1 - q));
  }
  return total;
}
