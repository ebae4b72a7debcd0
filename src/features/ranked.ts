/**
 * Bounded "keep the best k" lists for the feature statistics: a binary heap whose root is the
 * worst entry kept, so a new entry costs O(log k) and the list never grows past k. The heap is a
 * plain array of [row, value] pairs, so a statistics state is JSON and a restored heap carries on
 * exactly as the saved one would have (same array, same order: resumable bit for bit).
 */

/** One kept entry: [row, key], or [row, key, value] when the key is not the value (a sampling key). */
export type Entry = [row: number, key: number, value?: number];

/**
 * `a` ranks below `b` (is worse) when its key is smaller, or equal with a larger row. `largest`
 * false flips the key order (keep the k smallest keys), rows still breaking ties toward the smaller.
 */
function worse(a: Entry, b: Entry, largest: boolean): boolean {
  if (a[1] !== b[1]) return largest ? a[1] < b[1] : a[1] > b[1];
  return a[0] > b[0];
}

/**
 * Offers [row, key] to `heap` (at most `k` entries kept): kept when the heap has room or the entry
 * ranks above the worst kept one, which it then replaces.
 */
export function offer(heap: Entry[], k: number, row: number, key: number, largest = true, value?: number): void {
  if (k <= 0) return;
  const entry: Entry = value === undefined ? [row, key] : [row, key, value];
  if (heap.length < k) {
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!worse(heap[i]!, heap[parent]!, largest)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
    return;
  }
  if (!worse(heap[0]!, entry, largest)) return;
  heap[0] = entry;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && worse(heap[l]!, heap[m]!, largest)) m = l;
    if (r < heap.length && worse(heap[r]!, heap[m]!, largest)) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m]!, heap[i]!];
    i = m;
  }
}

/** The heap's entries best first (largest key first, or smallest when `largest` is false; ties: smaller row first). */
export function ranked(heap: readonly Entry[], largest = true): Entry[] {
  return [...heap].sort((a, b) => (worse(a, b, largest) ? 1 : worse(b, a, largest) ? -1 : 0));
}

/**
 * A deterministic pseudo-random key in [0, 2³²) for (seed, feature, row): the sampling order of
 * the interval samples. Keeping each interval's k smallest keys is a uniform sample without
 * replacement that does not depend on the order rows arrive in (murmur3's finaliser, mixed twice).
 */
export function sampleKey(seed: number, feature: number, row: number): number {
  let x = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ feature;
  x = fmix(x);
  x = fmix(x ^ Math.imul(row, 0xc2b2ae35) ^ Math.floor(row / 4294967296));
  return x >>> 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
