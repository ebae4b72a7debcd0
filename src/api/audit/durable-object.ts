/**
 * The audit trail: one Durable Object (SQLite-backed, binding AUDIT) for the Worker, apart from
 * the key store (KEYS), so writing and paging the trail never queues in front of a key lookup.
 *
 * Bounded three ways (docs/API.md, The audit trail):
 * - each entry's fields are bounded by ./record.ts (and again here, for what older versions stored);
 * - refused writes (403) of one key on one route within AUDIT_FOLD_SECONDS are one entry with a
 *   count, so a read-only credential sending writes adds one row a window per route, not one a request;
 * - retention: entries older than AUDIT_RETENTION_DAYS, and all but the newest AUDIT_MAX_ENTRIES,
 *   are pruned as entries arrive (both deletes use an index, so a trail with nothing to prune costs a seek).
 *
 * Versions before v6 kept the trail in KeyStore's own table; this object moves it here once, a
 * batch an alarm (`importLegacy`), bounded as new entries are, then drops it there.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env.js';
import { readLimits, type Limits } from '../limits.js';
import { keyStore } from '../keys/durable-object.js';
import { ApiError } from '../problem.js';
import { isId } from '../storage-keys.js';
import { AUDIT_FIELD_MAX, type AuditEntry, type AuditInput } from './entry.js';

/** The bounds of the trail (limits.ts: AUDIT_FOLD_SECONDS, AUDIT_MAX_ENTRIES, AUDIT_RETENTION_DAYS). */
export type AuditPolicy = Pick<Limits, 'auditFoldSeconds' | 'auditMaxEntries' | 'auditRetentionDays'>;

interface AuditRow extends Record<string, SqlStorageValue> {
  seq: number;
  at: string;
  last_at: string;
  count: number;
  key_id: string;
  key_name: string;
  action: string;
  path: string;
  target: string | null;
  model: string | null;
  status: number;
}

/** Where the numbering of entries written by this object starts: above any legacy entry's. */
export const LEGACY_SEQ_FLOOR = 1_000_000_000;
/** Legacy entries moved per alarm. */
const LEGACY_BATCH = 1_000;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

function entryOf(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    lastAt: row.last_at,
    count: row.count,
    keyId: clip(row.key_id, AUDIT_FIELD_MAX.keyId),
    keyName: clip(row.key_name, AUDIT_FIELD_MAX.keyName),
    action: clip(row.action, AUDIT_FIELD_MAX.action),
    path: clip(row.path, AUDIT_FIELD_MAX.path),
    target: row.target === null ? null : clip(row.target, AUDIT_FIELD_MAX.target),
    model: row.model,
    status: row.status,
  };
}

export class AuditTrail extends DurableObject<Bindings> {
  /** Entries stored: counted once when the object starts, then kept up to date, so pruning by count needs no scan. */
  private count: number;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS audit (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, last_at TEXT NOT NULL, count INTEGER NOT NULL,
      key_id TEXT NOT NULL, key_name TEXT NOT NULL, action TEXT NOT NULL, path TEXT NOT NULL, target TEXT,
      model TEXT, status INTEGER NOT NULL)`);
    ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS audit_at ON audit (at)');
    ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS audit_model ON audit (model, seq)');
    ctx.storage.sql.exec('CREATE INDEX IF NOT EXISTS audit_refused ON audit (key_id, action, status, seq)');
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)');
    if (this.meta('legacy-after') === null) {
      // New entries are numbered from LEGACY_SEQ_FLOOR on, so the entries moved from KeyStore keep
      // their own (smaller) numbers, stay older in the order, and cursors stay valid.
      ctx.storage.sql.exec('INSERT INTO audit (seq, at, last_at, count, key_id, key_name, action, path, status) VALUES (?, ?, ?, 1, ?, ?, ?, ?, 0)', LEGACY_SEQ_FLOOR, '', '', '', '', '', '');
      ctx.storage.sql.exec('DELETE FROM audit WHERE seq = ?', LEGACY_SEQ_FLOOR);
      this.setMeta('legacy-after', '0');
    }
    this.count = ctx.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM audit').one().n;
    if (this.meta('legacy-done') === null) void ctx.blockConcurrencyWhile(() => ctx.storage.setAlarm(Date.now()));
  }

  /** Deletes entries older than the retention, then the oldest beyond the count; both by index. */
  private prune(policy: AuditPolicy): void {
    const sql = this.ctx.storage.sql;
    const cutoff = new Date(Date.now() - policy.auditRetentionDays * 86_400_000).toISOString();
    this.count -= sql.exec('DELETE FROM audit WHERE at < ? RETURNING seq', cutoff).toArray().length;
    const over = this.count - Math.floor(policy.auditMaxEntries);
    if (over > 0) this.count -= sql.exec('DELETE FROM audit WHERE seq IN (SELECT seq FROM audit ORDER BY seq LIMIT ?) RETURNING seq', over).toArray().length;
  }

  private meta(name: string): string | null {
    return this.ctx.storage.sql.exec<{ value: string }>('SELECT value FROM meta WHERE name = ?', name).toArray()[0]?.value ?? null;
  }

  private setMeta(name: string, value: string): void {
    this.ctx.storage.sql.exec('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value', name, value);
  }

  /** Moves the trail of versions before v6 out of KeyStore, a batch an alarm, then drops it there. */
  override async alarm(): Promise<void> {
    if ((await this.importLegacy(LEGACY_BATCH)) === LEGACY_BATCH) await this.ctx.storage.setAlarm(Date.now());
  }

  /**
   * Moves up to `batch` entries of the legacy trail (KeyStore's `audit` table) here, bounded as
   * new ones are: a path that is not plain becomes its route's template, a target that is not an
   * id becomes null. Returns how many it moved; fewer than `batch` means done.
   */
  async importLegacy(batch: number, policy: AuditPolicy = readLimits(this.env)): Promise<number> {
    if (this.meta('legacy-done') !== null) return 0;
    const after = Number(this.meta('legacy-after') ?? '0');
    const rows = await keyStore(this.env).takeLegacyAudit(after, batch);
    for (const row of rows) {
      const route = row.action.replace(/^[A-Z]+ /, '');
      const path = /^[A-Za-z0-9_\-/:]{1,300}$/.test(row.path) ? row.path : clip(route, AUDIT_FIELD_MAX.path);
      const target = row.target !== null && isId(row.target) ? row.target : null;
      const model = /^\/v1\/models\/:id(\/|$)/.test(route) ? target : null;
      this.count += this.ctx.storage.sql.exec(
        'INSERT OR IGNORE INTO audit (seq, at, last_at, count, key_id, key_name, action, path, target, model, status) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?) RETURNING seq',
        row.seq,
        row.at,
        row.at,
        row.keyId,
        row.keyName,
        row.action,
        path,
        target,
        model,
        row.status,
      ).toArray().length;
    }
    this.prune(policy);
    if (rows.length > 0) this.setMeta('legacy-after', String(rows[rows.length - 1]!.seq));
    if (rows.length < batch) {
      await keyStore(this.env).dropLegacyAudit();
      this.setMeta('legacy-done', new Date().toISOString());
    }
    return rows.length;
  }

  /**
   * Appends one entry (or counts a refused write into the open entry of its key and route), then
   * prunes. The bounds come from the calling Worker's vars (AUDIT_*), so they are the ones the
   * request ran under.
   */
  record(entry: AuditInput, policy: AuditPolicy): void {
    const sql = this.ctx.storage.sql;
    if (entry.status === 403) {
      const since = new Date(Date.parse(entry.at) - policy.auditFoldSeconds * 1000).toISOString();
      // The newest such entry only (one index seek), then its age: a filter on `at` in the query
      // would walk every older refusal of the key when the newest is too old.
      const open = sql
        .exec<{ seq: number; at: string; path: string; target: string | null; model: string | null }>(
          'SELECT seq, at, path, target, model FROM audit WHERE key_id = ? AND action = ? AND status = 403 ORDER BY seq DESC LIMIT 1',
          entry.keyId,
          entry.action,
        )
        .toArray()[0];
      if (open && open.at >= since) {
        // Requests on other ids than the first: the entry names the route, not one of them.
        const template = entry.action.replace(/^[A-Z]+ /, '');
        sql.exec(
          'UPDATE audit SET count = count + 1, last_at = ?, path = ?, target = ?, model = ? WHERE seq = ?',
          entry.at,
          open.path === entry.path ? open.path : template,
          open.target === entry.target ? open.target : null,
          open.model === entry.model ? open.model : null,
          open.seq,
        );
        return;
      }
    }
    sql.exec(
      'INSERT INTO audit (at, last_at, count, key_id, key_name, action, path, target, model, status) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)',
      entry.at,
      entry.at,
      clip(entry.keyId, AUDIT_FIELD_MAX.keyId),
      clip(entry.keyName, AUDIT_FIELD_MAX.keyName),
      clip(entry.action, AUDIT_FIELD_MAX.action),
      clip(entry.path, AUDIT_FIELD_MAX.path),
      entry.target === null ? null : clip(entry.target, AUDIT_FIELD_MAX.target),
      entry.model === null ? null : clip(entry.model, AUDIT_FIELD_MAX.model),
      entry.status,
    );
    this.count++;
    this.prune(policy);
  }

  /**
   * Up to `limit` entries, newest first, before position `before` (exclusive; null = from the
   * newest); with `models`, only the entries about one of those models.
   */
  page(limit: number, before: number | null, models: readonly string[] | null): AuditEntry[] {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (before !== null) {
      where.push('seq < ?');
      args.push(before);
    }
    if (models !== null) {
      where.push(`model IN (${models.map(() => '?').join(', ')})`);
      args.push(...models);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    return this.ctx.storage.sql
      .exec<AuditRow>(`SELECT * FROM audit ${clause} ORDER BY seq DESC LIMIT ?`, ...args, limit)
      .toArray()
      .map(entryOf);
  }
}

/** The one trail's stub (binding AUDIT in wrangler.toml). */
export function auditTrail(env: Pick<Bindings, 'AUDIT'>): DurableObjectStub<AuditTrail> {
  return env.AUDIT.get(env.AUDIT.idFromName('audit'));
}

/** Reads a page of the trail; a failure is a 503 `storage-unavailable` (and logged). */
export async function readAuditPage(env: Pick<Bindings, 'AUDIT'>, limit: number, before: number | null, models: readonly string[] | null): Promise<AuditEntry[]> {
  try {
    return await auditTrail(env).page(limit, before, models);
  } catch (error) {
    console.error('edge-sae: the audit trail failed while reading a page', error);
    throw new ApiError(503, {
      type: 'storage-unavailable',
      title: 'Service Unavailable',
      detail: 'The audit trail failed while reading a page. Retry later.',
      headers: { 'retry-after': '1' },
    });
  }
}
