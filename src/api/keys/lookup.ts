/**
 * Key lookups with a short per-isolate cache, so the warm path (encode) does not call the key
 * store on every request. A cached answer (the key, or "no such key") is used for at most
 * KEY_CACHE_MS; so a key revoked in one isolate is refused by every other within that bound
 * (docs/API.md, Keys), and at once by the isolate that revoked it (`forgetKey`). Expiry needs no
 * lookup: the cached record carries `expiresAt`, checked on every request.
 *
 * The cache holds results, never promises: workerd does not let one request wait on a promise
 * another request created. It is bounded (KEY_CACHE_ENTRIES, oldest evicted first), so forged
 * key ids cannot grow it without end.
 */
import type { Bindings } from '../env.js';
import { KEY_CACHE_MS } from '../limits.js';
import { withKeyStore } from './durable-object.js';
import type { KeyRecord } from './record.js';

export { KEY_CACHE_MS };
const KEY_CACHE_ENTRIES = 1_000;

const cache = new Map<string, { record: KeyRecord | null; at: number }>();

/** The stored key with this id, or null; from the cache when the entry is younger than KEY_CACHE_MS. 503 when the store fails. */
export async function lookupKey(env: Pick<Bindings, 'KEYS'>, id: string): Promise<KeyRecord | null> {
  const now = Date.now();
  const hit = cache.get(id);
  if (hit && now - hit.at < KEY_CACHE_MS) return hit.record;
  const record = await withKeyStore(env, 'checking a key', (store) => store.lookup(id));
  cache.delete(id);
  cache.set(id, { record, at: now });
  if (cache.size > KEY_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return record;
}

/** Drops a key from this isolate's cache (after revoking it here). */
export function forgetKey(id: string): void {
  cache.delete(id);
}
