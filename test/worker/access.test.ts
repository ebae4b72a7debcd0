/**
 * Access, beyond auth.test.ts (which covers /v1/models route by route): every route of the
 * OpenAPI document, including datasets, jobs and pictures, refuses a missing or wrong token
 * (401) and an encode-only token on writes (403); ids carry at least 128 random bits; the CORS
 * policy follows CORS_ORIGINS (none by default); each token is rate limited with the RATE_LIMITER
 * binding (429 with Retry-After, keyed by the token's digest), and a failing limiter lets
 * requests through.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { constantTimeEqual } from '../../src/api/auth.js';
import { ENCODE_SCOPES, SCOPE_NAMES, type Scope } from '../../src/api/scopes.js';
import { isId, newId } from '../../src/api/storage-keys.js';
import { ADMIN, ENCODE, expectProblem, request, trainModel, TRAINING_DATA } from './helpers.js';

interface Operation {
  method: string;
  path: string;
  secured: boolean;
  /** The scope its security requirement lists (null when public). */
  scope: string | null;
  /** Needs a scope the encode-only tokens lack (a write, or keys and the audit trail). */
  write: boolean;
  /** The statuses its responses document. */
  documented: string[];
}

let operations: Operation[] = [];
let modelId = '';
let datasetId = '';
let jobId = '';

const send = (path: string, options: Parameters<typeof request>[1] = {}, bindings: Record<string, unknown> = {}) =>
  app.request(request(path, options), undefined, { ...env, RATE_LIMITER: undefined, ...bindings });

beforeAll(async () => {
  const doc = (await (await send('/openapi.json', { token: null })).json()) as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses?: Record<string, unknown> }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const scope = operation.security?.[0]?.bearerAuth?.[0] ?? null;
      return {
        method: method.toUpperCase(),
        path,
        secured: (operation.security?.length ?? 0) > 0,
        scope,
        write: scope !== null && !ENCODE_SCOPES.includes(scope as Scope),
        documented: Object.keys(operation.responses ?? {}),
      };
    }),
  );
  modelId = (await trainModel()).id;
  const dataset = await send('/v1/datasets', { json: TRAINING_DATA });
  datasetId = ((await dataset.json()) as { id: string }).id;
  const job = await send('/v1/jobs', { json: { datasetId, training: { epochs: 2 } } });
  jobId = ((await job.json()) as { id: string }).id;
}, 60_000);

function concrete(path: string): string {
  const id = path.startsWith('/v1/datasets') ? datasetId : path.startsWith('/v1/jobs') ? jobId : modelId;
  return path.replace('{id}', id).replace('{j}', '0');
}

describe('access on every route of the OpenAPI document', () => {
  it('should document every /v1 route as needing a token, and only health and docs as public', () => {
    expect(operations.length).toBeGreaterThan(10);
    for (const op of operations) {
      if (op.path.startsWith('/v1/')) expect(op.secured, `${op.method} ${op.path}`).toBe(true);
      else expect(['/healthz'], `${op.method} ${op.path}`).toContain(op.path);
    }
  });

  it('should document 401, 403, 429 and 503 and one scope on every route that needs a token', () => {
    const secured = operations.filter((o) => o.secured);
    expect(secured.length).toBeGreaterThan(10);
    for (const op of secured) {
      // 403 on reads too: a managed key may lack a read scope (keys.test.ts).
      expect(op.documented, `${op.method} ${op.path}`).toEqual(expect.arrayContaining(['401', '403', '429', '503']));
      expect(SCOPE_NAMES, `${op.method} ${op.path}`).toContain(op.scope);
    }
    // What the encode-only tokens may not do is exactly the writes, keys, the audit trail and a
    // dataset's download (its rows are the training data).
    for (const op of secured) {
      const write = op.method !== 'GET' && !/\/(encode|decode|reconstruct|evaluate|density\.svg)$/.test(op.path);
      expect(op.write, `${op.method} ${op.path}`).toBe(write || /^\/v1\/(keys|audit)/.test(op.path) || /^\/v1\/datasets\/\{id\}\/download$/.test(op.path));
    }
  });

  it('should answer 401 without a token or with a wrong one, before reading the body', async () => {
    let checked = 0;
    for (const op of operations.filter((o) => o.secured)) {
      for (const token of [null, 'wrong', `${ADMIN}x`, ADMIN.toUpperCase(), ` ${ENCODE}x`]) {
        const options = op.method === 'GET' ? { method: op.method, token } : { method: op.method, token, body: 'not json', headers: { 'content-type': 'application/json' } };
        const res = await send(concrete(op.path), options);
        const problem = await expectProblem(res, 401);
        expect(res.headers.get('www-authenticate'), `${op.method} ${op.path}`).toMatch(/^Bearer realm=/);
        expect(problem.type).toBe('urn:edge-sae:problem:unauthorized');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('should answer 403 to an encode-only token on every write, and let it read', async () => {
    for (const op of operations.filter((o) => o.secured)) {
      for (const token of [ENCODE, 'second-encode-token']) {
        const res = await send(concrete(op.path), op.method === 'GET' ? { token } : { method: op.method, token, json: { inputs: TRAINING_DATA } });
        if (op.write) {
          const problem = await expectProblem(res, 403);
          expect(problem.detail).toMatch(/API_TOKEN/);
        } else {
          expect([401, 403], `${op.method} ${op.path}`).not.toContain(res.status);
          await res.body?.cancel();
        }
      }
    }
    // Nothing was deleted by all those refused writes.
    expect((await send(`/v1/models/${modelId}`)).status).toBe(200);
    expect((await send(`/v1/datasets/${datasetId}`)).status).toBe(200);
  });

  it('should compare tokens without an early exit, on digests of equal length', () => {
    const a = new Uint8Array(32).fill(7);
    const b = a.slice();
    expect(constantTimeEqual(a, b)).toBe(true);
    b[31] = 8;
    expect(constantTimeEqual(a, b)).toBe(false);
    b[31] = 7;
    b[0] = 0;
    expect(constantTimeEqual(a, b)).toBe(false);
    expect(constantTimeEqual(a, a.subarray(0, 31))).toBe(false);
  });
});

describe('ids', () => {
  it('should be 32 base32 characters, 160 random bits, with no visible bias', () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(isId(id)).toBe(true);
    // 32 × 5 = 160 bits ≥ 128. Each of the 32 symbols should appear about equally often at every position.
    const counts = Array.from({ length: 32 }, () => new Map<string, number>());
    for (const id of ids) for (let i = 0; i < 32; i++) counts[i]!.set(id[i]!, (counts[i]!.get(id[i]!) ?? 0) + 1);
    const expected = ids.length / 32;
    for (const position of counts) {
      expect(position.size).toBe(32);
      // χ² with 31 degrees of freedom: 99.99th percentile ≈ 70.
      let chi = 0;
      for (const n of position.values()) chi += (n - expected) ** 2 / expected;
      expect(chi).toBeLessThan(80);
    }
  });

  it('should give models, datasets and jobs such ids', () => {
    for (const id of [modelId, datasetId, jobId]) expect(id).toMatch(/^[a-z2-7]{32}$/);
  });
});

describe('CORS', () => {
  const origin = 'https://app.example';

  it('should send no CORS headers by default (same origin only), and not answer preflights', async () => {
    expect(env.CORS_ORIGINS ?? '').toBe('');
    const res = await send('/v1/models', { headers: { origin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await send('/v1/models', {
      method: 'OPTIONS',
      token: null,
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should allow exactly the configured origins, on successes and errors alike', async () => {
    const bindings = { CORS_ORIGINS: `${origin}, https://other.example/` };
    const ok = await send('/v1/models', { headers: { origin } }, bindings);
    expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
    expect(ok.headers.get('vary')).toMatch(/origin/i);
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const other = await send('/v1/models', { headers: { origin: 'https://other.example' } }, bindings);
    expect(other.headers.get('access-control-allow-origin')).toBe('https://other.example');
    const refused = await send('/v1/models', { headers: { origin: 'https://evil.example' } }, bindings);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    // A 401 carries the header too, so the page can read why it was refused.
    const unauthorized = await send('/v1/models', { token: null, headers: { origin } }, bindings);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(origin);
    expect(unauthorized.headers.get('access-control-expose-headers')).toMatch(/www-authenticate/);
    const preflight = await send(
      '/v1/models',
      { method: 'OPTIONS', token: null, headers: { origin, 'access-control-request-method': 'POST' } },
      bindings,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  it('should allow any origin with "*" (still no credentials: the API takes bearer tokens, not cookies)', async () => {
    const res = await send('/v1/models', { headers: { origin: 'https://anywhere.example' } }, { CORS_ORIGINS: '*' });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('rate limiting', () => {
  /** A limiter that allows `limit` calls per key and records the keys it saw. */
  function countingLimiter(limit: number) {
    const counts = new Map<string, number>();
    return {
      counts,
      binding: {
        async limit({ key }: { key: string }) {
          const n = (counts.get(key) ?? 0) + 1;
          counts.set(key, n);
          return { success: n <= limit };
        },
      },
    };
  }

  it('should have the RATE_LIMITER binding configured (wrangler.toml [[ratelimits]])', () => {
    expect(typeof env.RATE_LIMITER?.limit).toBe('function');
  });

  it('should answer 429 with Retry-After once a token is over its limit, per token, keyed by its digest', async () => {
    const limiter = countingLimiter(3);
    const bindings = { RATE_LIMITER: limiter.binding };
    const path = `/v1/models/${modelId}/encode`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(path, { token: ENCODE, json: { inputs: TRAINING_DATA } }, bindings)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await send(path, { token: ENCODE, json: { inputs: TRAINING_DATA } }, bindings);
    const problem = await expectProblem(res, 429);
    expect(problem.type).toBe('urn:edge-sae:problem:rate-limited');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another token has its own budget.
    expect((await send(path, { token: 'second-encode-token', json: { inputs: TRAINING_DATA } }, bindings)).status).toBe(200);
    // Keys are digests, never the token; unauthenticated requests are refused before counting.
    expect((await send(path, { token: 'wrong', json: { inputs: TRAINING_DATA } }, bindings)).status).toBe(401);
    expect(limiter.counts.size).toBe(2);
    for (const key of limiter.counts.keys()) {
      expect(key).toMatch(/^token:[0-9a-f]{32}$/);
      expect(key).not.toContain(ENCODE);
    }
  });

  it('should let requests through when the limiter itself fails', async () => {
    const bindings = { RATE_LIMITER: { limit: async () => Promise.reject(new Error('limiter down')) } };
    expect((await send('/v1/models', { token: ENCODE }, bindings)).status).toBe(200);
  });

  it('should limit with the real binding (miniflare, 1000 requests per 10 s a token)', async () => {
    const token = 'rate-limit-test-token';
    const bindings = { RATE_LIMITER: env.RATE_LIMITER, ENCODE_TOKENS: token };
    let ok = 0;
    let limited = 0;
    // Two windows at most: the limit must bite within 2,100 requests.
    for (let sent = 0; sent < 2_100 && limited === 0; sent += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => send(`/v1/models/${newId()}`, { token }, bindings)));
      for (const res of batch) {
        if (res.status === 429) limited++;
        else if (res.status === 404) ok++;
        else throw new Error(`unexpected ${res.status}`);
      }
    }
    expect(limited).toBeGreaterThan(0);
    expect(ok).toBeGreaterThanOrEqual(1000);
  }, 60_000);
});

describe('batch encodes and keys limited to models (issue 24, item 12)', () => {
  it('should let a key limited to one model read and cancel only the batch encodes of it, and audit the created job', async () => {
    const otherModel = (await trainModel({ training: { epochs: 5, seed: 9 } })).id;
    const start = async (model: string) => {
      const res = await send(`/v1/models/${model}/encode-jobs`, { json: { datasetId } });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string; outputId: string }).id;
    };
    const mine = await start(modelId);
    const theirs = await start(otherModel);
    // The audit entry of a start names the created batch encode, and the model it is on.
    const [entry] = ((await (await send('/v1/audit?limit=1')).json()) as { entries: { action: string; target: string; model: string }[] }).entries;
    expect(entry).toMatchObject({ action: 'POST /v1/models/:id/encode-jobs', target: theirs, model: otherModel });

    const created = await send('/v1/keys', { json: { name: 'one-model-jobs', scopes: ['jobs:read', 'jobs:write'], models: [modelId] } });
    const key = ((await created.json()) as { secret: string }).secret;
    expect((await send(`/v1/encode-jobs/${mine}`, { token: key })).status).toBe(200);
    const read = await expectProblem(await send(`/v1/encode-jobs/${theirs}`, { token: key }), 403);
    expect(read.detail).toContain(otherModel);
    await expectProblem(await send(`/v1/encode-jobs/${theirs}`, { method: 'DELETE', token: key }), 403);
    // Refused: the other model's encode is not cancelled.
    const after = (await (await send(`/v1/encode-jobs/${theirs}`)).json()) as { status: string };
    expect(after.status).not.toBe('cancelled');
    const cancelled = await send(`/v1/encode-jobs/${mine}`, { method: 'DELETE', token: key });
    expect(cancelled.status).toBe(200);
    const [cancelEntry] = ((await (await send('/v1/audit?limit=1')).json()) as { entries: { target: string; model: string }[] }).entries;
    expect(cancelEntry).toMatchObject({ target: mine, model: modelId });
    await send(`/v1/encode-jobs/${theirs}`, { method: 'DELETE' });
  }, 60_000);
});
