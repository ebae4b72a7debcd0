/**
 * Auth on every route: 401 without or with a wrong token, 403 for an encode-only token on
 * writes, and writes refused when no API_TOKEN is configured (the app driven directly with an
 * env that lacks it, inside workerd).
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { cachedKey, keyCacheSizes, KEY_CACHE_ENTRIES, MISSING_ENTRIES } from '../../src/api/keys/lookup.js';
import { newId } from '../../src/api/storage-keys.js';
import { ADMIN, call, ENCODE, expectProblem, request, trainModel, TRAINING_DATA } from './helpers.js';

let id = '';
let file: unknown;

beforeAll(async () => {
  id = (await trainModel()).id;
  file = await (await call(`/v1/models/${id}/export`)).json();
});

interface Route {
  method: string;
  path: () => string;
  json?: () => unknown;
  write: boolean;
}

const routes: Route[] = [
  { method: 'POST', path: () => '/v1/models', json: () => ({ data: TRAINING_DATA, training: { epochs: 1 } }), write: true },
  { method: 'GET', path: () => '/v1/models', write: false },
  { method: 'GET', path: () => `/v1/models/${id}`, write: false },
  { method: 'GET', path: () => `/v1/models/${id}/export`, write: false },
  { method: 'POST', path: () => '/v1/models/import', json: () => file, write: true },
  { method: 'POST', path: () => `/v1/models/${id}/train`, json: () => ({ data: TRAINING_DATA, training: { epochs: 1 } }), write: true },
  { method: 'POST', path: () => `/v1/models/${id}/encode`, json: () => ({ inputs: TRAINING_DATA }), write: false },
  { method: 'POST', path: () => `/v1/models/${id}/reconstruct`, json: () => ({ inputs: TRAINING_DATA }), write: false },
  { method: 'POST', path: () => `/v1/models/${id}/evaluate`, json: () => ({ inputs: TRAINING_DATA }), write: false },
  // Last: it deletes the model.
  { method: 'DELETE', path: () => `/v1/models/${id}`, write: true },
];

describe('auth', () => {
  for (const route of routes) {
    const label = `${route.method} ${route.path().replace(/^\/v1\/models\/(?=\/|$)/, '/v1/models/{id}')}`;

    it(`should return 401 without a token: ${label}`, async () => {
      const res = await call(route.path(), { method: route.method, json: route.json?.(), token: null });
      const problem = await expectProblem(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(problem.detail).toMatch(/Authorization/);
    });

    it(`should return 401 with a wrong token: ${label}`, async () => {
      for (const token of ['wrong', `${ADMIN}x`, ADMIN.slice(0, -1), `${ENCODE},${ADMIN}`]) {
        const res = await call(route.path(), { method: route.method, json: route.json?.(), token });
        await expectProblem(res, 401);
      }
      const res = await call(route.path(), { method: route.method, json: route.json?.(), token: null, headers: { authorization: `Basic ${btoa('a:b')}` } });
      await expectProblem(res, 401);
    });

    if (route.write) {
      it(`should return 403 for an encode-only token: ${label}`, async () => {
        for (const token of [ENCODE, 'second-encode-token']) {
          const res = await call(route.path(), { method: route.method, json: route.json?.(), token });
          const problem = await expectProblem(res, 403);
          expect(problem.detail).toMatch(/API_TOKEN/);
        }
      });
    } else {
      it(`should allow an encode-only token: ${label}`, async () => {
        const res = await call(route.path(), { method: route.method, json: route.json?.(), token: ENCODE });
        expect(res.status, await res.clone().text()).toBe(200);
      });
    }

    it(`should allow the admin token: ${label}`, async () => {
      const res = await call(route.path(), { method: route.method, json: route.json?.(), token: ADMIN });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    });
  }

  it('should accept the scheme name in any case', async () => {
    const res = await call('/v1/models', { token: null, headers: { authorization: `bearer ${ENCODE}` } });
    expect(res.status).toBe(200);
  });
});

describe('auth without API_TOKEN configured', () => {
  const envWithout = (overrides: Record<string, unknown>) => ({ ...env, API_TOKEN: undefined, ...overrides });

  it('should refuse every write, whatever the token', async () => {
    const bindings = envWithout({});
    for (const token of [ADMIN, ENCODE, 'anything', '']) {
      const res = await app.request(
        request('/v1/models', { json: { data: TRAINING_DATA, training: { epochs: 1 } }, token }),
        undefined,
        bindings,
      );
      const problem = await expectProblem(res, token === ENCODE ? 403 : 401);
      if (token === ADMIN) expect(problem.detail).toMatch(/No API_TOKEN is configured/);
    }
    const res = await app.request(request(`/v1/models/${id}`, { method: 'DELETE', token: ADMIN }), undefined, bindings);
    await expectProblem(res, 401);
  });

  it('should treat an empty API_TOKEN as none', async () => {
    const res = await app.request(request('/v1/models', { json: { data: TRAINING_DATA }, token: '' }), undefined, envWithout({ API_TOKEN: '' }));
    await expectProblem(res, 401);
  });

  it('should still let encode tokens read', async () => {
    const res = await app.request(request('/v1/models', { token: ENCODE }), undefined, envWithout({}));
    expect(res.status).toBe(200);
  });

  it('should refuse everything when no token at all is configured', async () => {
    const bindings = envWithout({ ENCODE_TOKENS: undefined });
    for (const token of [ADMIN, ENCODE]) {
      await expectProblem(await app.request(request('/v1/models', { token }), undefined, bindings), 401);
    }
    const health = await app.request(request('/healthz', { token: null }), undefined, bindings);
    expect(health.status).toBe(200);
  });

  it('should ignore empty entries in ENCODE_TOKENS', async () => {
    const bindings = envWithout({ ENCODE_TOKENS: ' , ,x-token, ' });
    await expectProblem(await app.request(request('/v1/models', { token: null, headers: { authorization: 'Bearer ' } }), undefined, bindings), 401);
    expect((await app.request(request('/v1/models', { token: 'x-token' }), undefined, bindings)).status).toBe(200);
  });
});

describe('unknown managed key ids (issue 24, item 12)', () => {
  const send = (token: string, bindings: Record<string, unknown>, address = '203.0.113.7') =>
    app.request(request('/v1/models', { token, headers: { 'cf-connecting-ip': address } }), undefined, { ...env, ...bindings });

  it('should count an id the isolate has no answer for against its address\'s rate limit before the key store sees it', async () => {
    let lookups = 0;
    const KEYS = { idFromName: () => ({}), get: () => ({ lookup: async () => (lookups++, null) }) };
    const counts = new Map<string, number>();
    const RATE_LIMITER = {
      async limit({ key }: { key: string }) {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return { success: !key.startsWith('lookup:') || counts.get(key)! <= 3 };
      },
    };
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await send(`esk_${newId()}_${newId()}`, { KEYS, RATE_LIMITER })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    expect(lookups).toBe(3);
    // Another address has its own budget; a token not of the managed form never reaches the store.
    expect((await send(`esk_${newId()}_${newId()}`, { KEYS, RATE_LIMITER }, '198.51.100.1')).status).toBe(401);
    expect((await send(`esk_${'A'.repeat(32)}_${newId()}`, { KEYS, RATE_LIMITER }, '198.51.100.2')).status).toBe(401);
    expect(lookups).toBe(4);
    expect(counts.has('lookup:198.51.100.2')).toBe(false);
  });

  it('should keep forged ids in a small cache of their own, never pushing real keys out', async () => {
    const created = await app.request(request('/v1/keys', { json: { name: 'stays-cached', scopes: ['models:read'] } }), undefined, env);
    const key = (await created.json()) as { id: string; secret: string };
    expect((await send(key.secret, { RATE_LIMITER: undefined })).status).toBe(200);
    const cachedAt = Date.now(); // asked "as of then" below, so a slow flood does not age the entry out
    const KEYS = { idFromName: () => ({}), get: () => ({ lookup: async () => null }) };
    for (let i = 0; i < KEY_CACHE_ENTRIES + 100; i++) await send(`esk_${newId()}_${newId()}`, { KEYS, RATE_LIMITER: undefined });
    const sizes = keyCacheSizes();
    expect(sizes.missing).toBeLessThanOrEqual(MISSING_ENTRIES);
    expect(cachedKey(key.id, cachedAt)?.id).toBe(key.id);
  }, 60_000);
});
