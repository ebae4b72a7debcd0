/**
 * Key lookups with a short per-isolate cache, so the warm path (encode) does not call the key
 * store on every request. A cached answer (the key, or "no such key") is used for at most
 * KEY_CACHE_MS; so a key revoked in one isolate is refused by every other within that bound
 * (docs/API.md, Keys), and at once by the isolate that revoked it (`forgetKey`). Expiry needs no
 * lookup: the cached record carries `expiresAt` (its own or a creator's, the earlier), checked on
 * every request.
 *
 * The cache holds results, never promises: workerd does not let one request wait on a promise
 * another request created. Keys found and ids not found are kept apart, each bounded (oldest
 * evicted first): forged ids fill only the small cache of misses (MISSING_ENTRIES), never push
 * real keys out of theirs (KEY_CACHE_ENTRIES). Whether a lookup may reach the store at all is
 * auth.ts's business (a rate limit per client address before any uncached lookup).
 */
import type { Bindings } from '../env.js';
import { KEY_CACHE_MS } from '../limits.js';
import { withKeyStore } from './durable-object.js';
import type { LookedUpKey } from './record.js';

export { KEY_CACHE_MS };
/** Keys found, kept per isolate. */
export const KEY_CACHE_ENTRIES = 1_000;
/** Ids not found, kept per isolate: enough for a client retrying a mistyped key, too few to matter when forged ids flood in. */
export const MISSING_ENTRIES = 256;

const found = new Map<string, { record: LookedUpKey; at: number }>();
const missing = new Map<string, number>();

function remember<V>(map: Map<string, V>, id: string, value: V, max: number): void {
  map.delete(id);
  map.set(id, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

/** The cached answer for this id: the key, null (known missing), or undefined when nothing fresh is cached. */
export function cachedKey(id: string, now = Date.now()): LookedUpKey | null | undefined {
  const hit = found.get(id);
  if (hit && now - hit.at < KEY_CACHE_MS) return hit.record;
  const miss = missing.get(id);
  if (miss !== undefined && now - miss < KEY_CACHE_MS) return null;
  return undefined;
}

/** The stored key with this id, or null: from the cache when fresh, else from the store (and cached). 503 when the store fails. */
export async function lookupKey(env: Pick<Bindings, 'KEYS'>, id: string): Promise<LookedUpKey | null> {
  const cached = cachedKey(id);
  return cached !== undefined ? cached : refreshKey(env, id);
}

/** The stored key with this id, or null, from the store whatever the cache holds (an open event stream's re-check); caches the answer. */
export async function refreshKey(env: Pick<Bindings, 'KEYS'>, id: string): Promise<LookedUpKey | null> {
  const now = Date.now();
  const record = await withKeyStore(env, 'checking a key', (store) => store.lookup(id));
  if (record === null) {
    found.delete(id);
    remember(missing, id, now, MISSING_ENTRIES);
  } else {
    missing.delete(id);
    remember(found, id, { record, at: now }, KEY_CACHE_ENTRIES);
  }
  return record;
}

/** Drops a key from this isolate's cache (after revoking it here). */
export function forgetKey(id: string): void {
  found.delete(id);
  missing.delete(id);
}

/** How many answers this isolate holds, found and missing (for tests and the docs' bounds). */
export function keyCacheSizes(): { found: number; missing: number } {
  return { found: found.size, missing: missing.size };
}
