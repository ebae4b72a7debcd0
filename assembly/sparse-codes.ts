/**
 * The relu and TopK models' kernels (src/reference/linear-sae-reference.ts has the math, the
 * formulas and their gradients in its header):
 *
 *   forward   z = (X − b_dec)·W_enc + b_enc        add_row_vector, gemm_nn, add_row_vector
 *             relu: a = max(z, 0)                  relu
 *             TopK: a = max(z, 0) on the k largest of each row (ties to the lower index), else 0
 *                                                  top_k_codes (also the AuxK codes, over the dead units)
 *             x̂ = a·W_dec + b_dec                  gemm_nn, add_row_vector
 *   backward  d = (2/m)·(x̂ − x)                    linear_output_delta (returns Σ(x̂ − x)²)
 *             δz = (d·W_decᵀ + add[j]) ⊙ 1[a > 0]   gemm_nt, code_delta (add = (λ/m)·ν for relu, 0 for TopK)
 *             relu: gW_dec[j,:] += (λ/m)·(Σ_i a_ij)/ν_j · W_dec[j,:]   l1_decoder_gradient (returns Σ_j (Σ_i a_ij)·ν_j)
 *             AuxK: d_aux = (2c/m)·(ê − e), e = x − x̂ constant   aux_delta (returns Σ(ê − e)²)
 *                   δz += (d_aux·W_decᵀ) ⊙ 1[a_aux > 0]           masked_add
 *   after a TopK step: W_dec[j,:] /= ν_j           normalize_rows
 *   bookkeeping: steps since each unit fired      update_steps_since_fired, dead_mask
 *
 * ν_j = ‖W_dec[j,:]‖₂ (row_norms). Sums that are returned accumulate in f64.
 *
 * TopK's products with its codes (x̂, gW_dec, d·W_decᵀ at the kept codes, the AuxK ones, gW_enc from
 * the sparse δz) go through sparse-gemm.ts, which gives the dense products' bits at the cost of the
 * non-zeros; relu's codes are dense enough for gemm.ts.
 */

/** z[i,j] += alpha·v[j] for z [rows×cols], v [cols]. */
export function add_row_vector(z: usize, v: usize, rows: i32, cols: i32, alpha: f32): void {
  const ld = <usize>cols << 2;
  let row = z;
  for (let i = 0; i < rows; i++) {
    addScaledRow(row, v, alpha, cols);
    row += ld;
  }
}

/** dst[c] += alpha·src[c] for c < cols (SIMD main loop, scalar tail). */
@inline
function addScaledRow(dst: usize, src: usize, alpha: f32, cols: i32): void {
  const cols4 = cols & ~3;
  const s = f32x4.splat(alpha);
  let c = 0;
  for (; c < cols4; c += 4) {
    const o = <usize>c << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(s, v128.load(src + o))));
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    store<f32>(dst + o, load<f32>(dst + o) + alpha * load<f32>(src + o));
  }
}

/** a[k] = max(z[k], 0) over `count` floats (a may be z). */
export function relu(z: usize, a: usize, count: i32): void {
  const zero = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const o = <usize>k << 2;
    const v = v128.load(z + o);
    // select keeps v where v > 0 (a NaN or −0 becomes +0, like max(z, 0) of the reference)
    v128.store(a + o, v128.bitselect(v, zero, f32x4.gt(v, zero)));
  }
  for (; k < count; k++) {
    const o = <usize>k << 2;
    const v = load<f32>(z + o);
    store<f32>(a + o, v > 0 ? v : 0);
  }
}

/**
 * Rearranges buf[lo..hi] so that buf[nth] is the value a descending sort would put there
 * (Hoare quickselect, median-of-three pivot: deterministic, O(len) on average).
 */
function selectDescending(buf: usize, lo: i32, hi: i32, nth: i32): f32 {
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    let a = load<f32>(buf + (<usize>lo << 2));
    let b = load<f32>(buf + (<usize>mid << 2));
    let c = load<f32>(buf + (<usize>hi << 2));
    // the median of the three
    let pivot = a > b ? (b > c ? b : a > c ? c : a) : a > c ? a : b > c ? c : b;
    let i = lo, j = hi;
    while (i <= j) {
      while (load<f32>(buf + (<usize>i << 2)) > pivot) i++;
      while (load<f32>(buf + (<usize>j << 2)) < pivot) j--;
      if (i <= j) {
        const pi = buf + (<usize>i << 2), pj = buf + (<usize>j << 2);
        const t = load<f32>(pi);
        store<f32>(pi, load<f32>(pj));
        store<f32>(pj, t);
        i++;
        j--;
      }
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else break;
  }
  return load<f32>(buf + (<usize>nth << 2));
}

/**
 * a[i,j] = max(z[i,j], 0) for the `count` largest z of row i among the allowed units, 0 elsewhere;
 * ties to the lower index. allowed: a u8 mask [cols] (1 = may be kept), or 0 for every unit.
 * count is clamped to the allowed units. scratch: `cols` floats the kernel may overwrite.
 *
 * Per row: copy the allowed z into scratch, select the count-th largest t; keep every z > t and
 * then, in index order, as many z == t as the count still needs.
 */
export function top_k_codes(z: usize, allowed: usize, a: usize, scratch: usize, rows: i32, cols: i32, count: i32): void {
  const ld = <usize>cols << 2;
  let zr = z, ar = a;
  for (let i = 0; i < rows; i++) {
    let len = 0;
    for (let j = 0; j < cols; j++) {
      if (allowed != 0 && load<u8>(allowed + <usize>j) == 0) continue;
      store<f32>(scratch + (<usize>len << 2), load<f32>(zr + (<usize>j << 2)));
      len++;
    }
    const keep = count < len ? count : len;
    memory.fill(ar, 0, ld);
    if (keep > 0) {
      const t = selectDescending(scratch, 0, len - 1, keep - 1);
      let above = 0;
      for (let j = 0; j < cols; j++) {
        if (allowed != 0 && load<u8>(allowed + <usize>j) == 0) continue;
        if (load<f32>(zr + (<usize>j << 2)) > t) above++;
      }
      let ties = keep - above;
      for (let j = 0; j < cols; j++) {
        if (allowed != 0 && load<u8>(allowed + <usize>j) == 0) continue;
        const v = load<f32>(zr + (<usize>j << 2));
        let kept = v > t;
        if (!kept && v == t && ties > 0) {
          kept = true;
          ties--;
        }
        if (kept && v > 0) store<f32>(ar + (<usize>j << 2), v);
      }
    }
    zr += ld;
    ar += ld;
  }
}

/** d[k] = scale·(y[k] − x[k]) over `count` floats; returns Σ (y − x)² in f64. */
export function linear_output_delta(y: usize, x: usize, d: usize, count: i32, scale: f32): f64 {
  const s = f32x4.splat(scale);
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const o = <usize>k << 2;
    const diff = f32x4.sub(v128.load(y + o), v128.load(x + o));
    v128.store(d + o, f32x4.mul(s, diff));
    const lo = f64x2.promote_low_f32x4(diff);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(diff, diff, 2, 3, 0, 1));
    acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
    acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
  }
  const acc = f64x2.add(acc0, acc1);
  let total = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; k < count; k++) {
    const o = <usize>k << 2;
    const diff = load<f32>(y + o) - load<f32>(x + o);
    store<f32>(d + o, scale * diff);
    total += <f64>diff * <f64>diff;
  }
  return total;
}

/**
 * AuxK: with e = x − y (y = x̂), dAux[k] = scale·(eHat[k] − e[k]) over `count` floats; returns
 * Σ (eHat − e)² in f64.
 */
export function aux_delta(eHat: usize, x: usize, y: usize, dAux: usize, count: i32, scale: f32): f64 {
  let total: f64 = 0;
  for (let k = 0; k < count; k++) {
    const o = <usize>k << 2;
    const diff = load<f32>(eHat + o) - (load<f32>(x + o) - load<f32>(y + o));
    store<f32>(dAux + o, scale * diff);
    total += <f64>diff * <f64>diff;
  }
  return total;
}

/** dZ[i,j] = (dZ[i,j] + add[j]) where a[i,j] > 0, else 0; dZ and a [rows×cols], add [cols]. */
export function code_delta(dZ: usize, a: usize, add: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  const cols4 = cols & ~3;
  const zero = f32x4.splat(0);
  let pd = dZ, pa = a;
  for (let i = 0; i < rows; i++) {
    let j = 0;
    for (; j < cols4; j += 4) {
      const o = <usize>j << 2;
      const g = f32x4.add(v128.load(pd + o), v128.load(add + o));
      v128.store(pd + o, v128.and(g, f32x4.gt(v128.load(pa + o), zero)));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(pd + o, load<f32>(pa + o) > 0 ? load<f32>(pd + o) + load<f32>(add + o) : 0);
    }
    pd += ld;
    pa += ld;
  }
}

/** dst[k] += src[k] where a[k] > 0, over `count` floats. */
export function masked_add(dst: usize, src: usize, a: usize, count: i32): void {
  const zero = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= count; k += 4) {
    const o = <usize>k << 2;
    const add = v128.and(v128.load(src + o), f32x4.gt(v128.load(a + o), zero));
    v128.store(dst + o, f32x4.add(v128.load(dst + o), add));
  }
  for (; k < count; k++) {
    const o = <usize>k << 2;
    if (load<f32>(a + o) > 0) store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/** out[j] = ‖W[j,:]‖₂ for W [rows×cols] (the sum of squares in f64, rounded once). */
export function row_norms(w: usize, out: usize, rows: i32, cols: i32): void {
  let row = w;
  for (let j = 0; j < rows; j++) {
    let s: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const v = <f64>load<f32>(row + (<usize>c << 2));
      s += v * v;
    }
    store<f32>(out + (<usize>j << 2), <f32>Math.sqrt(s));
    row += <usize>cols << 2;
  }
}

/**
 * The relu penalty's decoder gradient: g[j,:] += scale·codeSum[j]/norms[j]·W[j,:] for every row
 * j of norm > 0 (the norm's subgradient at 0 is taken as 0); returns Σ_j codeSum[j]·norms[j] in
 * f64 (the penalty before λ/m).
 */
export function l1_decoder_gradient(g: usize, w: usize, codeSum: usize, norms: usize, rows: i32, cols: i32, scale: f32): f64 {
  const ld = <usize>cols << 2;
  let total: f64 = 0;
  for (let j = 0; j < rows; j++) {
    const o = <usize>j << 2;
    const norm = load<f32>(norms + o);
    const sum = load<f32>(codeSum + o);
    total += <f64>sum * <f64>norm;
    if (norm > 0) {
      addScaledRow(g + <usize>j * ld, w + <usize>j * ld, (scale * sum) / norm, cols);
    }
  }
  return total;
}

/** W[j,:] /= ‖W[j,:]‖₂ for every row of norm > 0, W [rows×cols] (the norm as row_norms computes it). */
export function normalize_rows(w: usize, rows: i32, cols: i32): void {
  let row = w;
  for (let j = 0; j < rows; j++) {
    let s: f64 = 0;
    for (let c = 0; c < cols; c++) {
      const v = <f64>load<f32>(row + (<usize>c << 2));
      s += v * v;
    }
    const norm = <f32>Math.sqrt(s);
    if (norm > 0) {
      for (let c = 0; c < cols; c++) {
        const p = row + (<usize>c << 2);
        store<f32>(p, load<f32>(p) / norm);
      }
    }
    row += <usize>cols << 2;
  }
}

/** steps[j] = 0 if a[i,j] > 0 on some row i, else steps[j] + 1; a [rows×cols], steps u32 [cols]. */
export function update_steps_since_fired(a: usize, steps: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  for (let j = 0; j < cols; j++) {
    let fired = false;
    let p = a + (<usize>j << 2);
    for (let i = 0; i < rows && !fired; i++) {
      fired = load<f32>(p) > 0;
      p += ld;
    }
    const q = steps + (<usize>j << 2);
    store<u32>(q, fired ? 0 : load<u32>(q) + 1);
  }
}

/** mask[j] = 1 where steps[j] ≥ deadSteps (u8 [cols]); returns the number of dead units. */
export function dead_mask(steps: usize, mask: usize, cols: i32, deadSteps: u32): i32 {
  let dead = 0;
  for (let j = 0; j < cols; j++) {
    const isDead = load<u32>(steps + (<usize>j << 2)) >= deadSteps;
    store<u8>(mask + <usize>j, isDead ? 1 : 0);
    dead += isDead ? 1 : 0;
  }
  return dead;
}
