/** matryoshka's nested groups: their column ranges, and the checks of their sizes. */

/** Each group's units [start, end) of the dictionary, in order (absent or empty: one group of h). */
export function groupRanges(groupSizes: readonly number[] | undefined, h: number): { start: number; end: number }[] {
  const sizes = groupSizes && groupSizes.length > 0 ? groupSizes : [h];
  let end = 0;
  return sizes.map((size) => ({ start: end, end: (end += size) }));
}

/** What is wrong with `groupSizes` for a dictionary of h units, or null ("must sum to …"). */
export function groupSizesProblem(groupSizes: unknown, h: number): string | null {
  if (!Array.isArray(groupSizes) || groupSizes.length === 0) return `must list the sizes of the nested groups (e.g. 12,12,24 for h = 48), whose sum is the hidden size ${h}; got ${JSON.stringify(groupSizes ?? null)}`;
  const bad = groupSizes.findIndex((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 1);
  if (bad >= 0) return `[${bad}] must be an integer ≥ 1 (every group holds a unit), got ${JSON.stringify(groupSizes[bad])}`;
  const sum = groupSizes.reduce((total: number, s: number) => total + s, 0);
  return sum === h ? null : `must sum to the hidden size ${h} (the groups split the dictionary), got ${groupSizes.join(' + ')} = ${sum}`;
}
