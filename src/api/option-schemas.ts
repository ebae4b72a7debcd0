/**
 * The zod schemas of the model-config and training options as the HTTP API takes them, derived
 * from the options table (src/model/options.ts): each option's type only (a number, an integer,
 * one of the choices) with its description and default for the OpenAPI document. Ranges are left
 * to the model's resolve (a 422 `invalid-option` naming the field) and upper bounds to the limits
 * (a 413), so that each value is judged by one rule.
 */
import { z } from '@hono/zod-openapi';
import { describe, type OptionSpec, type ValueOf } from '../model/options.js';

/** The schema of one option in a JSON body. */
export function typeSchema<S extends OptionSpec>(spec: S): z.ZodType<ValueOf<S>, ValueOf<S>> {
  const meta = { description: describe(spec) };
  if (spec.type === 'choice') return z.enum(spec.choices).meta(meta) as unknown as z.ZodType<ValueOf<S>, ValueOf<S>>;
  if (spec.type === 'number') return z.number().meta(meta) as unknown as z.ZodType<ValueOf<S>, ValueOf<S>>;
  if (spec.type === 'integers') return z.array(z.number().refine(Number.isInteger, { message: 'must be an integer' })).meta(meta) as unknown as z.ZodType<ValueOf<S>, ValueOf<S>>;
  // Any integer-valued number (zod's .int() also refuses integers above 2^53, which are a limit's business).
  return z.number().refine(Number.isInteger, { message: 'must be an integer' }).meta({ ...meta, type: 'integer' }) as unknown as z.ZodType<ValueOf<S>, ValueOf<S>>;
}

/** The same as a query parameter (text): numbers coerced from their decimal form. */
export function queryTypeSchema<S extends OptionSpec>(spec: S): z.ZodType<ValueOf<S>, string> {
  if (spec.type === 'choice') return typeSchema(spec) as unknown as z.ZodType<ValueOf<S>, string>;
  // a list as text: 12,12,24
  if (spec.type === 'integers') return z.string().meta({ description: describe(spec) }).transform((text) => text.split(',').map((item) => Number(item.trim()))) as unknown as z.ZodType<ValueOf<S>, string>;
  const number = z.coerce.number().meta({ description: describe(spec) });
  return (spec.type === 'integer' ? number.refine(Number.isInteger, { message: 'must be an integer' }) : number) as unknown as z.ZodType<ValueOf<S>, string>;
}

/** Every option of `table`, optional, as a zod object shape (a JSON body's `config` or `training`). */
export function optionalShape<T extends Record<string, OptionSpec>>(table: T): { [K in keyof T]: z.ZodOptional<z.ZodType<ValueOf<T[K]>, ValueOf<T[K]>>> } {
  return Object.fromEntries(Object.entries(table).map(([key, spec]) => [key, typeSchema(spec).optional()])) as never;
}

/** The same as query parameters (a CSV body's options). */
export function optionalQueryShape<T extends Record<string, OptionSpec>>(table: T): { [K in keyof T]: z.ZodOptional<z.ZodType<ValueOf<T[K]>, string>> } {
  return Object.fromEntries(Object.entries(table).map(([key, spec]) => [key, queryTypeSchema(spec).optional()])) as never;
}
