/**
 * What the key store keeps: a key (its secret's SHA-256, never the secret). Shared by the Durable
 * Object (./durable-object.ts), the lookup cache and the routes. (The audit trail: ../audit/entry.ts.)
 */
import type { Scope } from '../scopes.js';

/** A managed key as stored and listed (no secret, no digest). */
export interface KeyView {
  id: string;
  name: string;
  scopes: Scope[];
  /** The model ids it is limited to; null = every model. */
  models: string[] | null;
  createdAt: string;
  /** When it stops working; null = never. */
  expiresAt: string | null;
  /** The last time a lookup of it reached the store: accurate to KEY_CACHE_MS (./lookup.ts). */
  lastUsedAt: string | null;
  /** The key that created it. */
  createdBy: string;
}

/** A key with its secret's digest (hex), as the store holds it. */
export interface KeyRecord extends KeyView {
  digest: string;
}

/**
 * A key as a lookup answers it: its `expiresAt` is the earliest of its own and its creators'
 * (a key stops working when the key that made it expires), and `expiryOf` names whose it is.
 */
export interface LookedUpKey extends KeyRecord {
  /** The id of the key whose expiry `expiresAt` is: its own id, or a creator's. */
  expiryOf: string;
}

/** Who asks the key store to list or revoke: what the asking key holds (a key acts only on keys within it). */
export interface KeyHolder {
  scopes: readonly Scope[];
  models: readonly string[] | null;
}
