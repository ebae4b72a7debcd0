/**
 * What the key store keeps: a key (its secret's SHA-256, never the secret) and an audit entry.
 * Shared by the Durable Object (./durable-object.ts), the lookup cache and the routes.
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

/** One write, as the audit trail records it. */
export interface AuditEntry {
  /** Position in the trail (increasing). */
  seq: number;
  at: string;
  /** The key that sent it: a managed key's id, or `API_TOKEN` / `ENCODE_TOKENS` for the bootstrap keys. */
  keyId: string;
  keyName: string;
  /** The route, e.g. `POST /v1/models/:id/train`. */
  action: string;
  /** The path as sent. */
  path: string;
  /** The id the write was about: the one in the path, or the one it created. */
  target: string | null;
  /** The HTTP status it was answered. */
  status: number;
}

export type AuditInput = Omit<AuditEntry, 'seq'>;
