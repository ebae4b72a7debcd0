/**
 * The CORS policy: which web pages on other origins may call the API from a browser. It is the
 * var `CORS_ORIGINS`: a comma-separated list of exact origins (`https://app.example.com`), or `*`
 * for any origin. Unset or empty (the default) → no CORS headers at all, so browsers allow only
 * same-origin pages (the playground and /docs served by this Worker) to read answers.
 *
 * Credentials are never allowed (`Access-Control-Allow-Credentials` is not sent): the API uses
 * bearer tokens, not cookies, so a page must hold a token to call it, whatever the origin.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from './env.js';

/** Parses `CORS_ORIGINS`: trimmed, blanks and trailing slashes dropped. */
export function corsOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin !== '');
}

/** Middleware: applies the policy of `CORS_ORIGINS` (read per request, so `--var` changes it). */
export function corsPolicy(): MiddlewareHandler<AppEnv> {
  const built = new Map<string, MiddlewareHandler>();
  return async (c, next) => {
    const origins = corsOrigins(c.env?.CORS_ORIGINS);
    if (origins.length === 0) return next();
    const cacheKey = origins.join(',');
    let middleware = built.get(cacheKey);
    if (!middleware) {
      middleware = cors({
        origin: origins.includes('*') ? '*' : origins,
        allowMethods: ['GET', 'POST', 'DELETE'],
        allowHeaders: ['authorization', 'content-type', 'if-none-match'],
        exposeHeaders: ['etag', 'location', 'retry-after', 'www-authenticate', 'content-disposition'],
        maxAge: 600,
      });
      built.set(cacheKey, middleware);
    }
    return middleware(c, next);
  };
}
