/**
 * Middleware: an application/json model file nested deeper than MAX_JSON_DEPTH is a 422 naming
 * its field, found by a scan of the body's text before the route's validator parses it (the
 * same refusal readModelBytes gives the file sent as application/octet-stream).
 */
import type { MiddlewareHandler } from 'hono';
import { checkJsonDepth } from '../model/model-file-checks.js';
import type { AppEnv } from './env.js';

/** For POST /v1/models/import: refuses a JSON body that nests too deeply (ModelFileError → 422). */
export function refuseDeepModelJson(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    // The text is cached by the request: the validator's json() parses this same text.
    if (mediaType === 'application/json') checkJsonDepth(await c.req.text(), (key) => key ?? '(root)', 'body');
    await next();
  };
}
