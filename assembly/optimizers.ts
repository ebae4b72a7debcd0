/**
 * Parameter updates over flat f32 arrays (the session keeps W1|b1|W2|b2 contiguous, and its
 * gradient and Adam moments in the same layout, so one call updates the whole model).
 * SIMD body and scalar tail do the same f32 arithmetic in the same order.
 */

/** dst[k] += alpha·src[k] (adds weight decay α·W to a gradient). */
export function add_scaled(dst: usize, src: usize, count: i32, alpha: f32): void {
  const a = f32x4.splat(alpha);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const o = <usize>k << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(a, v128.load(src + o))));
  }
  for (; k < count; k++) {
    const o = <usize>k << 2;
    store<f32>(dst + o, load<f32>(dst + o) + alpha * load<f32>(src + o));
  }
}

/**
 * One Adam step (Keras / tfjs form), lrT = lr·√(1−β2ᵗ)/(1−β1ᵗ) computed by the caller:
 *   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  w −= lrT·m/(√v + ε)
 * The scalars arrive as f64 so 1−β1 and 1−β2 are formed before rounding to f32: f32(1 − f32(0.999))
 * would be off by 1.3e-5 relative.
 * see: Kingma & Ba, "Adam" (2015), section 2, the form before algorithm 1's last line.
 */
export function adam_update(w: usize, g: usize, m: usize, v: usize, count: i32, lrT: f64, beta1: f64, beta2: f64, eps: f64): void {
  const b1s = <f32>beta1, c1s = <f32>(1 - beta1);
  const b2s = <f32>beta2, c2s = <f32>(1 - beta2);
  const lrs = <f32>lrT, es = <f32>eps;
  const b1 = f32x4.splat(b1s), c1 = f32x4.splat(c1s);
  const b2 = f32x4.splat(b2s), c2 = f32x4.splat(c2s);
  const lr = f32x4.splat(lrs), e = f32x4.splat(es);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const o = <usize>k << 2;
    const gv = v128.load(g + o);
    const mv = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, gv));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const step = f32x4.div(f32x4.mul(lr, mv), f32x4.add(f32x4.sqrt(vv), e));
    v128.store(w + o, f32x4.sub(v128.load(w + o), step));
  }
  for (; k < count; k++) {
    const o = <usize>k << 2;
    const gk = load<f32>(g + o);
    const mk = b1s * load<f32>(m + o) + c1s * gk;
    const vk = b2s * load<f32>(v + o) + c2s * (gk * gk);
    store<f32>(m + o, mk);
    store<f32>(v + o, vk);
    store<f32>(w + o, load<f32>(w + o) - (lrs * mk) / (Mathf.sqrt(vk) + es));
  }
}

/** One plain gradient step: w[k] −= lr·g[k]. */
export function sgd_update(w: usize, g: usize, count: i32, lr: f32): void {
  const l = f32x4.splat(lr);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const o = <usize>k << 2;
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.mul(l, v128.load(g + o))));
  }
  for (; k < count; k++) {
    const o = <usize>k << 2;
    store<f32>(w + o, load<f32>(w + o) - lr * load<f32>(g + o));
  }
}
