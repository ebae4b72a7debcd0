/**
 * Bearer-token auth. `API_TOKEN` (admin) may do everything; each token in `ENCODE_TOKENS`
 * (comma separated) may only read models and call encode/reconstruct/evaluate. Never open by
 * default: without `API_TOKEN` every write is refused, without any token everything is.
 * Tokens are compared as SHA-256 digests in constant time, so timing reveals neither the token
 * nor its length. Each authenticated request then counts against its token's rate limit (the
 * `RATE_LIMITER` binding, keyed by the token's digest, never the token itself).
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Bindings, Role } from './env.js';
import { RATE_LIMIT_PERIOD_SECONDS } from './limits.js';
import { ApiError } from './problem.js';

/** What a route needs: `read` (models, encode, reconstruct, evaluate) or `write` (everything else). */
export type Access = 'read' | 'write';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="edge-sae"' };

/**
 * Middleware: authenticates the bearer token and checks it allows `access`; sets `c.var.role`.
 * @example models.use('/:id/encode', requireAccess('read'))
 */
export function requireAccess(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { role, digest } = await identify(c.req.header('authorization'), c.env);
    await enforceRateLimit(c.env, digest);
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
  return (await identify(header, env)).role;
}

/** The role and the token's SHA-256 digest (the rate limiter's key); throws 401. */
async function identify(header: string | undefined, env: Partial<Bindings>): Promise<{ role: Role; digest: Uint8Array }> {
  const token = parseBearer(header);
  if (token === null) {
    throw unauthorized(
      header === undefined
        ? 'Missing Authorization header; send "Authorization: Bearer <token>".'
        : 'Malformed Authorization header; send "Authorization: Bearer <token>".',
    );
  }
  const configured = await configuredDigests(env);
  const digest = await sha256(token);
  // Compare against every configured token (no early exit) so the time taken says nothing.
  let admin = false;
  let encode = false;
  if (configured.admin !== null) admin = constantTimeEqual(digest, configured.admin);
  for (const candidate of configured.encode) {
    if (constantTimeEqual(digest, candidate)) encode = true;
  }
  if (admin) return { role: 'admin', digest };
  if (encode) return { role: 'encode', digest };
  throw unauthorized(
    configured.admin === null
      ? 'Invalid token. No API_TOKEN is configured on this Worker, so writes are disabled.'
      : 'Invalid token.',
  );
}

/** Seconds a refused caller should wait: the limiter's period. */
const RETRY_AFTER_SECONDS = String(RATE_LIMIT_PERIOD_SECONDS);

/**
 * Counts the request against its token's limit (wrangler.toml `[[ratelimits]]` RATE_LIMITER);
 * 429 when over it. Without the binding there is no limit. If the limiter itself fails, the
 * request is allowed (and logged): an outage of the limiter must not take the API down.
 */
async function enforceRateLimit(env: Partial<Bindings>, digest: Uint8Array): Promise<void> {
  const limiter = env.RATE_LIMITER;
  if (!limiter) return;
  let success: boolean;
  try {
    ({ success } = await limiter.limit({ key: `token:${toHex(digest.subarray(0, 16))}` }));
  } catch (error) {
    console.warn('edge-sae: the rate limiter failed; request allowed', error);
    return;
  }
  if (!success) {
    throw new ApiError(429, {
      type: 'rate-limited',
      title: 'Too Many Requests',
      detail: `This token has sent more requests than its rate limit allows; retry after ${RETRY_AFTER_SECONDS} seconds.`,
      headers: { 'retry-after': RETRY_AFTER_SECONDS },
    });
  }
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function parseBearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function unauthorized(detail: string): ApiError {
  return new ApiError(401, { type: 'unauthorized', detail, headers: CHALLENGE });
}

interface ConfiguredDigests {
  /** API_TOKEN's digest; null when none is configured. */
  admin: Uint8Array | null;
  encode: Uint8Array[];
}

/**
 * The configured tokens' digests, computed once per isolate and configuration, not per request.
 * The result is kept, not the promise: workerd does not let one request wait on a promise another
 * request created.
 */
let configuredCache: { key: string; digests: ConfiguredDigests } | null = null;

async function configuredDigests(env: Partial<Bindings>): Promise<ConfiguredDigests> {
  const adminToken = env.API_TOKEN?.trim() ?? '';
  const encodeTokens = env.ENCODE_TOKENS ?? '';
  const key = `${adminToken}\n${encodeTokens}`;
  if (configuredCache?.key === key) return configuredCache.digests;
  const encode = encodeTokens
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const digests = {
    admin: adminToken === '' ? null : await sha256(adminToken),
    encode: await Promise.all(encode.map(sha256)),
  };
  configuredCache = { key, digests };
  return digests;
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
