/**
 * The typed client: `hc<AppType>` from hono/client against the Worker, the key routes included.
 * The `@ts-expect-error` lines are checked by `npm run typecheck` (tsconfig.json includes test/):
 * a wrong body must not compile (if AppType were `any`, the directive itself would be the error).
 */
import { SELF } from 'cloudflare:test';
import { hc } from 'hono/client';
import { describe, expect, it } from 'vitest';
import type { AppType } from '../../src/worker.js';
import { ADMIN, BASE, ENCODE, TRAINING_DATA } from './helpers.js';

const fetchThroughWorker: typeof fetch = (input, init) => SELF.fetch(new Request(input, init));

describe('hc client', () => {
  it('should train and encode with typed calls', async () => {
    const admin = hc<AppType>(BASE, { fetch: fetchThroughWorker, headers: { authorization: `Bearer ${ADMIN}` } });
    const reader = hc<AppType>(BASE, { fetch: fetchThroughWorker, headers: { authorization: `Bearer ${ENCODE}` } });

    const trained = await admin.v1.models.$post({ json: { data: TRAINING_DATA, training: { epochs: 5 } }, query: {} });
    expect(trained.status).toBe(201);
    if (trained.status !== 201) return;
    const model = await trained.json();
    expect(model.hiddenSize).toBe(12);

    const encoded = await reader.v1.models[':id'].encode.$post({ param: { id: model.id }, json: { inputs: TRAINING_DATA } });
    expect(encoded.status).toBe(200);
    if (encoded.status !== 200) return;
    // The JSON answer is dense `codes` or, with top/threshold, sparse `features`: narrowed by its key.
    const dense = await encoded.json();
    if (typeof dense === 'string' || !('codes' in dense)) throw new Error('expected dense codes');
    expect(dense.codes).toHaveLength(TRAINING_DATA.length);

    const sparse = await reader.v1.models[':id'].encode.$post({ param: { id: model.id }, json: { inputs: TRAINING_DATA, top: 3 } });
    expect(sparse.status).toBe(200);
    if (sparse.status !== 200) return;
    const top = await sparse.json();
    if (typeof top === 'string' || !('features' in top)) throw new Error('expected sparse features');
    expect(top.features.map((row) => row.indices.length)).toEqual(TRAINING_DATA.map(() => 3));
    // @ts-expect-error top is a number
    void reader.v1.models[':id'].encode.$post({ param: { id: model.id }, json: { inputs: TRAINING_DATA, top: '3' } });

    const health = await reader.healthz.$get();
    expect((await health.json()).backend).toBe('assemblyscript');
  });

  it('should create, use, list and revoke a key and read the audit trail with typed calls', async () => {
    const admin = hc<AppType>(BASE, { fetch: fetchThroughWorker, headers: { authorization: `Bearer ${ADMIN}` } });
    const created = await admin.v1.keys.$post({ json: { name: 'typed-client', scopes: ['models:read', 'models:encode'], expiresAt: '2099-01-01T00:00:00Z' } });
    expect(created.status).toBe(201);
    if (created.status !== 201) return;
    const key = await created.json(); // typed: id, secret, scopes, models, expiresAt, …
    expect(key.scopes).toEqual(['models:read', 'models:encode']);
    expect(key.expiresAt).toBe('2099-01-01T00:00:00.000Z');

    const withKey = hc<AppType>(BASE, { fetch: fetchThroughWorker, headers: { authorization: `Bearer ${key.secret}` } });
    expect((await withKey.v1.models.$get({ query: {} })).status).toBe(200);

    const listed = await admin.v1.keys.$get({ query: {} });
    expect(listed.status).toBe(200);
    if (listed.status !== 200) return;
    const { keys } = await listed.json();
    expect(keys.find((k) => k.id === key.id)?.name).toBe('typed-client');

    expect((await admin.v1.keys[':id'].$delete({ param: { id: key.id } })).status).toBe(204);
    const audit = await admin.v1.audit.$get({ query: { limit: '5' } });
    expect(audit.status).toBe(200);
    if (audit.status !== 200) return;
    const page = await audit.json();
    expect(page.entries[0]).toMatchObject({ action: 'DELETE /v1/keys/:id', target: key.id, status: 204 });
  });
});

/** Compile-time only (never called): the client refuses a key request of the wrong shape. */
export function wrongKeyBodies(api: ReturnType<typeof hc<AppType>>) {
  return [
    // @ts-expect-error: scopes are the names of src/api/scopes.ts, not any string
    api.v1.keys.$post({ json: { name: 'x', scopes: ['models:fly'] } }),
    // @ts-expect-error: name is required
    api.v1.keys.$post({ json: { scopes: ['models:read'] } }),
    // @ts-expect-error: models is a list of ids
    api.v1.keys.$post({ json: { name: 'x', scopes: ['models:read'], models: 'one-model' } }),
  ];
}
