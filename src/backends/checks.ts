/**
 * Argument checks the backends' sessions share: one rule each, with the name of what is checked
 * (as each backend words it) leading the message.
 */

/** Throws a RangeError unless `value` is a whole number ≥ 1. */
export function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/** Throws a RangeError unless `value` is a whole number ≥ 0. */
export function checkNonNegativeInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}
