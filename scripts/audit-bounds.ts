/**
 * `npx tsx scripts/audit-bounds.ts`: what the audit trail and the key store hold, in bytes, under
 * `wrangler dev` (issue 24, items 4 and 11), measured from the outside:
 *
 *  1. refused writes: an encode-only token (ENCODE_TOKENS) sends REFUSED writes with 60 KB paths
 *     (`POST /v1/models/<60 KB>/train`, each a 403): they fold into one entry a route and window;
 *  2. recorded writes: the admin token sends RECORDED deletes of 60 KB paths (each a 404, one
 *     entry each): the stored bytes an entry costs;
 *  3. keys: keys are created up to MAX_KEYS (KEYS_CAP here), each as large as a key can be (a
 *     200-character name, every scope, 100 models), and one more (409 too-many-keys);
 *
 * and after each, the bytes of each Durable Object's SQLite files in wrangler dev's state, the
 * entries `GET /v1/audit` pages through (the largest entry's JSON), and the pages of `GET /v1/keys`.
 * Figures go to bench/audit-bounds.json (AUDIT_OUT elsewhere).
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../test/helpers/cli.js';
import { DEV_ADMIN_TOKEN, DEV_ENCODE_TOKEN, killAllWranglerDev, startWranglerDev } from '../test/helpers/wrangler-dev.js';

const REFUSED = Number(process.env.AUDIT_REFUSED ?? 2000);
const RECORDED = Number(process.env.AUDIT_RECORDED ?? 2000);
const KEYS_CAP = Number(process.env.AUDIT_KEYS_CAP ?? 1000);
const PATH_BYTES = 60_000;
const OUT = join(REPO_ROOT, process.env.AUDIT_OUT ?? 'bench/audit-bounds.json');

/** Bytes of the files under `dir`, recursively. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(path) : statSync(path).size;
  }
  return total;
}

/**
 * Bytes of each Durable Object class's storage in wrangler dev's state (v3/do/<script>-<class>/),
 * the SQLite databases apart from their write-ahead logs (`-wal`, `-shm`): SQLite moves a WAL into
 * the database every 1,000 pages (about 4 MB) and then reuses it, so it is bounded on its own.
 */
function durableObjectBytes(state: string): Record<string, { db: number; wal: number }> {
  const root = join(state, 'wrangler', 'v3', 'do');
  const out: Record<string, { db: number; wal: number }> = {};
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    const sizes = { db: 0, wal: 0 };
    for (const file of readdirSync(dir, { withFileTypes: true })) {
      const bytes = file.isDirectory() ? bytesUnder(join(dir, file.name)) : statSync(join(dir, file.name)).size;
      if (/-(wal|shm)$/.test(file.name)) sizes.wal += bytes;
      else sizes.db += bytes;
    }
    out[entry.name] = sizes;
  }
  return out;
}

/** Runs `count` calls, `width` at a time; the statuses counted. */
async function flood(count: number, width: number, call: (i: number) => Promise<Response>): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const res = await call(next++);
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

/** Every page of a listing (`key` holds the items), with the pages' byte sizes and the largest item's. */
async function pages(base: string, path: string, key: string): Promise<{ items: number; pages: number; largestPageBytes: number; largestItemBytes: number; totalBytes: number }> {
  let cursor: string | null = null;
  const figures = { items: 0, pages: 0, largestPageBytes: 0, largestItemBytes: 0, totalBytes: 0 };
  do {
    const res = await fetch(`${base}${path}?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
    const page = JSON.parse(text) as Record<string, unknown[]> & { cursor: string | null };
    figures.pages += 1;
    figures.items += page[key]!.length;
    figures.totalBytes += text.length;
    figures.largestPageBytes = Math.max(figures.largestPageBytes, text.length);
    for (const item of page[key]!) figures.largestItemBytes = Math.max(figures.largestItemBytes, JSON.stringify(item).length);
    cursor = page.cursor;
  } while (cursor !== null);
  return figures;
}

async function main(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'edge-sae-audit-'));
  const server = await startWranglerDev(state, { MAX_KEYS: String(KEYS_CAP) });
  const send = (path: string, token: string, init: RequestInit = {}) =>
    fetch(server.base + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) }, signal: AbortSignal.timeout(60_000) });
  const long = (i: number) => `${String(i).padStart(6, '0')}${'x'.repeat(PATH_BYTES - 6)}`;
  try {
    // A model to limit keys to, and the baseline.
    const trained = (await (await send('/v1/models', DEV_ADMIN_TOKEN, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [[0, 1], [1, 0], [0.5, 0.5]], training: { epochs: 1 } }) })).json()) as { id: string };
    const start = durableObjectBytes(state);

    const refused = await flood(REFUSED, 16, (i) => send(`/v1/models/${long(i)}/train`, DEV_ENCODE_TOKEN, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"data":[[0,1]]}' }));
    const afterRefused = { statuses: refused, bytes: durableObjectBytes(state), audit: await pages(server.base, '/v1/audit', 'entries') };
    console.error(`refused: ${JSON.stringify(afterRefused)}`);

    const recorded = await flood(RECORDED, 16, (i) => send(`/v1/models/${long(i)}`, DEV_ADMIN_TOKEN, { method: 'DELETE' }));
    const afterRecorded = { statuses: recorded, bytes: durableObjectBytes(state), audit: await pages(server.base, '/v1/audit', 'entries') };
    console.error(`recorded: ${JSON.stringify(afterRecorded)}`);

    // 100 distinct well-formed model ids (a key may name models that do not exist yet), the most a key takes.
    const models = Array.from({ length: 100 }, (_, m) => `${trained.id.slice(0, 29)}${'abcdefghijklmnopqrstuvwxyz234567'[m >> 5]}${'abcdefghijklmnopqrstuvwxyz234567'[m & 31]}a`);
    const body = (i: number) => JSON.stringify({ name: `${String(i).padStart(4, '0')}-${'é'.repeat(195)}`, scopes: ['models:read', 'models:encode', 'models:write', 'datasets:read', 'datasets:download', 'datasets:write', 'jobs:read', 'jobs:write', 'keys:admin'], models });
    const created = await flood(KEYS_CAP + 1, 8, (i) => send('/v1/keys', DEV_ADMIN_TOKEN, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) }));
    const afterKeys = { statuses: created, bytes: durableObjectBytes(state), keys: await pages(server.base, '/v1/keys', 'keys') };
    console.error(`keys: ${JSON.stringify(afterKeys)}`);

    const figures = { date: new Date().toISOString(), pathBytes: PATH_BYTES, refused: REFUSED, recorded: RECORDED, keysCap: KEYS_CAP, start, afterRefused, afterRecorded, afterKeys };
    console.log(JSON.stringify(figures, null, 2));
    writeFileSync(OUT, `${JSON.stringify(figures, null, 2)}\n`);
  } catch (error) {
    console.error(`wrangler dev's log, last lines:\n${server.log().slice(-3000)}`);
    throw error;
  } finally {
    await server.stop();
    killAllWranglerDev();
    rmSync(state, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
