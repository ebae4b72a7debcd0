/**
 * The audit trail's bounds (issue 24, item 4): what one entry can hold whatever the request
 * (a 60 KB path), refused writes of a read-only credential counted per window instead of one
 * entry each, retention by count and by age (the AUDIT_* vars), pages bounded in bytes, and the
 * trail in its own Durable Object (AUDIT), apart from the key store every lookup needs.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { auditTrail, LEGACY_SEQ_FLOOR, type AuditTrail } from '../../src/api/audit/durable-object.js';
import { keyStore, KeyStore } from '../../src/api/keys/durable-object.js';
import { newId } from '../../src/api/storage-keys.js';
import { ENCODE, request, trainModel, TRAINING_DATA, type CallOptions } from './helpers.js';

interface Entry {
  seq: number;
  at: string;
  lastAt: string;
  count: number;
  keyId: string;
  action: string;
  path: string;
  target: string | null;
  model: string | null;
  status: number;
}

const send = (path: string, options: CallOptions = {}, bindings: Record<string, unknown> = {}) =>
  app.request(request(path, options), undefined, { ...env, RATE_LIMITER: undefined, ...bindings });

async function newest(limit: number, bindings: Record<string, unknown> = {}): Promise<{ entries: Entry[]; bytes: number }> {
  const res = await send(`/v1/audit?limit=${limit}`, {}, bindings);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { entries: (JSON.parse(text) as { entries: Entry[] }).entries, bytes: new TextEncoder().encode(text).length };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('the audit trail is bounded', () => {
  it('should keep a 60 KB path and an arbitrary id out of the entry: the route template, no target', async () => {
    const long = 'x'.repeat(60_000);
    const res = await send(`/v1/models/${long}/train`, { json: { data: TRAINING_DATA } });
    expect(res.status).toBe(404);
    const [entry] = (await newest(1)).entries;
    expect(entry).toMatchObject({ action: 'POST /v1/models/:id/train', path: '/v1/models/:id/train', target: null, model: null, status: 404 });
    // A well-formed id is kept, in the path and as the target.
    const id = newId();
    await send(`/v1/models/${id}`, { method: 'DELETE' });
    expect((await newest(1)).entries[0]).toMatchObject({ path: `/v1/models/${id}`, target: id, model: id, status: 404 });
  });

  it('should count the refused writes of ENCODE_TOKENS in one entry a window, and keep a page of 100 under 64 KB', async () => {
    const model = (await trainModel()).id;
    const before = (await newest(1)).entries[0]!.seq;
    for (let i = 0; i < 200; i++) {
      const res = await send(`/v1/models/${i % 2 === 0 ? model : 'y'.repeat(60_000)}/train`, { token: ENCODE, json: { data: TRAINING_DATA } });
      expect(res.status).toBe(403);
    }
    const { entries, bytes } = await newest(100);
    const fresh = entries.filter((e) => e.seq > before);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ keyId: 'ENCODE_TOKENS', action: 'POST /v1/models/:id/train', count: 200, status: 403 });
    // The first was on the model; later ones on other "ids": the entry names the route, not one of them.
    expect(fresh[0]!.path).toBe('/v1/models/:id/train');
    expect(fresh[0]!.target).toBeNull();
    expect(Date.parse(fresh[0]!.lastAt)).toBeGreaterThanOrEqual(Date.parse(fresh[0]!.at));
    expect(bytes).toBeLessThan(64 * 1024);
    // After the window, a new entry starts.
    await sleep(1_100);
    await send(`/v1/models/${model}/train`, { token: ENCODE, json: { data: TRAINING_DATA } }, { AUDIT_FOLD_SECONDS: '1' });
    const [next] = (await newest(1)).entries;
    expect(next).toMatchObject({ keyId: 'ENCODE_TOKENS', count: 1, path: `/v1/models/${model}/train`, target: model, model });
  }, 60_000);

  it('should prune all but the newest AUDIT_MAX_ENTRIES, and entries older than AUDIT_RETENTION_DAYS', async () => {
    const ids = Array.from({ length: 5 }, () => newId());
    for (const id of ids) await send(`/v1/datasets/${id}`, { method: 'DELETE' }, { AUDIT_MAX_ENTRIES: '3' });
    const all = await newest(100);
    expect(all.entries).toHaveLength(3);
    expect(all.entries.map((e) => e.target)).toEqual(ids.slice(2).reverse());
    // 1 s of retention (in days): an entry older than that is pruned by the next write.
    const oneSecond = String(1 / 86_400);
    await sleep(1_100);
    await send(`/v1/datasets/${newId()}`, { method: 'DELETE' }, { AUDIT_RETENTION_DAYS: oneSecond });
    expect((await newest(100)).entries).toHaveLength(1);
  });

  it('should live in its own Durable Object: the key store keeps no trail, and a failing trail leaves keys alone', async () => {
    expect('audit' in KeyStore.prototype).toBe(false);
    expect('auditPage' in KeyStore.prototype).toBe(false);
    const id = newId();
    await send(`/v1/datasets/${id}`, { method: 'DELETE' });
    expect((await auditTrail(env).page(1, null, null))[0]).toMatchObject({ target: id });
    const created = await send('/v1/keys', { json: { name: 'audit-apart', scopes: ['datasets:write'] } });
    const key = (await created.json()) as { secret: string };
    const failing = { AUDIT: { idFromName: () => ({}), get: () => ({ record: () => Promise.reject(new Error('trail down')) }) } };
    const res = await send(`/v1/datasets/${newId()}`, { method: 'DELETE', token: key.secret }, failing);
    expect(res.status).toBe(404);
    const down = await send('/v1/audit', {}, { AUDIT: { idFromName: () => ({}), get: () => ({ page: () => Promise.reject(new Error('trail down')) }) } });
    expect(down.status).toBe(503);
  });
});

describe('the trail of versions before its own object', () => {
  it('should move KeyStore\'s legacy audit table here once, bounded, older than every new entry, and drop it there', async () => {
    const long = `/v1/models/${'z'.repeat(60_000)}/train`;
    const id = newId();
    await runInDurableObject(keyStore(env), (store: KeyStore, state: DurableObjectState) => {
      state.storage.sql.exec(`CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, key_id TEXT NOT NULL, key_name TEXT NOT NULL,
        action TEXT NOT NULL, path TEXT NOT NULL, target TEXT, status INTEGER NOT NULL)`);
      const insert = 'INSERT INTO audit (at, key_id, key_name, action, path, target, status) VALUES (?, ?, ?, ?, ?, ?, ?)';
      const at = new Date().toISOString();
      state.storage.sql.exec(insert, at, 'ENCODE_TOKENS', 'ENCODE_TOKENS', 'POST /v1/models/:id/train', long, 'z'.repeat(60_000), 403);
      state.storage.sql.exec(insert, at, 'API_TOKEN', 'API_TOKEN', 'DELETE /v1/models/:id', `/v1/models/${id}`, id, 204);
      state.storage.sql.exec(insert, at, 'API_TOKEN', 'API_TOKEN', 'POST /v1/datasets', '/v1/datasets', null, 201);
      return store;
    });
    await send(`/v1/datasets/${newId()}`, { method: 'DELETE' });
    const moved = await runInDurableObject(auditTrail(env), async (trail: AuditTrail, state: DurableObjectState) => {
      state.storage.sql.exec("DELETE FROM meta WHERE name IN ('legacy-done')");
      state.storage.sql.exec("UPDATE meta SET value = '0' WHERE name = 'legacy-after'");
      return [await trail.importLegacy(2), await trail.importLegacy(2)];
    });
    expect(moved).toEqual([2, 1]);
    const { entries, bytes } = await newest(100);
    expect(bytes).toBeLessThan(64 * 1024);
    // Newest first: every entry written by this object, then the legacy ones, oldest last.
    const legacy = entries.filter((e) => e.seq < LEGACY_SEQ_FLOOR);
    expect(entries.slice(-3)).toEqual(legacy);
    expect(entries[0]!.seq).toBeGreaterThan(LEGACY_SEQ_FLOOR);
    expect(legacy.map((e) => [e.action, e.path, e.target, e.model])).toEqual([
      ['POST /v1/datasets', '/v1/datasets', null, null],
      ['DELETE /v1/models/:id', `/v1/models/${id}`, id, id],
      ['POST /v1/models/:id/train', '/v1/models/:id/train', null, null],
    ]);
    const tables = await runInDurableObject(keyStore(env), (_store: KeyStore, state: DurableObjectState) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit'").toArray(),
    );
    expect(tables).toEqual([]);
  });
});
