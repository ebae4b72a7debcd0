/**
 * A small seeded PRNG for tests: the same seed gives the same numbers on every platform.
 */

/** Returns numbers uniform in [0, 1). */
export type Rng = () => number;

/** mulberry32: 32-bit state, fast, good enough for test data. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number uniform in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** `length` float32 values uniform in [lo, hi). */
export function randomArray(rng: Rng, length: number, lo = 0, hi = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = uniform(rng, lo, hi);
  return out;
}

/** A row-major matrix (the shape of src/data's Matrix) of values uniform in [lo, hi). */
export function randomMatrix(
  rng: Rng,
  rows: number,
  cols: number,
  lo = 0,
  hi = 1,
): { rows: number; cols: number; data: Float32Array } {
  return { rows, cols, data: randomArray(rng, rows * cols, lo, hi) };
}

/** The same values as nested arrays (rows of numbers), e.g. for JSON bodies or CSV text. */
export function randomRows(rng: Rng, rows: number, cols: number, lo = 0, hi = 1): number[][] {
  const m = randomMatrix(rng, rows, cols, lo, hi);
  return Array.from({ length: rows }, (_, r) => Array.from(m.data.subarray(r * cols, (r + 1) * cols)));
}
