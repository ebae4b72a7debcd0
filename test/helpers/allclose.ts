/**
 * allclose-style comparison for numeric arrays, as numpy and jax-js do it: element i passes when
 * |actual[i] − expected[i]| ≤ atol + rtol·|expected[i]|. A failure reports the worst element, so
 * a mismatch in a 10 000-element weight matrix is one readable line.
 */
import { expect } from 'vitest';

export type NumericArray = ArrayLike<number>;

export interface Tolerance {
  /** Absolute tolerance; default 1e-6. */
  atol?: number;
  /** Relative tolerance (of |expected|); default 1e-5. */
  rtol?: number;
}

/** Largest |a[i] − b[i]|; throws when the lengths differ. NaN anywhere gives NaN. */
export function maxAbsDiff(a: NumericArray, b: NumericArray): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (Number.isNaN(d)) return NaN;
    if (d > worst) worst = d;
  }
  return worst;
}

export interface CloseReport {
  ok: boolean;
  /** Index of the element furthest beyond its tolerance (or -1 when all pass). */
  worstIndex: number;
  /** How far beyond the tolerance that element is, as |diff| / (atol + rtol·|expected|). */
  worstRatio: number;
  maxAbsDiff: number;
}

/** Compares without asserting; see expectAllClose. */
export function allClose(actual: NumericArray, expected: NumericArray, tolerance: Tolerance = {}): CloseReport {
  const atol = tolerance.atol ?? 1e-6;
  const rtol = tolerance.rtol ?? 1e-5;
  if (actual.length !== expected.length) {
    return { ok: false, worstIndex: -1, worstRatio: Infinity, maxAbsDiff: NaN };
  }
  let worstIndex = -1;
  let worstRatio = 0;
  let maxDiff = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const diff = Math.abs(a - e);
    // Identical values (including equal infinities) always pass; a NaN never does.
    const ratio = a === e ? 0 : Number.isNaN(diff) ? Infinity : diff / (atol + rtol * Math.abs(e));
    if (Number.isNaN(diff)) maxDiff = NaN;
    else if (diff > maxDiff) maxDiff = diff;
    if (ratio > 1 && ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = i;
    }
  }
  return { ok: worstIndex === -1, worstIndex, worstRatio, maxAbsDiff: maxDiff };
}

/**
 * Asserts that `actual` matches `expected` elementwise within `atol + rtol·|expected|`.
 *
 * @example
 * expectAllClose(params.W1, reference.W1, { atol: 1e-5, rtol: 1e-4 }, 'W1 after one step');
 */
export function expectAllClose(
  actual: NumericArray,
  expected: NumericArray,
  tolerance: Tolerance = {},
  label = 'values',
): void {
  if (actual.length !== expected.length) {
    expect.fail(`${label}: length ${actual.length}, expected ${expected.length}`);
  }
  const report = allClose(actual, expected, tolerance);
  if (!report.ok) {
    const i = report.worstIndex;
    const atol = tolerance.atol ?? 1e-6;
    const rtol = tolerance.rtol ?? 1e-5;
    expect.fail(
      `${label}: not close (atol ${atol}, rtol ${rtol}); worst at index ${i}: ` +
        `actual ${actual[i]}, expected ${expected[i]}, |diff| ${Math.abs((actual[i] as number) - (expected[i] as number))} ` +
        `(${report.worstRatio.toPrecision(3)}× the tolerance); max |diff| ${report.maxAbsDiff}`,
    );
  }
}
