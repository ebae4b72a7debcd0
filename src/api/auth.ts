/**
 * Bearer-token auth and scopes. Two kinds of key:
 * - the bootstrap keys, secrets of the Worker: `API_TOKEN` (every scope) and each token in
 *   `ENCODE_TOKENS` (comma separated; read and encode: ENCODE_SCOPES);
 * - managed keys (`esk_<id>_<secret>`, POST /v1/keys), with their own scopes, optionally limited
 *   to some models and to a time, kept in the KEYS Durable Object (keys/durable-object.ts) and
 *   looked up through a short per-isolate cache (keys/lookup.ts).
 * Never open by default: without `API_TOKEN` every write is refused (unless a managed key
 * allows it), without any token everything is. Tokens are compared as SHA-256 digests in
 * constant time, so timing reveals neither the token nor its length. Each authenticated request
 * then counts against its token's rate limit (the `RATE_LIMITER` binding, keyed by the token's
 * digest, never the token itself). Each write is recorded in the audit trail (audit/record.ts).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { auditWrite } from './audit/record.js';
import type { AppEnv, Bindings, Principal } from './env.js';
import { cachedKey, refreshKey } from './keys/lookup.js';
import type { LookedUpKey } from './keys/record.js';
import { keyIdOf, sha256, toHex } from './keys/secret.js';
import { RATE_LIMIT_PERIOD_SECONDS } from './limits.js';
import { ApiError } from './problem.js';
import { ADMIN_SCOPES, ENCODE_SCOPES, isModelFamily, scopeFor, type Access } from './scopes.js';

export type { Access } from './scopes.js';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="edge-sae"' };

/** The middleware of `requireAccess`, tagged with its access so the OpenAPI document can state each route's scope (app.ts). */
export type AccessMiddleware = MiddlewareHandler<AppEnv> & { readonly access: Access };

/**
 * Middleware: authenticates the bearer token, counts it against its rate limit, and checks it
 * holds the scope the route needs (scopes.ts: from the route's path and `access`) and, for a key
 * limited to some models, that the route is on one of them; sets `c.var.principal`. A write is
 * recorded in the audit trail with its outcome, refused or not.
 * @example models.use('/:id/encode', requireAccess('encode'))
 */
export function requireAccess(access: Access): AccessMiddleware {
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const { principal, digest } = await identify(c.req.header('authorization'), c.env, clientAddress(c));
    await enforceRateLimit(c.env, `token:${toHex(digest.subarray(0, 16))}`, 'This token has sent more requests than its rate limit allows');
    c.set('principal', principal);
    if (access !== 'write') {
      authorize(c, principal, access);
      await next();
      return;
    }
    await auditWrite(c, principal, async () => {
      authorize(c, principal, access);
      await next();
    });
  };
  return Object.assign(middleware, { access });
}

/** Throws 403 unless `principal` may use this route. */
function authorize(c: Context<AppEnv>, principal: Principal, access: Access): void {
  const path = c.req.routePath;
  const scope = scopeFor(path, access);
  if (!principal.scopes.includes(scope)) {
    throw new ApiError(403, {
      type: 'forbidden',
      detail:
        principal.keyId === ENCODE_TOKENS_ID
          ? 'This token may only read models and call encode, reconstruct and evaluate; this request needs the admin token (API_TOKEN).'
          : `This key lacks the scope "${scope}" that this request needs (or use API_TOKEN).`,
      extra: { scope },
    });
  }
  if (principal.models !== null && isModelFamily(path)) {
    const id = c.req.param('id');
    if (id === undefined || !principal.models.includes(id)) {
      throw new ApiError(403, {
        type: 'forbidden',
        detail:
          id === undefined
            ? 'This key is limited to some models, so it may only use routes on one of them (not list, train or import).'
            : `This key is limited to some models, and ${id} is not one of them.`,
      });
    }
  }
}

const API_TOKEN_ID = 'API_TOKEN';
const ENCODE_TOKENS_ID = 'ENCODE_TOKENS';

/** Who sent the Authorization header, and the token's SHA-256 digest (the rate limiter's key); throws 401. */
async function identify(header: string | undefined, env: Partial<Bindings>, address: string): Promise<{ principal: Principal; digest: Uint8Array }> {
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
  if (admin) return { principal: { keyId: API_TOKEN_ID, name: API_TOKEN_ID, scopes: ADMIN_SCOPES, models: null, expiresAt: null }, digest };
  if (encode) return { principal: { keyId: ENCODE_TOKENS_ID, name: ENCODE_TOKENS_ID, scopes: ENCODE_SCOPES, models: null, expiresAt: null }, digest };
  const managed = await managedKey(token, digest, env, address);
  if (managed) return { principal: managed, digest };
  throw unauthorized(
    configured.admin === null
      ? 'Invalid token. No API_TOKEN is configured on this Worker, so writes are disabled.'
      : 'Invalid token.',
  );
}

/**
 * The managed key this token is, or null; throws 401 when it (or a key that created it) has
 * expired, 429 when this client address has sent too many tokens the isolate does not know,
 * 503 when the store fails. Only a token of the managed form (`esk_<id>_<secret>`, both parts
 * well-formed ids) is looked up, and an id not cached counts against the address's own rate
 * limit before it reaches the store: forged ids cannot hammer the key store.
 */
async function managedKey(token: string, digest: Uint8Array, env: Partial<Bindings>, address: string): Promise<Principal | null> {
  const id = keyIdOf(token);
  if (id === null || !env.KEYS) return null;
  let record = cachedKey(id);
  if (record === undefined) {
    await enforceRateLimit(env, `lookup:${address}`, 'This client address has sent more managed keys this Worker had not seen than its rate limit allows');
    record = await refreshKey({ KEYS: env.KEYS }, id);
  }
  if (record === null || !constantTimeEqual(digest, fromHex(record.digest))) return null;
  checkExpiry(record);
  return { keyId: record.id, name: record.name, scopes: record.scopes, models: record.models, expiresAt: record.expiresAt };
}

/** Throws 401 when the key, or a key that created it, has expired. */
function checkExpiry(record: LookedUpKey): void {
  if (record.expiresAt === null || Date.parse(record.expiresAt) > Date.now()) return;
  throw unauthorized(
    record.expiryOf === record.id
      ? `This key expired at ${record.expiresAt}.`
      : `This key stopped working at ${record.expiresAt}, when the key that created it (${record.expiryOf}) expired.`,
  );
}

/** The client's address as Cloudflare gives it (`cf-connecting-ip`); "unknown" where there is none (tests, local). */
function clientAddress(c: Context<AppEnv>): string {
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}

/**
 * Whether the request's key still works, asked of the key store itself (not the isolate's cache):
 * an open event stream calls it every KEY_CACHE_MS and closes when it answers false (revoked, a
 * creator revoked, expired, or the store failing: closed rather than open on a key it cannot check).
 * The bootstrap keys change only with a redeploy, which ends every stream anyway.
 */
export async function stillAuthorized(c: Context<AppEnv>): Promise<boolean> {
  const principal = c.var.principal;
  if (principal.keyId === API_TOKEN_ID || principal.keyId === ENCODE_TOKENS_ID) return true;
  if (!c.env.KEYS) return false;
  try {
    const record = await refreshKey({ KEYS: c.env.KEYS }, principal.keyId);
    if (record === null) return false;
    checkExpiry(record);
    return true;
  } catch {
    return false;
  }
}

/** Seconds a refused caller should wait: the limiter's period. */
const RETRY_AFTER_SECONDS = String(RATE_LIMIT_PERIOD_SECONDS);

/**
 * Counts the request against a limit of wrangler.toml's `[[ratelimits]]` RATE_LIMITER (its
 * token's, or for a key id this isolate has no answer for, its client address's); 429 when over it. Without the binding there is no limit. If the limiter itself fails, the
 * request is allowed (and logged): an outage of the limiter must not take the API down.
 */
async function enforceRateLimit(env: Partial<Bindings>, key: string, who: string): Promise<void> {
  const limiter = env.RATE_LIMITER;
  if (!limiter) return;
  let success: boolean;
  try {
    ({ success } = await limiter.limit({ key }));
  } catch (error) {
    console.warn('edge-sae: the rate limiter failed; request allowed', error);
    return;
  }
  if (!success) {
    throw new ApiError(429, {
      type: 'rate-limited',
      title: 'Too Many Requests',
      detail: `${who}; retry after ${RETRY_AFTER_SECONDS} seconds.`,
      headers: { 'retry-after': RETRY_AFTER_SECONDS },
    });
  }
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
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

/** Equal-length byte arrays compared without an early exit. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
