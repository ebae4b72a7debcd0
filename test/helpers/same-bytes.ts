/**
 * Byte-for-byte comparison of large buffers for tests. `expect(a).toEqual(b)` walks a typed array
 * of a million elements through vitest's generic deep equality, seconds a call inside workerd;
 * this compares in a plain loop and, when they differ, says where, which is all a failure needs.
 */
export function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `element ${i}: ${actual[i]}, expected ${expected[i]}`;
  }
  return null;
}
