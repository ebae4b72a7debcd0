/**
 * The shortest decimal that reads back (through Math.fround) as the same float32, so files and
 * responses stay small and exact: 0.1f is written 0.1, not 0.10000000149011612.
 *
 * The definition is that of `shortestFloat32Reference`: the first of 6, 7 and 8 significant
 * digits (toPrecision's rounding of the exact value) that reads back as the float32, else 9.
 * `shortestFloat32` computes the same number with arithmetic instead of strings, about four times
 * faster (model files hold ~10⁶ numbers); whenever its double arithmetic could round differently
 * from toPrecision (a digit within 5·10⁻⁷ of a tie, a candidate within 10⁻⁶ of the float32's
 * rounding boundary, exponents outside 10^±22), it defers to the reference.
 */

/** The definition, with strings: up to four toPrecision calls and parses per number. */
export function shortestFloat32Reference(value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  // Any float32 is fixed by 9 significant digits; 6 or fewer cover the short cases, so start there.
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POW10 = new Float64Array(23).map((_, i) => 10 ** i);

/** A marker that the arithmetic cannot decide; the reference must. */
const UNDECIDED = -1;

/**
 * The nearest decimal of `a` (> 0) with its last digit at 10^-s, or 0 when it does not read back
 * as the float32 `a` (unless `last`), or UNDECIDED. For 0 ≤ s ≤ 22 and a·10^s < 10⁹, a·10^s has
 * one rounding (relative 2⁻⁵³, so an absolute error below 2·10⁻⁷), the quotient c / 10^s is
 * correctly rounded, exactly as Number() parses the digits, so outside the guard bands the result
 * is the reference's.
 */
function nearestDecimal(a: number, s: number, last: boolean): number {
  const p = POW10[s]!;
  const x = a * p;
  const floor = Math.floor(x);
  const frac = x - floor;
  if (frac > 0.4999995 && frac < 0.5000005) return UNDECIDED;
  const candidate = (frac >= 0.5 ? floor + 1 : floor) / p;
  return last || Math.fround(candidate) === a ? candidate : 0;
}

/** shortestFloat32Reference, computed with arithmetic (see the file comment). */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  const a = Math.abs(value);
  // s9 places the 9th significant digit at 10^-s9; log10 may be off by one near a power of ten.
  let s9 = 8 - Math.floor(Math.log10(a));
  if (s9 < 3 || s9 > 21) return shortestFloat32Reference(value);
  let x9 = a * POW10[s9]!;
  if (x9 < 1e8) x9 = a * POW10[++s9]!;
  else if (x9 >= 1e9) x9 = a * POW10[--s9]!;
  if (s9 < 3 || s9 > 22 || x9 < 1.000001e8 || x9 > 0.999999e9) return shortestFloat32Reference(value);
  for (let digits = 6; digits <= 9; digits++) {
    const candidate = nearestDecimal(a, s9 - 9 + digits, digits === 9);
    if (candidate === UNDECIDED) return shortestFloat32Reference(value);
    if (candidate !== 0) return value < 0 ? -candidate : candidate;
  }
  return shortestFloat32Reference(value); // not reached: 9 digits always answer
}

/** shortestFloat32 as text, for CSV and JSON writers. */
export function formatFloat32(value: number): string {
  return String(shortestFloat32(value));
}
