/**
 * The shortest decimal that reads back (through Math.fround) as the same float32, so files and
 * responses stay small and exact: 0.1f is written 0.1, not 0.10000000149011612.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  // Any float32 is fixed by 9 significant digits; 6 or fewer cover the short cases, so start there.
  for (let digits = 6; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}

/** shortestFloat32 as text, for CSV and JSON writers. */
export function formatFloat32(value: number): string {
  return String(shortestFloat32(value));
}
