/**
 * Numbers in query parameters and path segments arrive as text, and each is taken in one spelling
 * only. z.coerce.number() reads "0x1", "+1", "1e0", "00", "-0", " 1" and "" (as 0) as numbers: a
 * part number, page size or option would have many spellings, and a typo a meaning. Every numeric
 * query or path parameter of the API is one of these two schemas (test/worker/numeric-parameters
 * .test.ts sends the other spellings to every one the OpenAPI document declares).
 */
import { z } from '@hono/zod-openapi';

/** An integer in canonical decimal: digits without a leading zero, a minus sign only where allowed (never "-0"). */
const INTEGER = /^(0|[1-9][0-9]*)$/;
const SIGNED_INTEGER = /^(0|-?[1-9][0-9]*)$/;
/** A decimal number literal as JSON writes one: no sign but a minus, no leading zero, no hex, no blanks, no Infinity or NaN. */
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

const INTEGER_MESSAGE = 'must be an integer in decimal digits: 0, 1, 2, … (no sign, leading zero, exponent, fraction, blank or hex)';
const SIGNED_INTEGER_MESSAGE = 'must be an integer in decimal digits, a minus sign before a negative one (no plus sign, leading zero, exponent, fraction, blank or hex)';
const NUMBER_MESSAGE = 'must be a decimal number such as 0.01, 1e-3 or 5 (no plus sign, leading zero, blank, hex, Infinity or NaN)';

export interface IntegerBounds {
  min?: number;
  max?: number;
  /** Allow a minus sign (an option whose range its own resolve checks). Default: no sign. */
  signed?: boolean;
}

/**
 * An integer parameter in canonical decimal, within `min`..`max` when given; the OpenAPI document
 * says `type: integer` with the bounds. Values beyond 2^53 are refused (they do not round-trip).
 */
export function decimalInteger(bounds: IntegerBounds = {}) {
  const signed = bounds.signed ?? false;
  let number = z.number().refine(Number.isSafeInteger, { message: 'is too large' });
  if (bounds.min !== undefined) number = number.refine((n) => n >= bounds.min!, { message: `must be at least ${bounds.min}` });
  if (bounds.max !== undefined) number = number.refine((n) => n <= bounds.max!, { message: `must be at most ${bounds.max}` });
  return z
    .string()
    .regex(signed ? SIGNED_INTEGER : INTEGER, signed ? SIGNED_INTEGER_MESSAGE : INTEGER_MESSAGE)
    .transform(Number)
    .pipe(number)
    .openapi({
      type: 'integer',
      ...(signed ? {} : { minimum: bounds.min ?? 0 }),
      ...(bounds.max !== undefined ? { maximum: bounds.max } : {}),
    });
}

/** A number parameter (a real-valued option in the query) as a decimal literal; its range is left to the caller. */
export function decimalNumber() {
  return z.string().regex(NUMBER, NUMBER_MESSAGE).transform(Number).pipe(z.number()).openapi({ type: 'number' });
}

/** A list of integers as text, comma-separated, each in canonical decimal (groupSizes=12,12,24; no blanks); their ranges are left to the caller. */
export function decimalIntegers() {
  return z
    .string()
    .regex(/^(0|-?[1-9][0-9]*)(,(0|-?[1-9][0-9]*))*$/, 'must be integers in decimal digits separated by commas, such as 12,12,24 (no blanks, plus signs, leading zeros, exponents or hex)')
    .transform((text) => text.split(',').map(Number))
    .openapi({ type: 'string', example: '12,12,24' });
}
