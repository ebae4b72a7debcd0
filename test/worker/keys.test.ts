/**
 * Managed API keys (POST/GET/DELETE /v1/keys) and the audit trail (GET /v1/audit): every route
 * of the OpenAPI document against a key of every scope (403 without the route's scope, through
 * with it), a key limited to one model against another, revoked and expired keys (401 on every
 * route), the revocation bound of the per-isolate cache, the secret in no answer but the
 * creating one and in no log line, the audit trail of a scripted session exactly, and the
 * per-key rate limit.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { app } from '../../src/api/app.js';
import { keyStore } from '../../src/api/keys/durable-object.js';
import { KEY_CACHE_MS } from '../../src/api/keys/lookup.js';
import { SCOPE_NAMES, type Scope } from '../../src/api/scopes.js';
import { newId } from '../../src/api/storage-keys.js';
import { ADMIN, expectProblem, request, trainModel, TRAINING_DATA } from './helpers.js';
import { createKey, send, type CreatedKey } from './keys-helpers.js';

interface Operation {
  method: string;
  path: string;
  scope: Scope;
}


let operations: Operation[] = [];
let modelId = '';
let otherModelId = '';
let datasetId = '';
let jobId = '';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A request that passes auth on `op` (ids that exist; deletes aim at ids that do not, so nothing is lost). */
async function probe(op: Operation, token: string): Promise<Response> {
  const id = op.method === 'DELETE' ? newId() : op.path.startsWith('/v1/datasets') ? datasetId : op.path.startsWith('/v1/jobs') ? jobId : modelId;
  const path = op.path.replace('{id}', id);
  return send(path, op.method === 'GET' ? { token } : { method: op.method, token, json: { inputs: TRAINING_DATA } });
}

async function lastSeq(): Promise<number> {
  const page = (await (await send('/v1/audit?limit=1')).json()) as { entries: { seq: number }[] };
  return page.entries[0]?.seq ?? 0;
}

beforeAll(async () => {
  const doc = (await (await send('/openapi.json', { token: null })).json()) as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, operation]) => (operation.security?.length ?? 0) > 0)
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, scope: operation.security![0]!.bearerAuth![0] as Scope })),
  );
  modelId = (await trainModel()).id;
  otherModelId = (await trainModel({ training: { epochs: 5, seed: 9 } })).id;
  datasetId = ((await (await send('/v1/datasets', { json: TRAINING_DATA })).json()) as { id: string }).id;
  jobId = ((await (await send('/v1/jobs', { json: { datasetId, training: { epochs: 2 } } })).json()) as { id: string }).id;
}, 60_000);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('keys', () => {
  it('should show the secret once, store only its digest, and list keys without secrets', async () => {
    const key = await createKey({ name: 'app-one', scopes: ['models:read', 'models:encode'] });
    expect(key.secret).toMatch(new RegExp(`^esk_${key.id}_[a-z2-7]{32}$`));
    expect(key).toMatchObject({ name: 'app-one', scopes: ['models:read', 'models:encode'], models: null, expiresAt: null });
    const listed = await (await send('/v1/keys')).text();
    expect(listed).toContain(key.id);
    expect(listed).not.toContain(key.secret);
    expect(listed).not.toContain(key.secret.slice(-32));
    expect(listed).not.toMatch(/digest/);
    const stored = await keyStore(env).lookup(key.id);
    expect(stored!.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key.secret.slice(-32));
    expect((await send(`/v1/models/${modelId}/encode`, { token: key.secret, json: { inputs: TRAINING_DATA } })).status).toBe(200);
  });

  it('should refuse bad key requests with 422 naming the field, and keys granting more than their creator has with 403', async () => {
    for (const [body, field] of [
      [{ name: 'x', scopes: ['models:fly'] }, '/scopes/0'],
      [{ name: 'x', scopes: [] }, '/scopes'],
      [{ name: 'x', scopes: ['models:read', 'models:read'] }, '/scopes'],
      [{ name: '', scopes: ['models:read'] }, '/name'],
      [{ name: 'x', scopes: ['models:read'], expiresAt: '2001-01-01T00:00:00Z' }, '/expiresAt'],
      [{ name: 'x', scopes: ['models:read'], expiresAt: 'tomorrow' }, '/expiresAt'],
      [{ name: 'x', scopes: ['models:read'], models: ['not-an-id'] }, '/models/0'],
      [{ name: 'x', scopes: ['models:read'], secret: 'mine' }, ''],
    ] as const) {
      const problem = await expectProblem(await send('/v1/keys', { json: body }), 422);
      expect(JSON.stringify(problem.errors), JSON.stringify(body)).toContain(field);
    }
    const keyAdmin = await createKey({ name: 'key-admin', scopes: ['keys:admin', 'models:read'] });
    const problem = await expectProblem(await send('/v1/keys', { token: keyAdmin.secret, json: { name: 'x', scopes: ['models:write'] } }), 403);
    expect(problem.detail).toMatch(/models:write/);
    expect((await send('/v1/keys', { token: keyAdmin.secret, json: { name: 'y', scopes: ['models:read'] } })).status).toBe(201);
    const limited = await createKey({ name: 'limited-admin', scopes: ['keys:admin', 'models:read'], models: [modelId] });
    await expectProblem(await send('/v1/keys', { token: limited.secret, json: { name: 'z', scopes: ['models:read'] } }), 403);
    expect((await send('/v1/keys', { token: limited.secret, json: { name: 'z', scopes: ['models:read'], models: [modelId] } })).status).toBe(201);
    await expectProblem(await send(`/v1/keys/${newId()}`, { method: 'DELETE' }), 404);
    await expectProblem(await send('/v1/keys/nonsense', { method: 'DELETE' }), 404);
  });
});

describe('scopes on every route of the OpenAPI document', () => {
  it('should answer 403 naming the scope where a key lacks it, and let it through where it has it', async () => {
    expect(operations.length).toBeGreaterThan(20);
    const keys = new Map<Scope, CreatedKey>();
    for (const scope of SCOPE_NAMES) keys.set(scope, await createKey({ name: `only-${scope}`, scopes: [scope] }));
    let checked = 0;
    for (const op of operations) {
      for (const scope of SCOPE_NAMES) {
        const res = await probe(op, keys.get(scope)!.secret);
        const label = `${op.method} ${op.path} with ${scope}`;
        if (scope === op.scope) {
          expect([401, 403], label).not.toContain(res.status);
          await res.body?.cancel();
        } else {
          const problem = await expectProblem(res, 403);
          expect(problem.type, label).toBe('urn:edge-sae:problem:forbidden');
          expect(problem.scope, label).toBe(op.scope);
        }
        checked++;
      }
    }
    expect(checked).toBe(operations.length * SCOPE_NAMES.length);
    expect((await send(`/v1/models/${modelId}`)).status).toBe(200);
  }, 120_000);

  it('should keep a key limited to one model off every other model, and off listing, training and importing', async () => {
    const key = await createKey({ name: 'one-model', scopes: ['models:read', 'models:encode', 'models:write'], models: [modelId] });
    const encode = (id: string) => send(`/v1/models/${id}/encode`, { token: key.secret, json: { inputs: TRAINING_DATA } });
    expect((await encode(modelId)).status).toBe(200);
    const problem = await expectProblem(await encode(otherModelId), 403);
    expect(problem.detail).toContain(otherModelId);
    for (const op of operations.filter((o) => o.path.startsWith('/v1/models'))) {
      const path = op.path.replace('{id}', otherModelId);
      const res = await send(path, op.method === 'GET' ? { token: key.secret } : { method: op.method, token: key.secret, json: { inputs: TRAINING_DATA } });
      await expectProblem(res, 403);
    }
    expect((await send(`/v1/models/${otherModelId}`)).status).toBe(200);
    expect((await send(`/v1/models/${modelId}`, { token: key.secret })).status).toBe(200);
  }, 60_000);
});

describe('revoked and expired keys', () => {
  it('should answer 401 on every route once a key is revoked', async () => {
    const key = await createKey({ name: 'to-revoke', scopes: [...SCOPE_NAMES] });
    expect((await send('/v1/models', { token: key.secret })).status).toBe(200);
    expect((await send(`/v1/keys/${key.id}`, { method: 'DELETE' })).status).toBe(204);
    for (const op of operations) {
      const problem = await expectProblem(await probe(op, key.secret), 401);
      expect(problem.type).toBe('urn:edge-sae:problem:unauthorized');
    }
    await expectProblem(await send(`/v1/keys/${key.id}`, { method: 'DELETE' }), 404);
    expect(await (await send('/v1/keys')).text()).not.toContain(key.id);
  }, 60_000);

  it('should answer 401 on every route once a key has expired', async () => {
    const key = await createKey({ name: 'short-lived', scopes: [...SCOPE_NAMES], expiresAt: new Date(Date.now() + 1_500).toISOString() });
    expect((await send('/v1/models', { token: key.secret })).status).toBe(200);
    await sleep(1_600);
    for (const op of operations) {
      const problem = await expectProblem(await probe(op, key.secret), 401);
      expect(problem.detail).toMatch(/expired/);
    }
  }, 60_000);

  it(`should see a revocation made elsewhere within KEY_CACHE_MS (${KEY_CACHE_MS} ms), with no store read per request before`, async () => {
    const key = await createKey({ name: 'other-isolate', scopes: ['models:read'] });
    expect((await send('/v1/models', { token: key.secret })).status).toBe(200);
    // Revoked in the store directly, as another isolate would: this isolate's cache does not know yet.
    const lookup = vi.spyOn(keyStore(env), 'lookup');
    expect((await keyStore(env).revoke(key.id, { scopes: SCOPE_NAMES, models: null })).outcome).toBe("revoked");
    const started = Date.now();
    const statuses: number[] = [];
    while (Date.now() - started < KEY_CACHE_MS + 500) {
      statuses.push((await send('/v1/models', { token: key.secret })).status);
      await sleep(100);
    }
    lookup.mockRestore();
    // Through while cached, refused after: never through again once refused.
    expect(statuses[0]).toBe(200);
    expect(statuses.at(-1)).toBe(401);
    const firstRefused = statuses.indexOf(401);
    expect(statuses.slice(firstRefused).every((s) => s === 401)).toBe(true);
  }, 30_000);

  it('should refuse forged and truncated keys with 401', async () => {
    const key = await createKey({ name: 'forge-me', scopes: ['models:read'] });
    const tail = key.secret.slice(-32);
    const forged = [
      key.secret.slice(0, -1),
      `${key.secret}a`,
      key.secret.slice(0, -1) + (tail.endsWith('a') ? 'b' : 'a'),
      `esk_${key.id}_${newId()}`,
      `esk_${newId()}_${tail}`,
      key.secret.toUpperCase(),
      `esk_${key.id}`,
      key.id,
      tail,
    ];
    for (const token of forged) await expectProblem(await send('/v1/models', { token }), 401);
    expect((await send('/v1/models', { token: key.secret })).status).toBe(200);
  });
});

describe('the secret stays secret', () => {
  it('should appear in no answer but the creating one, and in no log line', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      });
    }
    const creating = await send('/v1/keys', { json: { name: 'secret-keeper', scopes: ['models:read', 'models:write', 'datasets:write'] } });
    const key = (await creating.json()) as CreatedKey;
    const answers: string[] = [];
    const keep = async (res: Response) => answers.push(`${[...res.headers].flat().join(' ')}\n${await res.text()}`);
    await keep(await send('/v1/keys'));
    await keep(await send('/v1/models', { token: key.secret }));
    await keep(await send(`/v1/models/${modelId}/encode`, { token: key.secret, json: { inputs: TRAINING_DATA } }));
    await keep(await send('/v1/models', { token: key.secret, json: { data: [[Number.NaN]] } }));
    await keep(await send('/v1/models', { token: key.secret, body: 'not json', headers: { 'content-type': 'application/json' } }));
    await keep(await send('/v1/datasets', { token: key.secret, json: TRAINING_DATA }));
    await keep(await send('/v1/keys', { token: key.secret }));
    // A store that fails while checking a key not yet cached: 503, logged.
    const uncached = (await (await send('/v1/keys', { json: { name: 'uncached', scopes: ['models:read'] } })).json()) as CreatedKey;
    const failing = { ...env, RATE_LIMITER: undefined, KEYS: { idFromName: env.KEYS.idFromName.bind(env.KEYS), get: () => ({ lookup: () => Promise.reject(new Error('store down')) }) } };
    const down = await app.request(request('/v1/models', { token: uncached.secret }), undefined, failing);
    expect(down.status).toBe(503);
    await keep(down);
    await keep(await send('/v1/audit?limit=50'));
    await keep(await send(`/v1/keys/${key.id}`, { method: 'DELETE' }));
    await keep(await send('/v1/models', { token: key.secret }));
    for (const part of [key.secret.slice(-32), uncached.secret.slice(-32)]) {
      for (const answer of answers) expect(answer).not.toContain(part);
      for (const line of lines) expect(line).not.toContain(part);
    }
    expect(lines.join('\n')).toMatch(/key store failed/);
  }, 30_000);
});

describe('the audit trail', () => {
  it('should record exactly the writes of a scripted session, with key, route, target and outcome', async () => {
    const before = await lastSeq();
    const key = await createKey({ name: 'trainer-app', scopes: ['models:read', 'models:write', 'models:encode'] });
    const trained = await send('/v1/models', { token: key.secret, json: { data: TRAINING_DATA, training: { epochs: 5, seed: 3 } } });
    const trainedId = ((await trained.json()) as { id: string }).id;
    expect(trained.status).toBe(201);
    expect((await send(`/v1/models/${trainedId}/train`, { token: key.secret, json: { data: TRAINING_DATA, training: { epochs: 2 } } })).status).toBe(200);
    // Reads are not audited: neither a success nor a refusal.
    expect((await send(`/v1/models/${trainedId}/encode`, { token: key.secret, json: { inputs: TRAINING_DATA } })).status).toBe(200);
    expect((await send('/v1/datasets', { token: key.secret })).status).toBe(403);
    expect((await send('/v1/datasets', { token: key.secret, json: TRAINING_DATA })).status).toBe(403);
    expect((await send('/v1/models', { token: key.secret, json: { data: [[1, 2], [3]] } })).status).toBe(422);
    expect((await send(`/v1/models/${trainedId}`, { method: 'DELETE', token: key.secret })).status).toBe(204);
    expect((await send(`/v1/keys/${key.id}`, { method: 'DELETE' })).status).toBe(204);
    // Unauthenticated: nobody to record.
    expect((await send(`/v1/models/${modelId}`, { method: 'DELETE', token: key.secret })).status).toBe(401);

    const entries: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (await send(`/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { entries: ({ seq: number } & Record<string, unknown>)[]; cursor: string | null };
      const fresh = page.entries.filter((e) => e.seq > before);
      entries.push(...fresh);
      cursor = fresh.length === page.entries.length ? page.cursor : null;
    } while (cursor !== null);
    const session = entries.reverse().map(({ seq: _seq, at, lastAt, ...rest }) => {
      expect(Number.isNaN(Date.parse(String(at)))).toBe(false);
      expect(lastAt).toBe(at);
      return rest;
    });
    const admin = { keyId: 'API_TOKEN', keyName: 'API_TOKEN', count: 1 };
    const app_ = { keyId: key.id, keyName: 'trainer-app', count: 1 };
    expect(session).toEqual([
      { ...admin, action: 'POST /v1/keys', path: '/v1/keys', target: key.id, model: null, status: 201 },
      { ...app_, action: 'POST /v1/models', path: '/v1/models', target: trainedId, model: trainedId, status: 201 },
      { ...app_, action: 'POST /v1/models/:id/train', path: `/v1/models/${trainedId}/train`, target: trainedId, model: trainedId, status: 200 },
      { ...app_, action: 'POST /v1/datasets', path: '/v1/datasets', target: null, model: null, status: 403 },
      { ...app_, action: 'POST /v1/models', path: '/v1/models', target: null, model: null, status: 422 },
      { ...app_, action: 'DELETE /v1/models/:id', path: `/v1/models/${trainedId}`, target: trainedId, model: trainedId, status: 204 },
      { ...admin, action: 'DELETE /v1/keys/:id', path: `/v1/keys/${key.id}`, target: key.id, model: null, status: 204 },
    ]);
  }, 60_000);

  it('should page with a checked cursor and refuse a limit over MAX_LIST_LIMIT', async () => {
    await expectProblem(await send('/v1/audit?cursor=abc'), 422);
    await expectProblem(await send('/v1/audit?limit=100000'), 422);
    const first = (await (await send('/v1/audit?limit=1')).json()) as { entries: { seq: number }[]; cursor: string };
    const second = (await (await send(`/v1/audit?limit=1&cursor=${first.cursor}`)).json()) as { entries: { seq: number }[] };
    expect(second.entries[0]!.seq).toBeLessThan(first.entries[0]!.seq);
  });
});

describe('rate limiting of managed keys', () => {
  it('should give each key its own budget', async () => {
    const counts = new Map<string, number>();
    const RATE_LIMITER = {
      async limit({ key }: { key: string }) {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return { success: counts.get(key)! <= 2 };
      },
    };
    const one = await createKey({ name: 'rl-one', scopes: ['models:read'] });
    const two = await createKey({ name: 'rl-two', scopes: ['models:read'] });
    const statuses = async (token: string) => {
      const out: number[] = [];
      for (let i = 0; i < 3; i++) out.push((await send('/v1/models', { token }, { RATE_LIMITER })).status);
      return out;
    };
    expect(await statuses(one.secret)).toEqual([200, 200, 429]);
    expect(await statuses(two.secret)).toEqual([200, 200, 429]);
    expect([...counts.keys()].filter((key) => key.startsWith('token:'))).toHaveLength(2);
  });
});
