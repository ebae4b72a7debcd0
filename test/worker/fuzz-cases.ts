/**
 * The fuzzer's cases: fast-check arbitraries for every route's method, path, query, headers and
 * body, from well-formed requests with one field gone wrong to garbage, and the checks every
 * answer must pass. Routes come from the app's own OpenAPI document (plus the public pages), so
 * a route added later is fuzzed without editing this file. Used by fuzz.test.ts (npm test) and
 * by scripts/fuzz.ts (npm run fuzz, a longer run of the same test).
 */
import fc from 'fast-check';
import { SCOPE_NAMES } from '../../src/api/scopes.js';

/** A route: method, path template (`{id}`, and `{n}` for a part number) and who may call it. */
export interface RouteTemplate {
  method: string;
  path: string;
  /** No token needed. */
  public: boolean;
  /** Needs the admin token (an encode-only token gets 403). */
  write: boolean;
  /** The scope its security requirement names (src/api/scopes.ts); null for a public route. */
  scope: string | null;
}

/**
 * The pages' paths: the static assets (the playground, /docs; test/browser/ covers them under
 * wrangler dev) answer them before the Worker, but the Worker must still answer them sanely when
 * it sees them (where no assets are served: a problem+json 404, as any unknown path).
 */
export const PAGE_PATHS = ['/', '/docs'] as const;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * The routes the fuzzer calls: every operation of the OpenAPI document, and the pages, sorted.
 * The README's count of them is generated from the same function (scripts/docs/fuzz-routes.ts).
 */
export function routesOf(doc: { paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>> }): RouteTemplate[] {
  const routes: RouteTemplate[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!HTTP_METHODS.has(method)) continue;
      const upper = method.toUpperCase();
      const read = upper === 'GET' || /\/(encode|decode|reconstruct|evaluate|density\.svg)$/.test(path);
      const scope = Object.values(operation.security?.[0] ?? {})[0]?.[0] ?? null;
      routes.push({ method: upper, path, public: !operation.security?.length, write: !read, scope });
    }
  }
  for (const path of PAGE_PATHS) routes.push({ method: 'GET', path, public: true, write: false, scope: null });
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

/**
 * The bootstrap tokens (API_TOKEN, two of ENCODE_TOKENS), managed keys that work (`key-admin`:
 * every scope; `key-reader`: read and encode; `key-model`: read and encode one protected model),
 * managed keys that must not (`key-revoked`: created, used, revoked; `key-expired`;
 * `key-forged`: a real key's id with a made-up secret, or a made-up id; `key-truncated`: a real
 * secret cut short; `key-flipped`: a real secret with one character changed), and broken headers.
 */
export type TokenKind =
  | 'none'
  | 'admin'
  | 'encode'
  | 'encode2'
  | 'wrong'
  | 'truncated'
  | 'malformed'
  | 'basic'
  | 'key-admin'
  | 'key-reader'
  | 'key-model'
  | 'key-revoked'
  | 'key-expired'
  | 'key-forged'
  | 'key-truncated'
  | 'key-flipped';

/** Tokens that may do everything: admin cases (they never target protected objects). */
export const ADMIN_TOKENS: readonly TokenKind[] = ['admin', 'key-admin'];
/** Tokens that must be refused with 401 on every secured route. */
export const REFUSED_TOKENS: readonly TokenKind[] = ['none', 'wrong', 'truncated', 'malformed', 'basic', 'key-revoked', 'key-expired', 'key-forged', 'key-truncated', 'key-flipped'];
export type IdKind = 'protected' | 'scratch' | 'valid-unknown' | 'garbage';
export type BodyKind =
  | 'none'
  | 'shaped'
  | 'json-random'
  | 'json-broken'
  | 'json-deep'
  | 'csv'
  | 'binary'
  | 'text'
  | 'oversized';

export interface FuzzCase {
  route: number;
  /** Another method than the route's (405-ish: must be 404 or handled). */
  method: string | null;
  token: TokenKind;
  idKind: IdKind;
  idPick: number;
  garbageId: string;
  /** Path mutation: none, trailing slash, extra segment, double slash, dot segment, case change. */
  pathMutation: 'none' | 'trailing-slash' | 'extra-segment' | 'double-slash' | 'dot-segment' | 'upper-case' | 'encoded';
  extraSegment: string;
  query: [string, string][];
  contentType: string | null;
  origin: string | null;
  extraHeaders: [string, string][];
  bodyKind: BodyKind;
  /** The body's value: JSON-able for `shaped`/`json-random`, a string or bytes for the others. */
  body: unknown;
  /** For `shaped` bodies: one field changed (mutateJson's pick, op, value), or none. */
  mutation: [number, string, unknown] | null;
  /** For `shaped` bodies: which shape the JSON had (for coverage). */
  shape: string;
  /** Configure CORS origins for this request (the env var). */
  corsOrigins: string;
  /** Send through the Worker's own fetch (SELF) rather than app.request (non-admin cases only). */
  viaWorker: boolean;
  /** 32 base32 characters: the made-up part of a forged key, and which character a flipped key changes. */
  forgery: string;
}

/** Values that break numeric code: edges of float32/float64, wrong types. */
const weirdNumbers = [0, -0, 1, -1, 0.5, 1e-320, 1e-45, 3.4028234663852886e38, 3.5e38, 1e39, 1e308, -1e308, 2 ** 31, 2 ** 53, -(2 ** 53), 4294967296, 1.5];
const weirdValues: unknown[] = [null, true, false, '', '1', 'NaN', 'Infinity', '1e999', [], {}, [1], { a: 1 }, 'a'.repeat(300)];

const cell = fc.oneof(
  { arbitrary: fc.double({ min: -5, max: 5, noNaN: true }), weight: 12 },
  { arbitrary: fc.double({ min: 0, max: 1, noNaN: true }), weight: 8 },
  { arbitrary: fc.constantFrom(...weirdNumbers), weight: 1 },
  { arbitrary: fc.constantFrom(...weirdValues), weight: 1 },
);

/** Rows of a matrix: mostly plain numbers, now and then one weird cell. */
const plainCell = fc.double({ min: -5, max: 5, noNaN: true });
const row = (n: number) =>
  fc.oneof(
    { arbitrary: fc.array(plainCell, { minLength: n, maxLength: n }), weight: 30 },
    { arbitrary: fc.array(cell, { minLength: n, maxLength: n }), weight: 1 },
  );

/** A matrix, usually rectangular with `cols` columns, sometimes ragged or empty. */
const matrix = (cols: fc.Arbitrary<number>) =>
  fc.oneof(
    { arbitrary: cols.chain((n) => fc.array(row(n), { minLength: 1, maxLength: 12 })), weight: 10 },
    { arbitrary: fc.array(fc.array(cell, { maxLength: 6 }), { maxLength: 6 }), weight: 2 },
    { arbitrary: fc.constantFrom<unknown>([], [[]], [[1, 2], [3]], [1, 2, 3], 'x', null, { rows: 2, cols: 2, data: [1, 2, 3, 4] }), weight: 1 },
  );

/** Four columns: the width of the protected models, so inference reaches the model. */
const width = fc.oneof({ arbitrary: fc.constant(4), weight: 6 }, { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 2 });

const option = (good: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: good, weight: 40 },
    { arbitrary: fc.constantFrom(...weirdNumbers), weight: 1 },
    { arbitrary: fc.constantFrom(...weirdValues), weight: 1 },
  );

/** Now and then an unknown member, which the strict schemas must refuse. */
const withUnknown = <T extends object>(record: fc.Arbitrary<T>) =>
  fc.tuple(record, fc.oneof({ arbitrary: fc.constant(null), weight: 20 }, { arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.jsonValue()), weight: 1 })).map(([value, extra]) =>
    extra === null ? value : { ...value, [extra[0]]: extra[1] },
  );

const config = fc.record(
  {
    hiddenSize: option(fc.integer({ min: 1, max: 12 })),
    sparsityTarget: option(fc.double({ min: 0.01, max: 0.99, noNaN: true })),
    sparsityWeight: option(fc.double({ min: 0, max: 3, noNaN: true })),
    weightDecay: option(fc.double({ min: 0, max: 1, noNaN: true })),
    reduction: option(fc.constantFrom('sum', 'mean')),
    normalize: option(fc.constantFrom('minmax', 'minmax', 'none')),
  },
  { requiredKeys: [] },
);

const training = fc.record(
  {
    optimizer: option(fc.constantFrom('adam', 'sgd')),
    learningRate: option(fc.oneof(fc.double({ min: 1e-4, max: 0.1, noNaN: true }), fc.constantFrom(1e10, 1e30))),
    beta1: option(fc.double({ min: 0, max: 1, noNaN: true })),
    beta2: option(fc.double({ min: 0, max: 1, noNaN: true })),
    epsilon: option(fc.double({ min: 0, max: 1e-3, noNaN: true })),
    epochs: option(fc.integer({ min: 0, max: 6 })),
    batchSize: option(fc.integer({ min: 0, max: 6 })),
    seed: option(fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    backend: option(fc.constantFrom('auto', 'auto', 'assemblyscript', 'tfjs-wasm')),
  },
  { requiredKeys: [] },
);

const name = option(fc.string({ maxLength: 40 }));

/** Wrong values for each field of a key request (undefined = the field left out: name and scopes are required). */
const BROKEN_KEY_FIELDS = {
  name: ['', ' ', 'a'.repeat(201), '\u0000', 42, ['mobile-app']],
  scopes: [[], ['models:fly'], ['models:read', 'models:read'], 'models:read', ['MODELS:READ'], [null], [...SCOPE_NAMES, 'keys:root'], ['models:*'], ['models:read,models:encode']],
  models: [[], ['not-an-id'], 'x', ['@model-upper'], ['@model', null], Array<string>(101).fill('@model'), [' @model'], null],
  expiresAt: ['2000-01-01T00:00:00Z', '@in:-1000', '@in:0', 'tomorrow', '2099-01-01', '2099-13-01T00:00:00Z', '2099-01-01T00:00:00', '+275760-09-13T00:00:00.000Z', '9999-12-31T23:59:59.999Z', 1e15, 0],
} as const;

/** JSON bodies shaped like each route's, with any field possibly wrong. */
const shapedBodies: Record<string, fc.Arbitrary<unknown>> = {
  train: withUnknown(fc.record({ data: matrix(width), name, config: withUnknown(config), training: withUnknown(training) }, { requiredKeys: ['data'] })),
  retrain: withUnknown(fc.record({ data: matrix(width), training: withUnknown(training) }, { requiredKeys: ['data'] })),
  inputs: fc.oneof(
    { arbitrary: fc.record({ inputs: matrix(width) }), weight: 4 },
    { arbitrary: fc.record({ input: fc.array(cell, { minLength: 4, maxLength: 4 }) }), weight: 2 },
    { arbitrary: fc.record({ input: fc.array(cell, { maxLength: 6 }), inputs: matrix(width) }, { requiredKeys: [] }), weight: 1 },
  ).map((value) => value as unknown),
  job: fc.record(
    {
      data: matrix(width),
      datasetId: fc.oneof(fc.constant('@dataset'), fc.string({ maxLength: 40 })),
      // A dataset to validate on, as datasetId: a real one ('@dataset'), or any string.
      validationDatasetId: fc.oneof(fc.constant('@dataset'), fc.string({ maxLength: 40 })),
      name,
      config: withUnknown(config),
      training: withUnknown(training),
    },
    { requiredKeys: [] },
  ).map((job) => (job.data !== undefined && job.datasetId !== undefined && job.name === undefined ? { ...job, datasetId: undefined } : job)),
  dataset: fc.oneof(matrix(width), fc.record({ data: matrix(width) })),
  upload: withUnknown(
    fc.record(
      {
        name,
        rows: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(...weirdNumbers)),
        cols: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(...weirdNumbers)),
        type: fc.constantFrom('float32', 'uint8', 'int8'),
        scale: fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }), fc.constantFrom(...weirdNumbers)),
        offset: fc.oneof(fc.double({ min: -2, max: 2, noNaN: true }), fc.constantFrom(...weirdNumbers)),
      },
      { requiredKeys: ['rows', 'cols', 'type'] },
    ),
  ),
  // A part's raw bytes (fuzz.test.ts sends them as they are): float32 values, NaN and ±Infinity included, of any count.
  part: fc.array(fc.float(), { maxLength: 320 }).map((values) => new Uint8Array(Float32Array.from(values).buffer)),
  // POST /v1/keys: a valid request (fuzz.test.ts puts real model ids for '@model' and a time from
  // now for '@in:<ms>'), mostly with one field broken.
  key: withUnknown(
    fc.record(
      {
        name: fc.oneof({ arbitrary: fc.string({ minLength: 1, maxLength: 40 }), weight: 4 }, { arbitrary: fc.constant('mobile-app'), weight: 1 }),
        scopes: fc.shuffledSubarray([...SCOPE_NAMES], { minLength: 1 }),
        models: fc.array(fc.constantFrom('@model', '@model', '@unknown-model'), { minLength: 1, maxLength: 3 }),
        expiresAt: fc.constantFrom('@in:3600000', '@in:31536000000', '2099-01-01T00:00:00Z', '2098-06-30T12:00:00+02:00'),
      },
      { requiredKeys: ['name', 'scopes'] },
    ),
  ).chain((valid) =>
    fc.option(fc.constantFrom(...(Object.keys(BROKEN_KEY_FIELDS) as (keyof typeof BROKEN_KEY_FIELDS)[])), { freq: 4 }).chain((field) =>
      field === null
        ? fc.constant<unknown>(valid)
        : fc.oneof(
            { arbitrary: fc.constantFrom<unknown>(...BROKEN_KEY_FIELDS[field]), weight: 4 },
            { arbitrary: fc.constantFrom(...weirdValues), weight: 1 },
            { arbitrary: fc.constantFrom(...weirdNumbers), weight: 1 },
            { arbitrary: fc.constant(undefined), weight: 1 },
          ).map(
            (value) => ({ ...valid, [field]: value }) as unknown,
          ),
    ),
  ),
  // The import body is the exported file of a real model with one field changed (see mutateJson).
  import: fc.tuple(fc.nat(), fc.constantFrom('replace', 'delete', 'add', 'none'), fc.oneof(fc.constantFrom(...weirdNumbers), fc.constantFrom(...weirdValues), fc.jsonValue())),
};

/** Which shaped body fits a route. */
export function shapeOf(route: RouteTemplate): keyof typeof shapedBodies | 'any' {
  const { method, path } = route;
  if (method === 'PUT' && path.endsWith('/parts/{n}')) return 'part';
  if (method !== 'POST') return 'any';
  if (path === '/v1/models') return 'train';
  if (path === '/v1/models/import') return 'import';
  if (path.endsWith('/train')) return 'retrain';
  if (/\/(encode|reconstruct|evaluate|density\.svg)$/.test(path)) return 'inputs';
  if (path === '/v1/jobs') return 'job';
  if (path === '/v1/datasets') return 'dataset';
  if (path === '/v1/datasets/uploads') return 'upload';
  if (path === '/v1/keys') return 'key';
  return 'any';
}

const queryKeys = [
  'limit', 'cursor', 'name', 'header', 'bins', 'hiddenSize', 'sparsityTarget', 'sparsityWeight', 'weightDecay', 'reduction',
  'normalize', 'optimizer', 'learningRate', 'epochs', 'batchSize', 'seed', 'backend', 'rows', 'cols', 'shape', 'scale', 'count',
];
const queryValues = [
  '', '0', '-1', '1', '2', '3', '4', '7', '100', '101', '1e309', 'NaN', 'Infinity', '0x10', '1.5', ' 1', 'sum', 'mean', 'adam', 'sgd',
  'tfjs-cpu', 'assemblyscript', 'minmax', 'none', 'true', 'auto', '28x28', '2x2', '0x0', 'log', 'linear', '%00', '\u00e9', 'a'.repeat(1100),
];
const query = fc.array(
  fc.tuple(
    fc.oneof({ arbitrary: fc.constantFrom(...queryKeys), weight: 5 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 }),
    fc.oneof({ arbitrary: fc.constantFrom(...queryValues), weight: 4 }, { arbitrary: fc.string({ maxLength: 30 }), weight: 1 }),
  ),
  { maxLength: 5 },
);

/** Header values must be ByteStrings without CR/LF: printable ASCII. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });

const contentTypes = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=latin1', 'text/csv',
  'text/csv; charset=utf-8', 'application/octet-stream', 'text/plain', 'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded', 'application/problem+json', 'application/vnd.api+json', ';', 'json',
];

const extraHeaders = fc.array(
  fc.tuple(
    fc.constantFrom('if-none-match', 'accept', 'x-forwarded-for', 'cf-connecting-ip', 'accept-encoding', 'range', 'x-custom', 'access-control-request-method', 'access-control-request-headers'),
    headerText,
  ),
  { maxLength: 3 },
);

const brokenJson = fc.oneof(
  fc.constantFrom('{', '[', '{"data": [[1, 2], [3, 4]]', 'NaN', '{"data": [[NaN]]}', '[1,2,]', '{"data": [[1e999, 1]]}', '{"a":1,"a":2}', '\u0000', '{"data": "\ud800"}', 'null', '0', '""', 'true'),
  fc.jsonValue().map((v) => {
    const text = JSON.stringify(v) ?? 'null';
    return text.slice(0, Math.max(0, text.length - 1));
  }),
);

/** Deeply nested arrays: zod, JSON.parse and the data reader must not overflow the stack into a 500. */
const deepJson = fc.constantFrom(100, 1000, 20_000).map((depth) => `{"data": ${'['.repeat(depth)}1${']'.repeat(depth)}}`);

const csvText = fc
  .array(fc.array(fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }).map(String), fc.constantFrom('', 'x', '1e999', 'NaN', '"1"', ' 2 ', '1,5')), { minLength: 0, maxLength: 5 }), { maxLength: 8 })
  .chain((rows) => fc.constantFrom('\n', '\r\n').map((eol) => rows.map((r) => r.join(',')).join(eol)));

/** Fields of the body by kind. */
const body = (shape: keyof typeof shapedBodies | 'any') =>
  fc.oneof(
    { arbitrary: fc.constant({ kind: 'none' as BodyKind, value: null as unknown }), weight: 2 },
    { arbitrary: (shape === 'any' ? fc.jsonValue() : shapedBodies[shape]!).map((value) => ({ kind: 'shaped' as BodyKind, value })), weight: shape === 'any' ? 1 : 14 },
    { arbitrary: fc.jsonValue().map((value) => ({ kind: 'json-random' as BodyKind, value })), weight: 2 },
    { arbitrary: brokenJson.map((value) => ({ kind: 'json-broken' as BodyKind, value })), weight: 2 },
    { arbitrary: deepJson.map((value) => ({ kind: 'json-deep' as BodyKind, value })), weight: 1 },
    { arbitrary: csvText.map((value) => ({ kind: 'csv' as BodyKind, value })), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 256 }).map((value) => ({ kind: 'binary' as BodyKind, value })), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((value) => ({ kind: 'text' as BodyKind, value })), weight: 1 },
    { arbitrary: fc.constant({ kind: 'oversized' as BodyKind, value: null as unknown }), weight: 1 },
  );

/** A case for one of `routes`. */
export function fuzzCase(routes: RouteTemplate[]): fc.Arbitrary<FuzzCase> {
  // Routes that take a body have more to get wrong: they get four times the cases.
  const weighted = routes.flatMap((route, index) => Array<number>(shapeOf(route) === 'any' ? 1 : 4).fill(index));
  return fc.constantFrom(...weighted).chain((routeIndex) => {
    const route = routes[routeIndex]!;
    const shape = shapeOf(route);
    return fc
      .record({
        method: fc.oneof({ arbitrary: fc.constant(null), weight: 12 }, { arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'), weight: 1 }),
        token: fc.oneof(
          { arbitrary: fc.constantFrom<TokenKind>('admin', 'admin', 'key-admin'), weight: 6 },
          { arbitrary: fc.constantFrom<TokenKind>('encode', 'encode2', 'key-reader', 'key-model'), weight: 4 },
          { arbitrary: fc.constantFrom<TokenKind>(...REFUSED_TOKENS), weight: 3 },
        ),
        idKind: fc.constantFrom<IdKind>('protected', 'scratch', 'scratch', 'valid-unknown', 'garbage'),
        idPick: fc.nat(),
        garbageId: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom('..', '.', '%2e%2e', 'a'.repeat(2000), 'import', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '<script>', '%00', 'null')),
        pathMutation: fc.oneof(
          { arbitrary: fc.constant('none' as const), weight: 16 },
          { arbitrary: fc.constantFrom('trailing-slash', 'extra-segment', 'double-slash', 'dot-segment', 'upper-case', 'encoded') as fc.Arbitrary<FuzzCase['pathMutation']>, weight: 1 },
        ),
        extraSegment: fc.string({ maxLength: 12 }),
        query: fc.oneof({ arbitrary: fc.constant([] as [string, string][]), weight: 3 }, { arbitrary: query, weight: 1 }),
        contentType: fc.oneof(
          { arbitrary: fc.constant('application/json'), weight: 20 },
          { arbitrary: fc.constantFrom(...contentTypes), weight: 2 },
          { arbitrary: fc.constant(null), weight: 1 },
          { arbitrary: headerText, weight: 1 },
        ),
        origin: fc.constantFrom(null, null, null, 'https://allowed.example', 'https://evil.example', 'null'),
        extraHeaders: fc.oneof({ arbitrary: fc.constant([] as [string, string][]), weight: 4 }, { arbitrary: extraHeaders, weight: 1 }),
        body: body(shape),
        corsOrigins: fc.constantFrom('', '', 'https://allowed.example', '*'),
        viaWorker: fc.boolean(),
        forgery: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz234567'), minLength: 32, maxLength: 32 }),
        mutation: fc.option(fc.tuple(fc.nat(), fc.constantFrom('replace', 'delete', 'add'), fc.oneof(fc.constantFrom(...weirdNumbers), fc.constantFrom(...weirdValues), fc.jsonValue())), { freq: 2 }),
      })
      .map((c): FuzzCase => ({
        route: routeIndex,
        method: c.method,
        token: c.token,
        idKind: c.idKind,
        idPick: c.idPick,
        garbageId: c.garbageId,
        pathMutation: c.pathMutation,
        extraSegment: c.extraSegment,
        query: c.query,
        contentType: c.contentType,
        origin: c.origin,
        extraHeaders: c.extraHeaders,
        bodyKind: c.body.kind,
        body: c.body.value,
        mutation: c.mutation,
        shape: c.body.kind === 'shaped' ? shape : c.body.kind,
        corsOrigins: c.corsOrigins,
        viaWorker: c.viaWorker && !ADMIN_TOKENS.includes(c.token),
        forgery: c.forgery,
      }));
  });
}

/**
 * One field of a JSON value changed: the field at `pick` (among the paths into it; a few entries
 * of each array) replaced by `value`, deleted, or given an unknown sibling. The import body is
 * the exported file of a real model changed this way; shaped bodies, half the time.
 */
export function mutateJson(file: unknown, pick: number, op: string, value: unknown): unknown {
  const copy = structuredClone(file) as Record<string, unknown>;
  if (op === 'none') return copy;
  const paths: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    if (path.length > 0) paths.push(path);
    if (Array.isArray(node)) {
      // Matrices are large: visit a few entries of each array, not all.
      for (const i of [0, node.length - 1, node.length >> 1]) if (i >= 0 && i < node.length) walk(node[i], [...path, i]);
    } else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
    }
  };
  walk(copy, []);
  const path = paths[pick % paths.length]!;
  let parent: Record<string | number, unknown> = copy;
  for (const part of path.slice(0, -1)) parent = parent[part] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === 'replace') parent[last] = value;
  else if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (!Array.isArray(parent)) parent[`${String(last)}Extra`] = value;
  else parent.push(value);
  return copy;
}
