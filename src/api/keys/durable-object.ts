/**
 * The key store: one Durable Object (SQLite-backed) for the whole Worker.
 * Why a Durable Object: a revocation must be seen by the next lookup anywhere, and a key must be
 * usable as soon as POST /v1/keys answered; one object's storage is strongly consistent (every
 * read sees every write before it), which KV (eventually consistent, ~60 s) is not. D1 would do
 * too, but needs a database created outside wrangler.toml; this needs only a migration. Lookups
 * are cached per isolate for KEY_CACHE_MS (./lookup.ts), so the store sees at most one lookup
 * per key and isolate in that time, not one per request. The audit trail has its own object
 * (../audit/durable-object.ts), so it never queues in front of a lookup.
 *
 * Delegation (docs/API.md, Keys): a key acts only on keys within it (scopes and models); revoking
 * a key revokes every key it created, transitively; a lookup answers the earliest expiry of the
 * key and its creators, and no key at all when a creator is gone.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.js';
import { ApiError } from '../problem.js';
import { isId } from '../storage-keys.js';
import type { KeyHolder, KeyRecord, KeyView, LookedUpKey } from './record.js';

interface KeyRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  digest: string;
  scopes: string;
  models: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  created_by: string;
}

function recordOf(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    digest: row.digest,
    scopes: JSON.parse(row.scopes) as KeyRecord['scopes'],
    models: row.models === null ? null : (JSON.parse(row.models) as string[]),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    createdBy: row.created_by,
  };
}

function viewOf({ digest: _digest, ...view }: KeyRecord): KeyView {
  return view;
}

/** Why `key` is not within `holder` (a scope or a model it has beyond), or null when it is. */
export function beyondHolder(holder: KeyHolder, key: Pick<KeyView, 'scopes' | 'models'>): string | null {
  const scopes = key.scopes.filter((scope) => !holder.scopes.includes(scope));
  if (scopes.length > 0) return `it holds scopes this key does not: ${scopes.join(', ')}`;
  if (holder.models === null) return null;
  if (key.models === null) return 'it may use every model, and this key is limited to some';
  const models = key.models.filter((id) => !holder.models!.includes(id));
  return models.length > 0 ? `it may use models this key may not: ${models.join(', ')}` : null;
}

/** Deepest chain of creators a lookup follows (a chain is at most MAX_KEYS long; this guards a corrupt loop). */
const MAX_CHAIN = 1_000;

/** A row of the audit table versions before v6 kept in this object. */
export interface LegacyAuditRow extends Record<string, SqlStorageValue> {
  seq: number;
  at: string;
  keyId: string;
  keyName: string;
  action: string;
  path: string;
  target: string | null;
  status: number;
}

/** A create's outcome: the key, or null when `count` keys are stored already (MAX_KEYS). One shape, not a union: RPC stubs type unions badly. */
export interface CreateResult {
  created: KeyView | null;
  count: number;
}
/** A revocation's outcome: the ids revoked (the key and all it created), or why not. */
export interface RevokeResult {
  outcome: 'revoked' | 'not-found' | 'forbidden';
  revoked: string[];
  /** Why the key is beyond the caller (outcome forbidden). */
  reason: string | null;
}
export interface KeyPage {
  keys: KeyView[];
  cursor: string | null;
}

export class KeyStore extends DurableObject<Bindings> {
  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS keys (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, digest TEXT NOT NULL, scopes TEXT NOT NULL, models TEXT,
      created_at TEXT NOT NULL, expires_at TEXT, last_used_at TEXT, created_by TEXT NOT NULL)`);
    ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS keys_created_by ON keys (created_by)');
  }

  /** Stores a new key (its digest only), unless `maxKeys` are stored already. */
  create(record: KeyRecord, maxKeys: number): CreateResult {
    const count = this.ctx.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM keys').one().n;
    if (count >= maxKeys) return { created: null, count };
    this.ctx.storage.sql.exec(
      'INSERT INTO keys (id, name, digest, scopes, models, created_at, expires_at, last_used_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)',
      record.id,
      record.name,
      record.digest,
      JSON.stringify(record.scopes),
      record.models === null ? null : JSON.stringify(record.models),
      record.createdAt,
      record.expiresAt,
      record.createdBy,
    );
    return { created: viewOf({ ...record, lastUsedAt: null }), count: count + 1 };
  }

  /**
   * The key with this id (digest included, for the caller to compare), noting it as used, with
   * the earliest expiry of it and its creators; null when there is none, or when one of its
   * creators is gone (revoked before revocation reached what they made).
   */
  lookup(id: string): LookedUpKey | null {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<KeyRow>('SELECT * FROM keys WHERE id = ?', id).toArray()[0];
    if (!row) return null;
    let expiresAt = row.expires_at;
    let expiryOf = row.id;
    let creator = row.created_by;
    for (let depth = 0; isId(creator); depth++) {
      const parent = sql.exec<{ id: string; expires_at: string | null; created_by: string }>('SELECT id, expires_at, created_by FROM keys WHERE id = ?', creator).toArray()[0];
      if (!parent || depth >= MAX_CHAIN) return null;
      if (parent.expires_at !== null && (expiresAt === null || parent.expires_at < expiresAt)) {
        expiresAt = parent.expires_at;
        expiryOf = parent.id;
      }
      creator = parent.created_by;
    }
    const now = new Date().toISOString();
    sql.exec('UPDATE keys SET last_used_at = ? WHERE id = ?', now, id);
    return { ...recordOf({ ...row, last_used_at: now }), expiresAt, expiryOf };
  }

  /** Up to `limit` keys within `holder`, oldest first, after position `after` (a cursor of this listing; null = from the oldest). */
  list(holder: KeyHolder, limit: number, after: number | null): KeyPage {
    const keys: KeyView[] = [];
    let last = 0;
    for (const row of this.ctx.storage.sql.exec<KeyRow & { pos: number }>('SELECT rowid AS pos, * FROM keys WHERE rowid > ? ORDER BY rowid', after ?? 0)) {
      const view = viewOf(recordOf(row));
      if (beyondHolder(holder, view) !== null) continue;
      if (keys.length === limit) return { keys, cursor: String(last) };
      keys.push(view);
      last = row.pos;
    }
    return { keys, cursor: null };
  }

  /**
   * Up to `limit` entries of the audit trail versions before v6 kept here (table `audit`), after
   * position `after`, oldest first, each text field cut to the new bounds in the query (a legacy
   * row may hold a 60 KB path); none when there is no such table. For AuditTrail's one-time move.
   */
  takeLegacyAudit(after: number, limit: number): LegacyAuditRow[] {
    const sql = this.ctx.storage.sql;
    if (sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit'").toArray().length === 0) return [];
    return sql
      .exec<LegacyAuditRow>(
        'SELECT seq, at, substr(key_id, 1, 64) AS keyId, substr(key_name, 1, 200) AS keyName, substr(action, 1, 200) AS action, substr(path, 1, 301) AS path, substr(target, 1, 65) AS target, status FROM audit WHERE seq > ? ORDER BY seq LIMIT ?',
        after,
        limit,
      )
      .toArray();
  }

  /** Drops the legacy audit table once AuditTrail has moved every row. */
  dropLegacyAudit(): void {
    this.ctx.storage.sql.exec('DROP TABLE IF EXISTS audit');
  }

  /** Revokes the key and every key it created, transitively, if the key is within `holder`. */
  revoke(id: string, holder: KeyHolder): RevokeResult {
    const sql = this.ctx.storage.sql;
    const row = sql.exec<KeyRow>('SELECT * FROM keys WHERE id = ?', id).toArray()[0];
    if (!row) return { outcome: 'not-found', revoked: [], reason: null };
    const beyond = beyondHolder(holder, recordOf(row));
    if (beyond !== null) return { outcome: 'forbidden', revoked: [], reason: beyond };
    const ids = sql
      .exec<{ id: string }>('WITH RECURSIVE tree(id) AS (SELECT ? UNION SELECT keys.id FROM keys JOIN tree ON keys.created_by = tree.id) SELECT id FROM tree', id)
      .toArray()
      .map((r) => r.id);
    for (const each of ids) sql.exec('DELETE FROM keys WHERE id = ?', each);
    return { outcome: 'revoked', revoked: ids, reason: null };
  }
}

/** The one store's stub (binding KEYS in wrangler.toml). */
export function keyStore(env: Pick<Bindings, 'KEYS'>): DurableObjectStub<KeyStore> {
  return env.KEYS.get(env.KEYS.idFromName('keys'));
}

/** Runs one call of the key store; its failure is a 503 `storage-unavailable` (and logged). */
export async function withKeyStore<T>(env: Pick<Bindings, 'KEYS'>, what: string, call: (store: DurableObjectStub<KeyStore>) => Promise<T>): Promise<T> {
  try {
    return await call(keyStore(env));
  } catch (error) {
    console.error(`edge-sae: the key store failed while ${what}`, error);
    throw new ApiError(503, {
      type: 'storage-unavailable',
      title: 'Service Unavailable',
      detail: `The key store failed while ${what}. Retry later.`,
      headers: { 'retry-after': '1' },
    });
  }
}
