/**
 * Bearer-token auth. `API_TOKEN` (admin) may do everything; each token in `ENCODE_TOKENS`
 * (comma separated) may only read models and call encode/reconstruct/evaluate. Never open by
 * default: without `API_TOKEN` every write is refused, without any token everything is.
 * Tokens are compared as SHA-256 digests in constant time, so timing reveals neither the token
 * nor its length.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Bindings } from './env.js';
import { ApiError } from './problem.js';

/** What the caller's token allows. */
export type Role = 'admin' | 'encode';

/** What a route needs: `read` (models, encode, reconstruct, evaluate) or `write` (everything else). */
export type Access = 'read' | 'write';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="edge-sae"' };

/**
 * Middleware: authenticates the bearer token and checks it allows `access`; sets `c.var.role`.
 * @example models.use('/:id/encode', requireAccess('read'))
 */
export function requireAccess(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const role = await authenticate(c.req.header('authorization'), c.env);
    if (access === 'write' && role !== 'admin') {
      throw new ApiError(403, {
        type: 'forbidden',
        detail: 'This token may only read models and call encode, reconstruct and evaluate; this request needs the admin token (API_TOKEN).',
      });
    }
    c.set('role', role);
    await next();
  };
}

/** The role of an Authorization header's bearer token; throws 401 when it has none. */
export async function authenticate(header: string | undefined, env: Partial<Bindings>): Promise<Role> {
  const token = parseBearer(header);
  if (token === null) {
    throw unauthorized(
      header === undefined
        ? 'Missing Authorization header; send "Authorization: Bearer <token>".'
        : 'Malformed Authorization header; send "Authorization: Bearer <token>".',
    );
  }
  const adminToken = env.API_TOKEN?.trim() ?? '';
  const encodeTokens = (env.ENCODE_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const digest = await sha256(token);
  // Compare against every configured token (no early exit) so the time taken says nothing.
  let admin = false;
  let encode = false;
  if (adminToken !== '') admin = constantTimeEqual(digest, await sha256(adminToken));
  for (const candidate of encodeTokens) {
    if (constantTimeEqual(digest, await sha256(candidate))) encode = true;
  }
  if (admin) return 'admin';
  if (encode) return 'encode';
  throw unauthorized(
    adminToken === ''
      ? 'Invalid token. No API_TOKEN is configured on this Worker, so writes are disabled.'
      : 'Invalid token.',
  );
}

function parseBearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function unauthorized(detail: string): ApiError {
  return new ApiError(401, { type: 'unauthorized', detail, headers: CHALLENGE });
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Equal-length byte arrays compared without an early exit. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
