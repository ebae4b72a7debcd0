/**
 * Property-based fuzzing of every route (fast-check, seeded): method, path, query, headers and
 * body, from almost-valid requests to garbage, with every kind of token. Each answer must be a
 * success or a 4xx problem+json, within a time limit, never a 5xx; no answer may contain a stack
 * trace, an internal path or a token the request did not itself send; a missing or wrong token
 * must get 401 and a token without the route's scope 403. Managed keys are tokens too (a key of
 * every scope, a read-and-encode key, one limited to a protected model) beside revoked, expired,
 * forged, truncated and flipped ones (401 on every secured route), and POST /v1/keys gets valid
 * requests with one field broken; no answer but the one that created a key may carry its secret
 * (nor anything shaped like one). After every batch, storage is compared
 * with its state before: every object added, changed or removed must belong to a model, dataset
 * or job that an admin request of the fuzzer was answered a success for, and the protected
 * models (which admin cases never target) must be byte for byte what they were.
 *
 * `npm test` runs FUZZ_RUNS_DEFAULT cases with a fixed seed; `npm run fuzz -- --runs N --seed S`
 * runs more (scripts/fuzz.ts passes them in with vitest's `provide`). The seed is printed.
 * Most cases go through `app.request` with tight limits (so valid training stays cheap and the
 * limits themselves get hit); non-admin cases go half the time through the Worker's own fetch
 * (SELF, up to MAX_WORKER_CALLS of them: see UNKNOWN_IDS for why there is a cap).
 */
import { SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { KEY_CACHE_MS } from '../../src/api/keys/lookup.js';
import { ADMIN_SCOPES, ENCODE_SCOPES, isModelFamily, SCOPE_NAMES, type Scope } from '../../src/api/scopes.js';
import { newId } from '../../src/api/storage-keys.js';
import { ADMIN_TOKENS, fuzzCase, mutateJson, REFUSED_TOKENS, routesOf, type FuzzCase, type RouteTemplate, type TokenKind } from './fuzz-cases.js';
import { ADMIN, ENCODE, TRAINING_DATA } from './helpers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    fuzzRuns?: number;
    fuzzSeed?: number;
    fuzzDebug?: boolean;
  }
}

const FUZZ_RUNS_DEFAULT = 2_000;
const RUNS = inject('fuzzRuns') ?? FUZZ_RUNS_DEFAULT;
const SEED = inject('fuzzSeed') ?? 20_260_707;
const BATCH = 25;
/** `npm run fuzz -- --debug`: print every refused admin request with a shaped body. */
const DEBUG = inject('fuzzDebug') ?? false;
const ANSWER_TIMEOUT_MS = 20_000;
const STREAM_READ_MS = 2_000;
const ENCODE2 = 'second-encode-token';
const SECRETS = [ADMIN, ENCODE, ENCODE2];
/**
 * Well-formed ids that name nothing: a few, reused. (Each new job id makes a Durable Object
 * instance, and vitest-pool-workers 0.15 wraps the class's prototype in one more Proxy at every
 * construction, so thousands of distinct ids slow the run quadratically and finally overflow the
 * stack inside the pool, not the Worker.)
 */
const UNKNOWN_IDS = Array.from({ length: 8 }, () => newId());
/** The same pool wrapper nests on every SELF.fetch too: at most this many cases go through it. */
const MAX_WORKER_CALLS = 1_000;

/** Tight limits, so a valid training request stays cheap and every limit gets hit. */
const LIMITS = {
  MAX_BODY_BYTES: '65536',
  MAX_MODEL_BYTES: '262144',
  MAX_ROWS: '64',
  MAX_COLUMNS: '64',
  MAX_CELLS: '4096',
  MAX_HIDDEN_SIZE: '64',
  MAX_PARAMETERS: '20000',
  MAX_EPOCHS: '20',
  MAX_TRAIN_FLOPS: '5e6',
  MAX_LIST_LIMIT: '50',
  MAX_DATASET_BYTES: '65536',
  MAX_DATASET_ROWS: '500',
  MAX_DATASET_CELLS: '8192',
  MAX_JOB_EPOCHS: '20',
  MAX_JOB_FLOPS: '1e7',
};
const OVERSIZED = 300_000;

/** Rate limiting has its own tests (access.test.ts); here it would only turn cases into 429s. */
const fuzzEnv = (corsOrigins: string) => ({ ...env, ...LIMITS, CORS_ORIGINS: corsOrigins, RATE_LIMITER: undefined });

interface Pools {
  models: { protected: string[]; scratch: string[] };
  datasets: { protected: string[]; scratch: string[] };
  jobs: { protected: string[]; scratch: string[] };
  /** Managed keys: protected = the keys the cases use as tokens; scratch = keys admin cases may revoke. */
  keys: { protected: string[]; scratch: string[] };
}
const pools: Pools = {
  models: { protected: [], scratch: [] },
  datasets: { protected: [], scratch: [] },
  jobs: { protected: [], scratch: [] },
  keys: { protected: [], scratch: [] },
};

/** A managed key as POST /v1/keys answers it. */
interface CreatedKey {
  id: string;
  secret: string;
  scopes: Scope[];
  models: string[] | null;
}
/** The managed keys used as tokens (beforeAll). */
const tokenKeys = {} as Record<'admin' | 'reader' | 'model', CreatedKey>;
/** The secrets of revoked keys: the one beforeAll revokes, then every scratch key an admin case revoked. */
const revokedSecrets: string[] = [];
let expiredSecret = '';
/** Every managed key's secret the fuzzer has seen created, by key id: none may be in any other answer. */
const keySecrets = new Map<string, string>();
/** Anything shaped like a managed key's secret (src/api/keys/secret.ts). */
const SECRET_SHAPE = /esk_[a-z2-7]{32}_[a-z2-7]{32}/g;
/** Ids an admin request was answered a success for: storage changes to these are entitled. */
const entitled = new Set<string>();
const adminJobs = new Set<string>();
let routes: RouteTemplate[] = [];
let modelFile: unknown;
/** The stored bytes of each protected model (the R2 object's body, binary form), which no case may change. */
const protectedBytes = new Map<string, Uint8Array>();

const stats = {
  cases: 0,
  unsendable: 0,
  viaWorker: 0,
  byStatus: new Map<number, number>(),
  byRoute: new Map<string, number>(),
  byShape: new Map<string, number>(),
  msByShape: new Map<string, number>(),
  /** Answers to admin requests with shaped bodies: how deep they got. */
  shapedOutcomes: new Map<string, number>(),
  /** Statuses by token kind, e.g. "key-revoked 401". */
  byToken: new Map<string, number>(),
  keysCreated: 0,
  keysRevoked: 0,
  batches: 0,
  storageChangesChecked: 0,
};
const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${ADMIN}`);
  if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return app.request(new Request(`http://edge-sae.test${path}`, { ...init, headers }), undefined, fuzzEnv(''));
}

async function created(res: Response): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(300);
  return (JSON.parse(text) as { id: string }).id;
}

beforeAll(async () => {
  // Every operation of the app's own OpenAPI document, and the pages' paths (fuzz-cases.ts).
  routes = routesOf((await (await admin('/openapi.json')).json()) as Parameters<typeof routesOf>[0]);

  const train = (seed: number) => JSON.stringify({ data: TRAINING_DATA, training: { epochs: 5, seed } });
  for (const seed of [1, 2]) pools.models.protected.push(await created(await admin('/v1/models', { method: 'POST', body: train(seed) })));
  for (const seed of [3, 4, 5]) pools.models.scratch.push(await created(await admin('/v1/models', { method: 'POST', body: train(seed) })));
  modelFile = await (await admin(`/v1/models/${pools.models.protected[0]}/export`)).json();
  for (const id of pools.models.protected) protectedBytes.set(id, (await storedBytes(id))!);

  const rows = JSON.stringify(TRAINING_DATA);
  pools.datasets.protected.push(await created(await admin('/v1/datasets', { method: 'POST', body: rows })));
  pools.datasets.scratch.push(await created(await admin('/v1/datasets', { method: 'POST', body: rows })));
  const job = JSON.stringify({ datasetId: pools.datasets.protected[0], training: { epochs: 3 } });
  pools.jobs.scratch.push(await created(await admin('/v1/jobs', { method: 'POST', body: job })));
  for (const id of [...pools.models.scratch, ...pools.datasets.scratch, ...pools.jobs.scratch]) entitled.add(id);
  for (const id of pools.jobs.scratch) adminJobs.add(id);

  // Managed keys: three that work, one that expires in a moment, one revoked after being used
  // (through app.request and through the Worker, so both have looked it up), and two scratch keys.
  const key = async (body: Record<string, unknown>): Promise<CreatedKey> => {
    const res = await admin('/v1/keys', { method: 'POST', body: JSON.stringify(body) });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const created = JSON.parse(text) as CreatedKey;
    keySecrets.set(created.id, created.secret);
    return created;
  };
  tokenKeys.admin = await key({ name: 'fuzz-admin', scopes: [...SCOPE_NAMES] });
  tokenKeys.reader = await key({ name: 'fuzz-reader', scopes: [...ENCODE_SCOPES] });
  tokenKeys.model = await key({ name: 'fuzz-model', scopes: ['models:read', 'models:encode'], models: [pools.models.protected[0]] });
  pools.keys.protected.push(tokenKeys.admin.id, tokenKeys.reader.id, tokenKeys.model.id);
  const expiresAt = Date.now() + 1_000;
  expiredSecret = (await key({ name: 'fuzz-expired', scopes: ['models:read'], expiresAt: new Date(expiresAt).toISOString() })).secret;
  const revoked = await key({ name: 'fuzz-revoked', scopes: ['models:read'] });
  const authorized = { headers: { authorization: `Bearer ${revoked.secret}` } };
  expect((await app.request('http://edge-sae.test/v1/models', authorized, fuzzEnv(''))).status).toBe(200);
  expect((await SELF.fetch('http://edge-sae.test/v1/models', authorized)).status).toBe(200);
  const usedAt = Date.now();
  expect((await admin(`/v1/keys/${revoked.id}`, { method: 'DELETE' })).status).toBe(204);
  revokedSecrets.push(revoked.secret);
  for (let i = 0; i < 2; i++) pools.keys.scratch.push((await key({ name: `fuzz-scratch-${i}`, scopes: ['models:read'] })).id);
  // Past the expiry, and past the documented bound on revocation (KEY_CACHE_MS) for every isolate.
  await sleep(Math.max(expiresAt, usedAt + KEY_CACHE_MS) - Date.now() + 50);
}, 120_000);

function poolOf(path: string): Pools[keyof Pools] {
  if (path.startsWith('/v1/datasets')) return pools.datasets;
  if (path.startsWith('/v1/jobs')) return pools.jobs;
  if (path.startsWith('/v1/keys')) return pools.keys;
  return pools.models;
}

/** The scopes and model limit of a token that authenticates; null for one that must get 401. */
function grantOf(kind: TokenKind): { scopes: readonly Scope[]; models: string[] | null } | null {
  switch (kind) {
    case 'admin':
      return { scopes: ADMIN_SCOPES, models: null };
    case 'encode':
    case 'encode2':
      return { scopes: ENCODE_SCOPES, models: null };
    case 'key-admin':
      return tokenKeys.admin;
    case 'key-reader':
      return tokenKeys.reader;
    case 'key-model':
      return tokenKeys.model;
    default:
      return null;
  }
}

function authorization(c: FuzzCase): string | null {
  const kind = c.token;
  switch (kind) {
    case 'key-admin':
      return `Bearer ${tokenKeys.admin.secret}`;
    case 'key-reader':
      return `Bearer ${tokenKeys.reader.secret}`;
    case 'key-model':
      return `Bearer ${tokenKeys.model.secret}`;
    case 'key-revoked':
      return `Bearer ${revokedSecrets[c.idPick % revokedSecrets.length]}`;
    case 'key-expired':
      return `Bearer ${expiredSecret}`;
    case 'key-forged': {
      // A real key's id with a made-up secret, or a made-up id.
      const real = [tokenKeys.admin, tokenKeys.reader, tokenKeys.model][c.idPick % 3]!;
      return `Bearer esk_${c.idPick % 2 === 0 ? real.id : c.forgery}_${c.forgery}`;
    }
    case 'key-truncated': {
      const secret = tokenKeys.reader.secret;
      return `Bearer ${secret.slice(0, secret.length - 1 - (c.idPick % secret.length))}`;
    }
    case 'key-flipped': {
      // One character changed, to another of the alphabet where it is one (the token keeps its shape), anywhere in it.
      const secret = tokenKeys.admin.secret;
      const at = c.idPick % secret.length;
      const was = secret[at]!;
      const now = /[a-z2-7]/.test(was) ? (c.forgery[at % 32] === was ? (was === 'a' ? 'b' : 'a') : c.forgery[at % 32]!) : was === '_' ? '-' : 'E';
      return `Bearer ${secret.slice(0, at)}${now}${secret.slice(at + 1)}`;
    }
    case 'admin':
      return `Bearer ${ADMIN}`;
    case 'encode':
      return `Bearer ${ENCODE}`;
    case 'encode2':
      return `bearer   ${ENCODE2}`;
    case 'wrong':
      return 'Bearer not-a-token';
    case 'truncated':
      return `Bearer ${ADMIN.slice(0, -1)}`;
    case 'malformed':
      return `Bearer ${ADMIN} ${ENCODE}`;
    case 'basic':
      return `Basic ${btoa(`admin:${ADMIN}`)}`;
    case 'none':
      return null;
  }
}

interface Built {
  request: Request;
  /** Everything the request carried, to tell a reflected string from a leaked one. */
  sent: string;
  /** The same without the Authorization header: a key's secret sent as the token must never come back. */
  sentButToken: string;
  /** The path matched a route exactly (so the access rules can be asserted). */
  exact: boolean;
  id: string | null;
}

function build(c: FuzzCase): Built | null {
  const route = routes[c.route]!;
  const method = c.method ?? route.method;
  const pool = poolOf(route.path);
  let id: string | null = null;
  let path = route.path;
  if (path.includes('{id}')) {
    let kind = c.idKind;
    // Admin cases never touch the protected objects: those must come out unchanged.
    if (kind === 'protected' && ADMIN_TOKENS.includes(c.token)) kind = 'scratch';
    const list = kind === 'protected' ? pool.protected : pool.scratch;
    if ((kind === 'protected' || kind === 'scratch') && list.length > 0) id = list[c.idPick % list.length]!;
    else if (kind === 'garbage') id = c.garbageId;
    else id = UNKNOWN_IDS[c.idPick % UNKNOWN_IDS.length]!;
    path = path.replace('{id}', encodeURIComponent(id));
  }
  // A part number: mostly one of an upload's first few, sometimes garbage.
  if (path.includes('{n}')) path = path.replace('{n}', c.idKind === 'garbage' ? encodeURIComponent(c.garbageId) : String(c.idPick % 5));
  // A feature number: mostly one of the first few (the fuzzed models have 12), sometimes garbage.
  if (path.includes('{j}')) path = path.replace('{j}', c.idKind === 'garbage' ? encodeURIComponent(c.garbageId) : String(c.idPick % 16));
  switch (c.pathMutation) {
    case 'trailing-slash':
      path += '/';
      break;
    case 'extra-segment':
      path += `/${encodeURIComponent(c.extraSegment)}`;
      break;
    case 'double-slash':
      path = path.replace('/v1/', '//v1//');
      break;
    case 'dot-segment':
      path = path.replace('/v1/', '/v1/x/../');
      break;
    case 'upper-case':
      path = path.toUpperCase();
      break;
    case 'encoded':
      path = path.replace(/[a-z]/, (ch) => `%${ch.charCodeAt(0).toString(16)}`);
      break;
    case 'none':
      break;
  }
  const search = new URLSearchParams(c.query).toString();
  const headers = new Headers();
  const auth = authorization(c);
  if (auth !== null) headers.set('authorization', auth);
  if (c.contentType !== null) headers.set('content-type', c.contentType);
  if (c.origin !== null) headers.set('origin', c.origin);
  for (const [name, value] of c.extraHeaders) headers.set(name, value);

  let body: string | Uint8Array | undefined;
  switch (c.bodyKind) {
    case 'none':
      break;
    case 'shaped':
      if (c.shape === 'import') {
        const [pick, op, value] = c.body as [number, string, unknown];
        body = JSON.stringify(mutateJson(modelFile, pick, op, value));
      } else if (c.shape === 'part') {
        body = c.body as Uint8Array;
      } else if (c.shape === 'key') {
        body = JSON.stringify(c.body, (_, value: unknown) => (typeof value === 'string' ? keyPlaceholder(value, c.idPick) : value)) ?? 'null';
      } else if (c.shape === 'job' && Object.values(c.body as object).includes('@dataset')) {
        const datasetId = pools.datasets.scratch[c.idPick % Math.max(1, pools.datasets.scratch.length)] ?? 'none';
        const job = c.body as { datasetId?: unknown; validationDatasetId?: unknown };
        const real = (field: 'datasetId' | 'validationDatasetId') => (job[field] === '@dataset' ? { [field]: datasetId } : {});
        body = JSON.stringify({ ...job, ...real('datasetId'), ...real('validationDatasetId') });
      } else {
        // Half the shaped bodies get one field changed, anywhere in them.
        const value = c.mutation ? mutateJson({ body: c.body }, ...c.mutation) : { body: c.body };
        body = JSON.stringify((value as { body?: unknown }).body) ?? 'null';
      }
      break;
    case 'json-random':
      body = JSON.stringify(c.body) ?? 'null';
      break;
    case 'oversized':
      body = '[' + '1,'.repeat(OVERSIZED / 2) + '1]';
      break;
    default:
      body = c.body as string | Uint8Array;
  }
  if (method === 'GET' || method === 'HEAD') body = undefined;
  let request: Request;
  try {
    request = new Request(`http://edge-sae.test${path}${search ? `?${search}` : ''}`, { method, headers, body });
  } catch {
    return null;
  }
  const sentBody = body === undefined ? '' : typeof body === 'string' ? body : latin1(body);
  const sent = [decodeSafely(path), decodeSafely(search), ...[...headers].flat(), sentBody].join('\n');
  const sentButToken = [decodeSafely(path), decodeSafely(search), ...[...headers].filter(([name]) => name !== 'authorization').flat(), sentBody].join('\n');
  const exact = c.method === null && c.pathMutation === 'none' && (id === null || /^[A-Za-z0-9_-]+$/.test(id));
  return { request, sent, sentButToken, exact, id };
}

/** A key request's placeholders: '@model' a real model's id (variants: upper case, a leading space), '@unknown-model' an id of none, '@in:<ms>' a time from now. */
function keyPlaceholder(value: string, pick: number): string {
  const models = [...pools.models.protected, ...pools.models.scratch];
  const model = models[pick % models.length] ?? UNKNOWN_IDS[0]!;
  if (value === '@model') return model;
  if (value === '@model-upper') return model.toUpperCase();
  if (value === ' @model') return ` ${model}`;
  if (value === '@unknown-model') return UNKNOWN_IDS[pick % UNKNOWN_IDS.length]!;
  if (value.startsWith('@in:')) return new Date(Date.now() + Number(value.slice(4))).toISOString();
  return value;
}

function decodeSafely(text: string): string {
  try {
    return `${text}\n${decodeURIComponent(text)}`;
  } catch {
    return text;
  }
}

async function answer(res: Response): Promise<string> {
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream') && res.body) {
    // A job's event stream ends when the job does; read what comes within a moment, then hang up.
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + STREAM_READ_MS;
    while (Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), sleep(deadline - Date.now()).then(() => null)]);
      if (chunk === null || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    await reader.cancel().catch(() => undefined);
    return text;
  }
  return latin1(new Uint8Array(await res.arrayBuffer()));
}

/** Bytes as text, one character a byte (binary answers such as PNG included). */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

/** The secret in POST /v1/keys's 201 answer. */
function createdSecret(text: string): string | null {
  try {
    const secret = (JSON.parse(text) as { secret?: unknown }).secret;
    return typeof secret === 'string' ? secret : null;
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, Math.max(0, ms)));
}

/** A stack frame, a source location, an internal path: never in an answer unless the caller sent it. */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\n\s+at |\bat [\w$.<>]+ \(/],
  ['a source location', /\.[tj]s:\d+/],
  ['an internal path', /\/work\/|node_modules|\bsrc\/[\w/-]+\.[tj]s/],
];

function fail(message: string, c: FuzzCase, built: Built, status?: number, text?: string): never {
  const { request } = built;
  throw new Error(
    `${message}\n  ${request.method} ${request.url} (token ${c.token}, body ${c.bodyKind}/${c.shape})` +
      (status === undefined ? '' : `\n  → ${status} ${(text ?? '').slice(0, 600)}`),
  );
}

async function runCase(c: FuzzCase): Promise<void> {
  const built = build(c);
  if (!built) {
    stats.unsendable++;
    return;
  }
  const route = routes[c.route]!;
  const { request } = built;
  const viaWorker = c.viaWorker && stats.viaWorker < MAX_WORKER_CALLS;
  if (viaWorker) stats.viaWorker++;
  const send = viaWorker ? SELF.fetch(request) : app.request(request, undefined, fuzzEnv(c.corsOrigins));
  const started = Date.now();
  const timedOut = Symbol('timeout');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<typeof timedOut>((done) => (timer = setTimeout(() => done(timedOut), ANSWER_TIMEOUT_MS)));
  // (The timer is cleared at once: workerd allows 10,000 pending timeouts, a long run sends more.)
  const res = await Promise.race([send, limit]).finally(() => clearTimeout(timer));
  if (res === timedOut) fail(`no answer within ${ANSWER_TIMEOUT_MS} ms`, c, built);
  const response = res as Response;
  const text = await answer(response);
  const { status } = response;
  stats.cases++;
  bump(stats.byStatus, status);
  bump(stats.byRoute, `${route.method} ${route.path}`);
  bump(stats.byShape, c.shape);
  stats.msByShape.set(c.shape, (stats.msByShape.get(c.shape) ?? 0) + Date.now() - started);

  if (status >= 500) fail('a 5xx answer', c, built, status, text);
  if (status >= 300 && status !== 304 && status < 400) fail('an unexpected redirect', c, built, status, text);
  const type = response.headers.get('content-type') ?? '';
  if (status >= 400) {
    if (type !== 'application/problem+json') fail(`a ${status} that is not problem+json (${type})`, c, built, status, text);
    if (request.method !== 'HEAD') {
      let problem: { status?: unknown; type?: unknown; title?: unknown };
      try {
        problem = JSON.parse(text) as typeof problem;
      } catch {
        fail('a problem body that is not JSON', c, built, status, text);
      }
      if (problem.status !== status || typeof problem.type !== 'string' || typeof problem.title !== 'string') {
        fail('a problem body without status/type/title', c, built, status, text);
      }
    }
  } else if (type.startsWith('application/json') && request.method !== 'HEAD' && status !== 204) {
    try {
      JSON.parse(text);
    } catch {
      fail('a JSON success whose body is not JSON', c, built, status, text);
    }
  }
  for (const secret of SECRETS) {
    if (text.includes(secret) && !built.sent.includes(secret)) fail(`the token ${secret} in the answer`, c, built, status, text);
  }
  // A managed key's secret: only in the answer that created it, never echoed back (not even to its own bearer).
  const creating = status === 201 && route.path === '/v1/keys' && route.method === 'POST' ? createdSecret(text) : null;
  for (const [found] of text.matchAll(SECRET_SHAPE)) {
    if (found !== creating && !built.sentButToken.includes(found)) fail(`a key's secret in the answer (${found})`, c, built, status, text);
  }
  for (const secret of keySecrets.values()) {
    if (secret !== creating && text.includes(secret) && !built.sentButToken.includes(secret)) fail('a key\'s secret in the answer', c, built, status, text);
  }
  if (creating !== null) {
    const id = (JSON.parse(text) as { id: string }).id;
    keySecrets.set(id, creating);
    stats.keysCreated++;
  }
  if (type.includes('json') || status >= 400) {
    for (const [what, pattern] of LEAKS) {
      const found = pattern.exec(text);
      if (found && !built.sent.includes(found[0].trim())) fail(`${what} in the answer (${found[0]})`, c, built, status, text);
    }
  }

  bump(stats.byToken, `${c.token} ${status}`);
  if (c.bodyKind === 'shaped' && ADMIN_TOKENS.includes(c.token) && c.method === null) {
    let kind = '';
    try {
      kind = String((JSON.parse(text) as { type?: string }).type ?? '').replace('urn:edge-sae:problem:', '');
    } catch {
      // not JSON
    }
    if (DEBUG && status >= 400) console.log(c.shape, status, text.slice(0, 300));
    bump(stats.shapedOutcomes, `${c.shape} ${status}${status >= 400 ? ` ${kind}` : ''}`);
  }

  // Access: who may do what. Admin tokens (API_TOKEN, a managed key of every scope) may write;
  // the rest get 401 (refused tokens) or 403 (no scope for the route, or another model).
  const admin = ADMIN_TOKENS.includes(c.token);
  const grant = grantOf(c.token);
  if (route.write && !admin && status < 300 && c.method === null && request.method !== 'OPTIONS') {
    fail('a write answered a success without an admin token', c, built, status, text);
  }
  if (built.exact && !route.public) {
    if (grant === null) {
      if (status !== 401) fail(`expected 401 for token "${c.token}"`, c, built, status, text);
    } else if (!(viaWorker && status === 429)) {
      const refused = !grant.scopes.includes(route.scope as Scope) || (grant.models !== null && isModelFamily(route.path) && !grant.models.includes(built.id ?? ''));
      if (refused && status !== 403) fail(`expected 403 for token "${c.token}" on a route of scope ${route.scope}`, c, built, status, text);
      if (!refused && (status === 401 || status === 403)) fail(`expected token "${c.token}" to pass on a route of scope ${route.scope}`, c, built, status, text);
    }
  }

  // What an admin success may change: note it.
  if (admin && status < 300) {
    let body: { id?: unknown; modelId?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON (export, pictures, 204)
    }
    if (built.id !== null) entitled.add(built.id);
    for (const value of [body.id, body.modelId]) if (typeof value === 'string') entitled.add(value);
    const pool = poolOf(route.path);
    if (typeof body.id === 'string' && (status === 201 || status === 202)) {
      pool.scratch.push(body.id);
      if (status === 202) adminJobs.add(body.id);
    }
    if (request.method === 'DELETE' && status === 204 && built.id !== null) {
      pool.scratch = pool.scratch.filter((x) => x !== built.id);
      // A revoked key: from now on a token that must get 401 everywhere.
      const secret = route.path.startsWith('/v1/keys') ? keySecrets.get(built.id) : undefined;
      if (secret !== undefined) {
        revokedSecrets.push(secret);
        stats.keysRevoked++;
      }
    }
  }
}

/** Every object in the bucket: key → etag. */
async function snapshot(): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await env.MODELS.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
    for (const object of page.objects) objects.set(object.key, object.etag);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return objects;
}

/** models/{id}.json, datasets/{id}.json, dataset-shards/{id}/{i}.bin, jobs/{id}/… → id. */
function ownerOf(key: string): string {
  const rest = key.split('/')[1] ?? key;
  return rest.replace(/\..*$/, '');
}

async function refreshJobs(): Promise<void> {
  for (const id of adminJobs) {
    const res = await admin(`/v1/jobs/${id}`);
    if (res.status !== 200) continue;
    const job = (await res.json()) as { modelId?: string | null };
    if (job.modelId) entitled.add(job.modelId);
  }
}

async function checkStorage(before: Map<string, string>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const after = await snapshot();
    const changed = new Set<string>();
    for (const [key, etag] of after) if (before.get(key) !== etag) changed.add(key);
    for (const key of before.keys()) if (!after.has(key)) changed.add(key);
    const unexplained = [...changed].filter((key) => !entitled.has(ownerOf(key)));
    stats.storageChangesChecked += changed.size;
    if (unexplained.length === 0) break;
    // A job may have saved its model since we last looked at it.
    if (attempt >= 5) throw new Error(`storage changed without an entitled request: ${unexplained.join(', ')}`);
    await refreshJobs();
    await sleep(300);
  }
  for (const [id, bytes] of protectedBytes) {
    const now = await storedBytes(id);
    if (now === null || now.length !== bytes.length || now.some((byte, k) => byte !== bytes[k])) throw new Error(`protected model ${id} changed`);
  }
}

async function storedBytes(id: string): Promise<Uint8Array | null> {
  const object = await env.MODELS.get(`models/${id}.json`);
  return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

describe('fuzzing every route', () => {
  it(
    'should answer every request with a success or a 4xx problem, in time, leaking nothing and changing nothing it may not',
    async () => {
      console.log(`fuzz: seed ${SEED}, ${RUNS} cases in batches of ${BATCH}, ${routes.length} routes (reproduce: npm run fuzz -- --seed ${SEED} --runs ${RUNS})`);
      const started = Date.now();
      await fc.assert(
        fc.asyncProperty(fc.array(fuzzCase(routes), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const before = await snapshot();
          for (const c of batch) await runCase(c);
          await checkStorage(before);
          stats.batches++;
        }),
        { seed: SEED, numRuns: Math.ceil(RUNS / BATCH), endOnFailure: true },
      );
      const seconds = (Date.now() - started) / 1000;
      const summary = {
        event: 'fuzz.summary',
        seed: SEED,
        cases: stats.cases,
        unsendable: stats.unsendable,
        viaWorker: stats.viaWorker,
        batches: stats.batches,
        seconds: Number(seconds.toFixed(1)),
        storageChangesChecked: stats.storageChangesChecked,
        byStatus: Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])),
        byShape: Object.fromEntries(stats.byShape),
        msByShape: Object.fromEntries(stats.msByShape),
        shapedOutcomes: Object.fromEntries([...stats.shapedOutcomes].sort()),
        byToken: Object.fromEntries([...stats.byToken].sort()),
        keysCreated: stats.keysCreated,
        keysRevoked: stats.keysRevoked,
        routes: routes.length,
      };
      console.log(JSON.stringify(summary));
      expect(stats.cases).toBeGreaterThanOrEqual(RUNS * 0.95);
      // Every route was fuzzed.
      for (const route of routes) expect(stats.byRoute.get(`${route.method} ${route.path}`) ?? 0, `${route.method} ${route.path}`).toBeGreaterThan(0);
    },
    Math.max(300_000, RUNS * 200),
  );
});
