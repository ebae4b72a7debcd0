/**
 * The batchtopk and matryoshka models' kernels (src/reference/batchtopk-reference.ts has the math;
 * the compositions are src/architectures/batchtopk/ and src/architectures/matryoshka/):
 *
 *   training codes: a = max(z, 0) on the keep largest of the whole batch [rows×h] (ties to the
 *                   lower flat index), 0 elsewhere                                batch_top_k_codes
 *   θ's update reads the batch's smallest positive code                          min_positive
 *   matryoshka's groups are column blocks of the codes                           copy_block
 *
 * The selection is a radix select, O(count) and no sort: a non-negative float32 orders as its bits
 * do as an unsigned integer, so the keep-th largest r = max(z, 0) is found digit by digit, from
 * the top, with a histogram of 2048 bins a pass (bits 30–20, 19–9, 8–0; bit 31 is 0 for r ≥ 0):
 * each pass counts the values that agree with the digits found so far and picks the bin where the
 * count from the top reaches keep. Three counting passes and one writing pass over the batch.
 */

/** The bits of max(v, 0) (a NaN or −0 becomes +0, as relu does). */
@inline
function keyOf(v: f32): u32 {
  return v > 0 ? reinterpret<u32>(v) : 0;
}

/**
 * a[q] = max(z[q], 0) for the `keep` largest max(z, 0) of the `count` values (ties to the lower q),
 * 0 elsewhere (a may not be z). hist: 2048 u32 of scratch.
 */
export function batch_top_k_codes(z: usize, a: usize, hist: usize, count: i32, keep: i32): void {
  if (keep >= count) {
    for (let q = 0; q < count; q++) store<f32>(a + (<usize>q << 2), reinterpret<f32>(keyOf(load<f32>(z + (<usize>q << 2)))));
    return;
  }
  memory.fill(a, 0, <usize>count << 2);
  if (keep <= 0) return;
  // the keep-th largest key T, digit by digit; `above` counts the keys > the prefix found so far
  let prefix: u32 = 0;
  let prefixMask: u32 = 0;
  let remaining = keep;
  for (let pass = 0; pass < 3; pass++) {
    const shift: u32 = pass == 0 ? 20 : pass == 1 ? 9 : 0;
    const binMask: u32 = pass == 2 ? 0x1ff : 0x7ff;
    memory.fill(hist, 0, 2048 << 2);
    for (let q = 0; q < count; q++) {
      const key = keyOf(load<f32>(z + (<usize>q << 2)));
      if ((key & prefixMask) != prefix) continue;
      const slot = hist + (<usize>((key >> shift) & binMask) << 2);
      store<u32>(slot, load<u32>(slot) + 1);
    }
    // the bin where the count from the top reaches `remaining`
    let bin: i32 = <i32>binMask;
    for (; bin > 0; bin--) {
      const c = <i32>load<u32>(hist + (<usize>bin << 2));
      if (c >= remaining) break;
      remaining -= c;
    }
    prefix |= <u32>bin << shift;
    prefixMask |= binMask << shift;
  }
  // T = prefix: keep every key > T, and the first `remaining` keys equal to T (in index order)
  const t = prefix;
  let ties = remaining;
  for (let q = 0; q < count; q++) {
    const o = <usize>q << 2;
    const key = keyOf(load<f32>(z + o));
    if (key > t || (key == t && ties > 0)) {
      if (key == t) ties--;
      store<f32>(a + o, reinterpret<f32>(key));
    }
  }
}

/** The smallest a[q] > 0 of `count` floats, or 0 when none is positive. */
export function min_positive(a: usize, count: i32): f32 {
  const inf = f32x4.splat(Infinity);
  const zero = f32x4.splat(0);
  let best = inf;
  let q = 0;
  for (; q + 4 <= count; q += 4) {
    const v = v128.load(a + (<usize>q << 2));
    best = f32x4.min(best, v128.bitselect(v, inf, f32x4.gt(v, zero)));
  }
  let m = f32x4.extract_lane(best, 0);
  m = min(m, f32x4.extract_lane(best, 1));
  m = min(m, f32x4.extract_lane(best, 2));
  m = min(m, f32x4.extract_lane(best, 3));
  for (; q < count; q++) {
    const v = load<f32>(a + (<usize>q << 2));
    if (v > 0 && v < m) m = v;
  }
  return m == Infinity ? 0 : m;
}

/** dst[i, c] = src[i, c] for i < rows, c < cols; strides in floats (a column block in or out). */
export function copy_block(src: usize, srcStride: i32, dst: usize, dstStride: i32, rows: i32, cols: i32): void {
  const bytes = <usize>cols << 2;
  for (let i = 0; i < rows; i++) memory.copy(dst + (<usize>(i * dstStride) << 2), src + (<usize>(i * srcStride) << 2), bytes);
}
