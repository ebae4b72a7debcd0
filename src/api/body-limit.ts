/**
 * Request body limits, read per request from the limits config so a wrangler var can change
 * them. A declared Content-Length over the limit is refused before any byte is read; a chunked
 * body is counted as it streams.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './env.js';
import { limitExceeded, readLimits } from './limits.js';

/** Middleware: 413 when the body is larger than `limit` (MAX_BODY_BYTES or MAX_MODEL_BYTES). */
export function limitBody(limit: 'maxBodyBytes' | 'maxModelBytes'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const limits = readLimits(c.env);
    const what = limit === 'maxModelBytes' ? 'The model file' : 'The request body';
    return bodyLimit({
      maxSize: limits[limit],
      onError: () => {
        throw limitExceeded(limit, limits, `${what} is larger than ${limits[limit]} bytes; it`, limit === 'maxBodyBytes');
      },
    })(c, next);
  };
}
