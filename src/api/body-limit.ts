/**
 * Request body limits, read per request from the limits config so a wrangler var can change
 * them. A declared Content-Length over the limit is refused before any byte is read; a chunked
 * body is counted as it streams.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './env.js';
import { limitExceeded, readLimits, type LimitKey } from './limits.js';

/** The body each limit bounds, as its 413 names it. */
const BODY_OF = {
  maxBodyBytes: 'The request body',
  maxModelBytes: 'The model file',
  maxDatasetBytes: 'The dataset body',
  maxPartBytes: 'The part',
} as const satisfies Partial<Record<LimitKey, string>>;

/** Middleware: 413 when the body is larger than `limit` (MAX_BODY_BYTES, MAX_MODEL_BYTES, MAX_DATASET_BYTES or MAX_PART_BYTES). */
export function limitBody(limit: keyof typeof BODY_OF): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const limits = readLimits(c.env);
    return bodyLimit({
      maxSize: limits[limit],
      onError: () => {
        throw limitExceeded(limit, limits, `${BODY_OF[limit]} is larger than ${limits[limit]} bytes; it`, limit === 'maxBodyBytes');
      },
    })(c, next);
  };
}
