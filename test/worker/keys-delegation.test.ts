/**
 * Key delegation (issue 24, items 5, 6 and 11): a `keys:admin` key acts only on keys within its
 * own scopes and models (lists only those, revokes only those, reads only its models' audit
 * entries); a key expires no later than its creator and stops working when its creator expires;
 * revoking a key revokes what it created, transitively; GET /v1/keys is paged, and MAX_KEYS caps
 * the number of keys.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyStore } from '../../src/api/keys/durable-object.js';
import { SCOPE_NAMES, type Scope } from '../../src/api/scopes.js';
import { ADMIN, expectProblem, trainModel, TRAINING_DATA } from './helpers.js';
import { createKey, send, type CreatedKey } from './keys-helpers.js';


async function listedIds(token: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await send(`/v1/keys?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { keys: { id: string }[]; cursor: string | null };
    ids.push(...page.keys.map((k) => k.id));
    cursor = page.cursor;
  } while (cursor !== null);
  return ids;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

let modelId = '';
let otherModelId = '';

beforeAll(async () => {
  modelId = (await trainModel()).id;
  otherModelId = (await trainModel({ training: { epochs: 5, seed: 9 } })).id;
}, 60_000);

describe('keys:admin acts only on keys within its own scopes and models', () => {
  it('should list only keys within it, and refuse with 403 naming why to revoke one beyond it', async () => {
    const limited = await createKey({ name: 'limited-admin', scopes: ['keys:admin', 'models:read'], models: [modelId] });
    const everything = await createKey({ name: 'unrestricted', scopes: [...SCOPE_NAMES] });
    const otherModel = await createKey({ name: 'other-model', scopes: ['models:read'], models: [otherModelId] });
    const wider = await createKey({ name: 'wider-scope', scopes: ['models:read', 'models:encode'], models: [modelId] });
    const within = await createKey({ name: 'within', scopes: ['models:read'], models: [modelId] });

    const seen = await listedIds(limited.secret);
    expect(seen).toContain(within.id);
    expect(seen).toContain(limited.id);
    for (const beyond of [everything, otherModel, wider]) expect(seen).not.toContain(beyond.id);
    expect(await listedIds(ADMIN)).toEqual(expect.arrayContaining([everything.id, otherModel.id, wider.id, within.id]));

    for (const [beyond, reason] of [
      [everything, /scopes this key does not/],
      [otherModel, new RegExp(`models this key may not: ${otherModelId}`)],
      [wider, /models:encode/],
    ] as const) {
      const problem = await expectProblem(await send(`/v1/keys/${beyond.id}`, { method: 'DELETE', token: limited.secret }), 403);
      expect(problem.detail).toMatch(reason);
      expect((await send('/v1/models', { token: beyond.secret })).status).not.toBe(401);
    }
    expect((await send(`/v1/keys/${within.id}`, { method: 'DELETE', token: limited.secret })).status).toBe(204);
  });

  it('should show a key limited to models only the audit entries of its models', async () => {
    const limited = await createKey({ name: 'audit-reader', scopes: ['keys:admin', 'models:read', 'models:write'], models: [modelId] });
    await send(`/v1/models/${otherModelId}/train`, { json: { data: TRAINING_DATA, training: { epochs: 1 } } });
    await send(`/v1/models/${modelId}/train`, { json: { data: TRAINING_DATA, training: { epochs: 1 } } });
    const page = (await (await send('/v1/audit?limit=100', { token: limited.secret })).json()) as { entries: { model: string | null }[] };
    expect(page.entries.length).toBeGreaterThan(0);
    expect(page.entries.every((e) => e.model === modelId)).toBe(true);
    const all = (await (await send('/v1/audit?limit=100')).json()) as { entries: { model: string | null }[] };
    expect(all.entries.some((e) => e.model === otherModelId)).toBe(true);
  });
});

describe('a key never outlives its creator', () => {
  it('should refuse a later expiresAt with 403, and give an omitted one the creator\'s', async () => {
    const parent = await createKey({ name: 'parent', scopes: ['keys:admin', 'models:read'], expiresAt: later(60_000) });
    const problem = await expectProblem(await send('/v1/keys', { token: parent.secret, json: { name: 'c', scopes: ['models:read'], expiresAt: later(3_600_000) } }), 403);
    expect(problem.detail).toContain(parent.expiresAt!);
    const child = await createKey({ name: 'child', scopes: ['models:read'] }, parent.secret);
    expect(child.expiresAt).toBe(parent.expiresAt);
    expect(child.createdBy).toBe(parent.id);
    const sooner = await createKey({ name: 'sooner', scopes: ['models:read'], expiresAt: later(30_000) }, parent.secret);
    expect(Date.parse(sooner.expiresAt!)).toBeLessThan(Date.parse(parent.expiresAt!));
  });

  it('should stop a key when the key that created it expires, even one stored without that bound', async () => {
    const parent = await createKey({ name: 'short-parent', scopes: ['keys:admin', 'models:read'], expiresAt: later(1_500) });
    const child = await createKey({ name: 'child-of-short', scopes: ['keys:admin', 'models:read'] }, parent.secret);
    // Stored directly without an expiry, as a version before this bound would have.
    const legacy = `esk_${'a'.repeat(32)}_${'b'.repeat(32)}`;
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(legacy))), (b) => b.toString(16).padStart(2, '0')).join('');
    await keyStore(env).create({ id: 'a'.repeat(32), name: 'legacy-grandchild', digest, scopes: ['models:read'], models: null, createdAt: new Date().toISOString(), expiresAt: null, lastUsedAt: null, createdBy: child.id }, 1_000);
    expect((await send('/v1/models', { token: child.secret })).status).toBe(200);
    expect((await send('/v1/models', { token: legacy })).status).toBe(200);
    await sleep(3_700); // past the parent's expiry and the cache's lifetime
    const problem = await expectProblem(await send('/v1/models', { token: legacy }), 401);
    // Its creator's expiry (the child's, inherited from the parent): named, not the key's own.
    expect(problem.detail).toContain(`the key that created it (${child.id}) expired`);
    await expectProblem(await send('/v1/models', { token: child.secret }), 401);
  }, 30_000);
});

describe('revoking a key revokes what it made', () => {
  it('should revoke children and grandchildren at once, and leave other keys', async () => {
    const parent = await createKey({ name: 'tree-root', scopes: ['keys:admin', 'models:read'] });
    const child = await createKey({ name: 'tree-child', scopes: ['keys:admin', 'models:read'] }, parent.secret);
    const grandchild = await createKey({ name: 'tree-grandchild', scopes: ['models:read'] }, child.secret);
    const bystander = await createKey({ name: 'bystander', scopes: ['models:read'] });
    for (const key of [child, grandchild]) expect((await send('/v1/models', { token: key.secret })).status).toBe(200);
    expect((await send(`/v1/keys/${parent.id}`, { method: 'DELETE' })).status).toBe(204);
    for (const key of [parent, child, grandchild]) await expectProblem(await send('/v1/models', { token: key.secret }), 401);
    expect((await send('/v1/models', { token: bystander.secret })).status).toBe(200);
    const left = await listedIds(ADMIN);
    for (const key of [parent, child, grandchild]) expect(left).not.toContain(key.id);
  });
});

describe('GET /v1/keys is paged, and MAX_KEYS caps the keys', () => {
  it('should page oldest first with a checked cursor', async () => {
    for (let i = 0; i < 3; i++) await createKey({ name: `paged-${i}`, scopes: ['models:read'] });
    const all = await listedIds(ADMIN);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (await send(`/v1/keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { keys: { id: string }[]; cursor: string | null };
      expect(page.keys.length).toBeLessThanOrEqual(2);
      seen.push(...page.keys.map((k) => k.id));
      cursor = page.cursor;
    } while (cursor !== null);
    expect(seen).toEqual(all);
    await expectProblem(await send('/v1/keys?cursor=abc'), 422);
    await expectProblem(await send('/v1/keys?limit=100000'), 422);
  });

  it('should refuse a key past MAX_KEYS with 409 too-many-keys naming the limit', async () => {
    const count = (await listedIds(ADMIN)).length;
    const problem = await expectProblem(await send('/v1/keys', { json: { name: 'one-too-many', scopes: ['models:read'] } }, { MAX_KEYS: String(count) }), 409);
    expect(problem.type).toBe('urn:edge-sae:problem:too-many-keys');
    expect(problem.detail).toContain(`MAX_KEYS = ${count}`);
    expect((await send('/v1/keys', { json: { name: 'fits', scopes: ['models:read'] } }, { MAX_KEYS: String(count + 1) })).status).toBe(201);
  });
});
