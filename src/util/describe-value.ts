/**
 * A value as an error message quotes it ("got …"), bounded: JSON of a short value as before, but
 * never a 10 MB string echoed back, nor a JSON.stringify that recurses into a value nested
 * thousands of levels deep (a RangeError from the error path itself). Runtime-neutral.
 */

/** Longest text quoted whole; a longer string is cut and its length said. */
const MAX_QUOTED = 60;
/** An array or object with at most this many plain entries is shown as JSON. */
const MAX_SHOWN_ENTRIES = 8;

/**
 * @example
 * describeValue(1.5);               // "1.5"
 * describeValue('x'.repeat(1e7));   // "\"xxxx…\" (10000000 characters)"
 * describeValue([[[]]]);            // "an array of 1 entry"
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= MAX_QUOTED ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, MAX_QUOTED))}… (${value.length} characters)`;
  }
  if (typeof value !== 'object' || value === null) return typeof value === 'number' || typeof value === 'bigint' ? String(value) : String(JSON.stringify(value) ?? value);
  const entries = Array.isArray(value) ? value : Object.values(value);
  const plain = entries.length <= MAX_SHOWN_ENTRIES && entries.every((v) => v === null || ['number', 'boolean'].includes(typeof v) || (typeof v === 'string' && v.length <= MAX_QUOTED));
  if (plain) {
    const text = JSON.stringify(value);
    if (text.length <= 2 * MAX_QUOTED) return text;
  }
  const count = entries.length;
  return Array.isArray(value) ? `an array of ${count} ${count === 1 ? 'entry' : 'entries'}` : `an object of ${count} ${count === 1 ? 'key' : 'keys'}`;
}
