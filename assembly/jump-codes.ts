/**
 * The jumprelu model's kernels (src/reference/jumprelu-reference.ts has the math; the
 * composition is src/architectures/jumprelu/assemblyscript.ts):
 *
 *   forward:  a = z ⊙ H(z − θ)                                             jump_codes
 *   backward: δz = δa ⊙ H(z − θ);                                          jump_delta
 *             gθ_j = Σ_i [ −(θ_j/ε)·δa_ij − λ/(m·ε) ]·K((z_ij − θ_j)/ε),  K(u) = 1[−½ < u < ½]
 *             returns Σ_ij H(z_ij − θ_j) (the L0 term's count)
 *   sparse:   the entries where δa is read: z > θ or z in the window        jump_index
 *
 * jump_delta reads δa only where z > θ (δz) or K((z − θ)/ε) = 1 (gθ), so the product δa = d·W_decᵀ
 * is needed only there: jump_index lists those entries (a CSR index as sparse-gemm.ts's
 * nonzero_index, for masked_gemm_nt), with the same float32 arithmetic as jump_delta, so no entry
 * jump_delta reads is left out.
 *
 * Four columns a lane group, the threshold of each unit loaded once a row.
 */

/** a[i,j] = z[i,j] where z[i,j] > θ[j], else 0, for z [rows×cols] (a may be z). */
export function jump_codes(z: usize, theta: usize, a: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  const cols4 = cols & ~3;
  let pz = z, pa = a;
  for (let i = 0; i < rows; i++) {
    let j = 0;
    for (; j < cols4; j += 4) {
      const o = <usize>j << 2;
      const v = v128.load(pz + o);
      v128.store(pa + o, v128.and(v, f32x4.gt(v, v128.load(theta + o))));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(pz + o);
      store<f32>(pa + o, v > load<f32>(theta + o) ? v : 0);
    }
    pz += ld;
    pa += ld;
  }
}

/**
 * In place on dZ [rows×cols] holding δa: δz = δa ⊙ H(z − θ); writes gθ [cols] (zeroed first) with
 * scale = −1/ε and l0 = λ/(m·ε): gθ_j = Σ_i (θ_j·scale·δa_ij − l0)·K((z_ij − θ_j)/ε).
 * Returns the number of z_ij > θ_j.
 */
export function jump_delta(dZ: usize, z: usize, theta: usize, gTheta: usize, rows: i32, cols: i32, inverseBandwidth: f32, l0: f32): f64 {
  const ld = <usize>cols << 2;
  const cols4 = cols & ~3;
  memory.fill(gTheta, 0, <usize>cols << 2);
  const scale = f32x4.splat(-inverseBandwidth);
  const inverse = f32x4.splat(inverseBandwidth);
  const l0s = f32x4.splat(l0);
  const half = f32x4.splat(0.5);
  const minusHalf = f32x4.splat(-0.5);
  let counts = i32x4.splat(0);
  let count: i32 = 0;
  let pd = dZ, pz = z;
  for (let i = 0; i < rows; i++) {
    let j = 0;
    for (; j < cols4; j += 4) {
      const o = <usize>j << 2;
      const d = v128.load(pd + o);
      const v = v128.load(pz + o);
      const t = v128.load(theta + o);
      const above = f32x4.gt(v, t);
      const u = f32x4.mul(f32x4.sub(v, t), inverse);
      const inKernel = v128.and(f32x4.gt(u, minusHalf), f32x4.lt(u, half));
      const term = f32x4.sub(f32x4.mul(f32x4.mul(t, scale), d), l0s);
      v128.store(gTheta + o, f32x4.add(v128.load(gTheta + o), v128.and(term, inKernel)));
      v128.store(pd + o, v128.and(d, above));
      // a true lane is −1: subtracting counts it
      counts = i32x4.sub(counts, above);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const d = load<f32>(pd + o);
      const v = load<f32>(pz + o);
      const t = load<f32>(theta + o);
      const u = (v - t) * inverseBandwidth;
      if (u > -0.5 && u < 0.5) store<f32>(gTheta + o, load<f32>(gTheta + o) + (t * -inverseBandwidth * d - l0));
      const fired = v > t;
      store<f32>(pd + o, fired ? d : 0);
      count += fired ? 1 : 0;
    }
    pd += ld;
    pz += ld;
  }
  count += i32x4.extract_lane(counts, 0) + i32x4.extract_lane(counts, 1) + i32x4.extract_lane(counts, 2) + i32x4.extract_lane(counts, 3);
  return <f64>count;
}

/**
 * index ← the entries (i, j) of z [rows×cols] with z > θ_j or −½ < (z − θ_j)·inverseBandwidth < ½
 * (what jump_delta reads δa at), row by row in increasing j, laid out as nonzero_index's index
 * ([offsets: rows + 1 u32][columns]); needs (rows + 1 + rows·cols) u32 at most. Returns the count.
 */
export function jump_index(z: usize, theta: usize, rows: i32, cols: i32, inverseBandwidth: f32, index: usize): i32 {
  const columns = index + ((<usize>rows + 1) << 2);
  const ld = <usize>cols << 2;
  const cols4 = cols & ~3;
  const inverse = f32x4.splat(inverseBandwidth);
  const half = f32x4.splat(0.5);
  const minusHalf = f32x4.splat(-0.5);
  let count = 0;
  let pz = z;
  for (let i = 0; i < rows; i++) {
    store<u32>(index + (<usize>i << 2), count);
    let j = 0;
    for (; j < cols4; j += 4) {
      const o = <usize>j << 2;
      const v = v128.load(pz + o);
      const t = v128.load(theta + o);
      const u = f32x4.mul(f32x4.sub(v, t), inverse);
      const read = v128.or(f32x4.gt(v, t), v128.and(f32x4.gt(u, minusHalf), f32x4.lt(u, half)));
      // a true lane is all ones: bitmask gives one bit a lane
      let bits = i32x4.bitmask(read);
      while (bits != 0) {
        const q = ctz(bits);
        store<u32>(columns + (<usize>count << 2), j + q);
        count++;
        bits &= bits - 1;
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(pz + o);
      const t = load<f32>(theta + o);
      const u = (v - t) * inverseBandwidth;
      if (v > t || (u > -0.5 && u < 0.5)) {
        store<u32>(columns + (<usize>count << 2), j);
        count++;
      }
    }
    pz += ld;
  }
  store<u32>(index + (<usize>rows << 2), count);
  return count;
}
