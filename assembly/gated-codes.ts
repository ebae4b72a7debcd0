/**
 * The gated model's kernel (Rajamanoharan et al. 2024a; src/reference/gated-reference.ts has the
 * math; the composition is src/architectures/gated/assemblyscript.ts). From the shared product
 * e = (x − b_dec)·W_enc [rows×cols], one pass makes the codes:
 *
 *   π_gate = e + b_gate,  π_mag = e ⊙ exp(r_mag) + b_mag,  a = 1[π_gate > 0] ⊙ relu(π_mag)   gated_codes
 *
 * `scale` holds exp(r_mag) [cols], computed once by the caller, so every backend multiplies by the
 * same float32 factors. Four columns a lane group; inference only (no backward).
 */

/** a[i,j] from e [rows×cols] (a may be e), b_gate, scale = exp(r_mag) and b_mag [cols]. */
export function gated_codes(e: usize, bGate: usize, scale: usize, bMag: usize, a: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  const cols4 = cols & ~3;
  const zero = f32x4.splat(0);
  let pe = e, pa = a;
  for (let i = 0; i < rows; i++) {
    let j = 0;
    for (; j < cols4; j += 4) {
      const o = <usize>j << 2;
      const v = v128.load(pe + o);
      const open = f32x4.gt(f32x4.add(v, v128.load(bGate + o)), zero);
      const magnitude = f32x4.max(f32x4.add(f32x4.mul(v, v128.load(scale + o)), v128.load(bMag + o)), zero);
      v128.store(pa + o, v128.and(magnitude, open));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(pe + o);
      const magnitude = v * load<f32>(scale + o) + load<f32>(bMag + o);
      store<f32>(pa + o, v + load<f32>(bGate + o) > 0 && magnitude > 0 ? magnitude : 0);
    }
    pe += ld;
    pa += ld;
  }
}
