/**
 * Every JSON answer of the API ends with a newline, so `curl …` leaves the shell prompt on a line
 * of its own and a saved answer is a text file (`jq`, `diff` and `wc -l` see one line). Hono's
 * `c.json` writes none, so `jsonAnswers` gives each request a `c.json` that does (the one place
 * JSON answers are written, with problemResponse, which uses `jsonText` too). Downloads are not
 * answers: an exported model file is the file's bytes as written.
 */
import type { MiddlewareHandler } from 'hono';

/** A value as the text of a JSON answer. */
export const jsonText = (value: unknown): string => `${JSON.stringify(value)}\n`;

/** Middleware: `c.json` as Hono's, with the text of `jsonText`. */
export function jsonAnswers(): MiddlewareHandler {
  return async (c, next) => {
    c.json = ((object: unknown, arg?: never, headers?: Record<string, string>) => c.body(jsonText(object), arg, { 'Content-Type': 'application/json', ...headers })) as unknown as typeof c.json;
    await next();
  };
}
