/**
 * The key store and the audit trail: one Durable Object (SQLite-backed) for the whole Worker.
 * Why a Durable Object: a revocation must be seen by the next lookup anywhere, and a key must be
 * usable as soon as POST /v1/keys answered; one object's storage is strongly consistent (every
 * read sees every write before it), which KV (eventually consistent, ~60 s) is not. D1 would do
 * too, but needs a database created outside wrangler.toml; this needs only a migration. Lookups
 * are cached per isolate for KEY_CACHE_MS (./lookup.ts), so the store sees at most one lookup
 * per key and isolate in that time, not one per request.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.js';
import { ApiError } from '../problem.js';
import type { AuditEntry, AuditInput, KeyRecord, KeyView } from './record.js';

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

interface AuditRow extends Record<string, SqlStorageValue> {
  seq: number;
  at: string;
  key_id: string;
  key_name: string;
  action: string;
  path: string;
  target: string | null;
  status: number;
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

function entryOf(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    keyId: row.key_id,
    keyName: row.key_name,
    action: row.action,
    path: row.path,
    target: row.target,
    status: row.status,
  };
}

export class KeyStore extends DurableObject<Bindings> {
  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS keys (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, digest TEXT NOT NULL, scopes TEXT NOT NULL, models TEXT,
      created_at TEXT NOT NULL, expires_at TEXT, last_used_at TEXT, created_by TEXT NOT NULL)`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, key_id TEXT NOT NULL, key_name TEXT NOT NULL,
      action TEXT NOT NULL, path TEXT NOT NULL, target TEXT, status INTEGER NOT NULL)`);
  }

  /** Stores a new key (its digest only). */
  create(record: KeyRecord): KeyView {
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
    return viewOf({ ...record, lastUsedAt: null });
  }

  /** The key with this id (digest included, for the caller to compare), noting it as used; null when there is none. */
  lookup(id: string): KeyRecord | null {
    const row = this.ctx.storage.sql.exec<KeyRow>('SELECT * FROM keys WHERE id = ?', id).toArray()[0];
    if (!row) return null;
    const now = new Date().toISOString();
    this.ctx.storage.sql.exec('UPDATE keys SET last_used_at = ? WHERE id = ?', now, id);
    return recordOf({ ...row, last_used_at: now });
  }

  /** Every key, oldest first, without digests. */
  list(): KeyView[] {
    return this.ctx.storage.sql
      .exec<KeyRow>('SELECT * FROM keys ORDER BY created_at, id')
      .toArray()
      .map((row) => viewOf(recordOf(row)));
  }

  /** Deletes the key; false when there was none. */
  revoke(id: string): boolean {
    return this.ctx.storage.sql.exec('DELETE FROM keys WHERE id = ?', id).rowsWritten > 0;
  }

  /** Appends one entry to the audit trail. */
  audit(entry: AuditInput): void {
    this.ctx.storage.sql.exec(
      'INSERT INTO audit (at, key_id, key_name, action, path, target, status) VALUES (?, ?, ?, ?, ?, ?, ?)',
      entry.at,
      entry.keyId,
      entry.keyName,
      entry.action,
      entry.path,
      entry.target,
      entry.status,
    );
  }

  /** Up to `limit` entries, newest first, before position `before` (exclusive; null = from the newest). */
  auditPage(limit: number, before: number | null): AuditEntry[] {
    const rows =
      before === null
        ? this.ctx.storage.sql.exec<AuditRow>('SELECT * FROM audit ORDER BY seq DESC LIMIT ?', limit)
        : this.ctx.storage.sql.exec<AuditRow>('SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?', before, limit);
    return rows.toArray().map(entryOf);
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
