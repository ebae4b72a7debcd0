/**
 * Bad input never gets a 5xx: each malformed request gets a 4xx problem+json that says what is
 * wrong and where (a JSON pointer for body fields), and limits answer 413 naming the limit.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { pathToPointer } from '../../src/api/problem.js';
import { badOptimizerStates } from '../helpers/bad-optimizer-states.js';
import { call, ENCODE, expectProblem, request, trainModel, TRAINING_DATA } from './helpers.js';

let id = '';
let file: Record<string, any> = {};

beforeAll(async () => {
  id = (await trainModel()).id;
  file = (await (await call(`/v1/models/${id}/export`)).json()) as Record<string, any>;
});

const train = (json: unknown, query = '') => call(`/v1/models${query}`, { json });
const pointers = (problem: { errors?: { pointer?: string }[] }) => (problem.errors ?? []).map((e) => e.pointer);

describe('malformed requests', () => {
  it('should return 400 for invalid JSON', async () => {
    for (const body of ['{bad', '{"data": [[1, 2]]', '{"data": [[NaN, 1]]}', '']) {
      const res = await call('/v1/models', { body, headers: { 'content-type': 'application/json' } });
      const problem = await expectProblem(res, 400);
      expect(problem.detail).toMatch(/JSON/);
    }
  });

  it('should return 415 for a wrong or missing content type', async () => {
    const json = JSON.stringify({ data: TRAINING_DATA });
    await expectProblem(await call('/v1/models', { body: json, headers: { 'content-type': 'text/plain' } }), 415);
    await expectProblem(await call('/v1/models', { body: json, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    await expectProblem(await call('/v1/models', { method: 'POST', body: json, headers: { 'content-type': '' } }), 415);
    await expectProblem(await call('/v1/models', { method: 'POST' }), 415);
    await expectProblem(
      await call(`/v1/models/${id}/encode`, { token: ENCODE, body: '1,2,3,4', headers: { 'content-type': 'text/csv' } }),
      415,
    );
  });

  it('should return 422 naming missing or unknown fields', async () => {
    let problem = await expectProblem(await train({}), 422);
    expect(pointers(problem)).toContain('/data');
    problem = await expectProblem(await train({ data: TRAINING_DATA, extra: 1 }), 422);
    expect(problem.errors?.length).toBeGreaterThan(0);
    problem = await expectProblem(await train({ data: TRAINING_DATA, config: { hidden: 3 } }), 422);
    expect(problem.errors?.length).toBeGreaterThan(0);
    problem = await expectProblem(await train([[1, 2]]), 422);
    problem = await expectProblem(await call(`/v1/models/${id}/encode`, { token: ENCODE, json: {} }), 422);
    expect(problem.detail).toMatch(/inputs/);
    await expectProblem(await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA, input: TRAINING_DATA[0] } }), 422);
    problem = await expectProblem(await call(`/v1/models/${id}/train`, { json: { training: { epochs: 1 } } }), 422);
    expect(pointers(problem)).toContain('/data');
  });

  it('should return 422 naming the row and column of bad data', async () => {
    // Ragged rows.
    let problem = await expectProblem(await train({ data: [[0, 1, 2], [0, 1]] }), 422);
    expect(problem.type).toMatch(/invalid-data$/);
    expect(problem.detail).toMatch(/row 2/);
    expect(pointers(problem)[0]).toMatch(/^\/data\/1/);
    // A string, null, a nested array, Infinity (1e999 parses to it), a bool.
    for (const [bad, pattern] of [
      ['"x"', /string/],
      ['null', /null/],
      ['[1]', /array/],
      ['1e999', /finite|Infinity/],
      ['true', /boolean/],
    ] as const) {
      const body = `{"data": [[0, 1], [0.5, ${bad}]]}`;
      const res = await call('/v1/models', { body, headers: { 'content-type': 'application/json' } });
      problem = await expectProblem(res, 422);
      expect(problem.detail).toMatch(pattern);
      expect(problem.detail).toMatch(/row 2, column 2/);
      expect(pointers(problem)).toEqual(['/data/1/1']);
    }
    // Not rows at all.
    for (const data of [5, 'abc', null, { a: 1 }, [1, 2, 3]]) {
      problem = await expectProblem(await train({ data }), 422);
      expect(pointers(problem)[0]).toMatch(/^\/data/);
    }
  });

  it('should return 422 for empty data', async () => {
    for (const data of [[], [[]], [[], []]]) {
      const problem = await expectProblem(await train({ data }), 422);
      expect(problem.detail).toMatch(/no data|empty/);
    }
    await expectProblem(await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: [] } }), 422);
    await expectProblem(await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { input: [] } }), 422);
  });

  it('should report one error, fast, for a huge body of bad values', async () => {
    const data = Array.from({ length: 2000 }, () => Array.from({ length: 50 }, () => 'x'));
    const problem = await expectProblem(await train({ data, training: { epochs: 1 } }), 422);
    expect(problem.errors).toHaveLength(1);
    expect(pointers(problem)).toEqual(['/data/0/0']);
  });

  it('should return 422 for a width mismatch on encode, reconstruct, evaluate and train', async () => {
    for (const action of ['encode', 'reconstruct', 'evaluate']) {
      let problem = await expectProblem(await call(`/v1/models/${id}/${action}`, { token: ENCODE, json: { inputs: [[1, 2, 3]] } }), 422);
      expect(problem.detail).toMatch(/3 columns but the model takes 4 inputs/);
      expect(pointers(problem)[0]).toBe('/inputs/0');
      problem = await expectProblem(await call(`/v1/models/${id}/${action}`, { token: ENCODE, json: { input: [1, 2, 3, 4, 5] } }), 422);
      expect(pointers(problem)[0]).toBe('/input');
      problem = await expectProblem(await call(`/v1/models/${id}/${action}`, { token: ENCODE, json: { input: [1, 'a', 3, 4] } }), 422);
      expect(pointers(problem)[0]).toBe('/input/1');
    }
    const problem = await expectProblem(await call(`/v1/models/${id}/train`, { json: { data: [[1, 2]] } }), 422);
    expect(problem.detail).toMatch(/2 columns but the model takes 4 inputs/);
  });

  it('should return 404 problem+json for unknown model ids and routes', async () => {
    const unknown = 'a'.repeat(32);
    for (const path of [`/v1/models/${unknown}`, '/v1/models/not-an-id', `/v1/models/${unknown}/export`, '/v1/models/%2e%2e%2fsecret']) {
      const problem = await expectProblem(await call(path, { token: ENCODE }), 404);
      expect(problem.detail).toBeDefined();
    }
    for (const action of ['encode', 'reconstruct', 'evaluate']) {
      await expectProblem(await call(`/v1/models/${unknown}/${action}`, { token: ENCODE, json: { inputs: TRAINING_DATA } }), 404);
    }
    await expectProblem(await call(`/v1/models/${unknown}/train`, { json: { data: TRAINING_DATA } }), 404);
    await expectProblem(await call(`/v1/models/${unknown}`, { method: 'DELETE' }), 404);
    await expectProblem(await call('/v2/anything', { token: null }), 404);
    await expectProblem(await call('/v1/models', { method: 'PUT', json: {} }), 404);
  });

  it('should return 422 for a bad list query', async () => {
    // Cursors are the API's own (src/api/r2-list.ts), so one it did not issue is refused too.
    const forged = btoa('models/../x').replaceAll('=', '');
    for (const query of ['limit=0', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=1000', `cursor=${'x'.repeat(2000)}`, 'cursor=garbage', `cursor=${forged}`]) {
      const problem = await expectProblem(await call(`/v1/models?${query}`, { token: ENCODE }), 422);
      expect(problem.errors?.[0]?.parameter).toMatch(/limit|cursor/);
    }
  });
});

describe('hyperparameters', () => {
  const cases: [string, Record<string, unknown>, number, string][] = [
    ['hiddenSize 0', { config: { hiddenSize: 0 } }, 422, '/config/hiddenSize'],
    ['hiddenSize 2.5', { config: { hiddenSize: 2.5 } }, 422, '/config/hiddenSize'],
    ['negative learning rate', { training: { learningRate: -0.1 } }, 422, '/training/learningRate'],
    ['zero learning rate', { training: { learningRate: 0 } }, 422, '/training/learningRate'],
    ['sparsityTarget 1.5', { config: { sparsityTarget: 1.5 } }, 422, '/config/sparsityTarget'],
    ['sparsityTarget 0', { config: { sparsityTarget: 0 } }, 422, '/config/sparsityTarget'],
    ['sparsityTarget 1', { config: { sparsityTarget: 1 } }, 422, '/config/sparsityTarget'],
    ['negative weight decay', { config: { weightDecay: -1 } }, 422, '/config/weightDecay'],
    ['unknown optimizer', { training: { optimizer: 'rmsprop' } }, 422, '/training/optimizer'],
    ['unknown reduction', { config: { reduction: 'max' } }, 422, '/config/reduction'],
    ['string epochs', { training: { epochs: '10' } }, 422, '/training/epochs'],
    ['negative seed', { training: { seed: -1 } }, 422, '/training/seed'],
    ['beta1 of 1', { training: { beta1: 1 } }, 422, '/training/beta1'],
    ['unknown backend', { training: { backend: 'gpu' } }, 422, '/training/backend'],
    ['a backend this Worker lacks', { training: { backend: 'tfjs-cpu' } }, 422, '/training/backend'],
  ];
  for (const [label, options, status, pointer] of cases) {
    it(`should return ${status} for ${label}`, async () => {
      const problem = await expectProblem(await train({ data: TRAINING_DATA, ...options }), status);
      expect(pointers(problem)).toContain(pointer);
    });
  }

  it('should return 413 naming MAX_EPOCHS for epochs 1e9, and point to jobs', async () => {
    const problem = await expectProblem(await train({ data: TRAINING_DATA, training: { epochs: 1e9 } }), 413);
    expect(problem.detail).toMatch(/MAX_EPOCHS = 10000/);
    expect(problem.detail).toMatch(/\/v1\/jobs/);
    expect(problem.limit).toBe('MAX_EPOCHS');
  });

  it('should say the real range of the hidden size (1 to MAX_HIDDEN_SIZE), not 2^53', async () => {
    const problem = await expectProblem(await train({ data: TRAINING_DATA, config: { hiddenSize: 0 } }), 422);
    expect(problem.detail).toMatch(/must be an integer from 1 to 4096, got 0/);
  });

  it('should judge epochs by one rule: any count above MAX_EPOCHS is its 413, 1e100 included', async () => {
    for (const epochs of [10_001, 1e100]) {
      const problem = await expectProblem(await train({ data: TRAINING_DATA, training: { epochs } }), 413);
      expect(problem.limit).toBe('MAX_EPOCHS');
    }
  });

  it('should refuse unknown query parameters, with a CSV body as with a JSON one', async () => {
    const csv = await call('/v1/models?bogus=1', { body: '1,2\n3,4\n', headers: { 'content-type': 'text/csv' } });
    const problem = await expectProblem(csv, 422);
    expect(JSON.stringify(problem)).toMatch(/bogus/);
    await expectProblem(await train({ data: TRAINING_DATA }, '?bogus=1'), 422);
  });

  it('should return 413 naming MAX_HIDDEN_SIZE and MAX_PARAMETERS', async () => {
    let problem = await expectProblem(await train({ data: TRAINING_DATA, config: { hiddenSize: 1e6 } }), 413);
    expect(problem.limit).toBe('MAX_HIDDEN_SIZE');
    const wide = [Array.from({ length: 1000 }, (_, j) => j / 1000)];
    problem = await expectProblem(await train({ data: wide, config: { hiddenSize: 4000 }, training: { epochs: 1 } }), 413);
    expect(problem.limit).toBe('MAX_PARAMETERS');
  });

  it('should return 413 naming MAX_TRAIN_FLOPS for too much synchronous work', async () => {
    const data = Array.from({ length: 100 }, (_, i) => Array.from({ length: 100 }, (_, j) => ((i * j) % 7) / 7));
    const problem = await expectProblem(await train({ data, config: { hiddenSize: 200 }, training: { epochs: 10000 } }), 413);
    expect(problem.limit).toBe('MAX_TRAIN_FLOPS');
    expect(problem.detail).toMatch(/POST \/v1\/jobs/);
    const again = await expectProblem(await call(`/v1/models/${id}/train`, { json: { data: Array(5000).fill(TRAINING_DATA[0]), training: { epochs: 10000 } } }), 413);
    expect(again.limit).toBe('MAX_TRAIN_FLOPS');
  });

  it('should return 422 for values outside [0, 1] with normalize "none"', async () => {
    const problem = await expectProblem(await train({ data: [[0, 2], [1, 0]], config: { normalize: 'none' } }), 422);
    expect(problem.type).toMatch(/invalid-data$/);
  });

  it('should return 422 for bad CSV and bad query options', async () => {
    const csv = (path: string, body: string) => call(path, { body, headers: { 'content-type': 'text/csv' } });
    let problem = await expectProblem(await csv('/v1/models', 'a,b\n1,2\n3,x\n'), 422);
    expect(problem.detail).toMatch(/row 3, column 2/);
    problem = await expectProblem(await csv('/v1/models', ''), 422);
    problem = await expectProblem(await csv('/v1/models?epochs=abc', '1,2\n3,4\n'), 422);
    expect(problem.errors?.[0]?.parameter).toBe('epochs');
    problem = await expectProblem(await csv('/v1/models?sparsityTarget=2', '1,2\n3,4\n'), 422);
    expect(pointers(problem)).toContain('/config/sparsityTarget');
  });
});

describe('limits', () => {
  it('should return 413 naming MAX_BODY_BYTES for an oversize body', async () => {
    const big = JSON.stringify({ data: Array.from({ length: 500 }, () => Array.from({ length: 1000 }, () => 0.123456789)) });
    expect(big.length).toBeGreaterThan(4 * 1024 * 1024);
    const problem = await expectProblem(await call('/v1/models', { body: big, headers: { 'content-type': 'application/json' } }), 413);
    expect(problem.limit).toBe('MAX_BODY_BYTES');
    expect(problem.detail).toMatch(/MAX_BODY_BYTES = 4194304/);
  });

  it('should count a streamed body without Content-Length', async () => {
    const chunk = new TextEncoder().encode('[' + '0.5,'.repeat(1000));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(chunk);
      },
    });
    const req = request('/v1/models', { body: stream, headers: { 'content-type': 'application/json' } });
    const res = await app.request(req, undefined, { ...env, MAX_BODY_BYTES: '20000' });
    const problem = await expectProblem(res, 413);
    expect(problem.limit).toBe('MAX_BODY_BYTES');
  });

  it('should apply limits overridden by vars', async () => {
    const bindings = { ...env, MAX_ROWS: '5', MAX_COLUMNS: '3', MAX_CELLS: '6' };
    let res = await app.request(request('/v1/models', { json: { data: TRAINING_DATA } }), undefined, bindings);
    expect((await expectProblem(res, 413)).limit).toBe('MAX_ROWS');
    res = await app.request(request('/v1/models', { json: { data: [[1, 2, 3, 4]] } }), undefined, bindings);
    expect((await expectProblem(res, 413)).limit).toBe('MAX_COLUMNS');
    res = await app.request(request('/v1/models', { json: { data: [[1, 2], [3, 4], [5, 6], [7, 8]] } }), undefined, bindings);
    expect((await expectProblem(res, 413)).limit).toBe('MAX_CELLS');
    res = await app.request(request(`/v1/models/${id}/encode`, { json: { inputs: TRAINING_DATA } }), undefined, bindings);
    const problem = await expectProblem(res, 413);
    expect(problem.limit).toBe('MAX_ROWS');
    expect(problem.detail).not.toMatch(/jobs/);
  });

  it('should bound model files on import by MAX_MODEL_BYTES', async () => {
    const res = await app.request(request('/v1/models/import', { json: file }), undefined, { ...env, MAX_MODEL_BYTES: '100' });
    expect((await expectProblem(res, 413)).limit).toBe('MAX_MODEL_BYTES');
  });
});

describe('import', () => {
  const importFile = (json: unknown) => call('/v1/models/import', { json });

  it('should return 422 naming the field of a malformed model file', async () => {
    let problem = await expectProblem(await importFile({}), 422);
    expect(problem.type).toMatch(/invalid-model-file$/);
    problem = await expectProblem(await importFile({ ...file, format: 'keras' }), 422);
    expect(pointers(problem)).toContain('/format');
    problem = await expectProblem(await importFile({ ...file, version: 3 }), 422);
    expect(pointers(problem)).toContain('/version');
    const badWeight = structuredClone(file);
    badWeight.encoder.weights[2][5] = 'x';
    problem = await expectProblem(await importFile(badWeight), 422);
    expect(problem.detail).toMatch(/encoder/);
    const wrongShape = structuredClone(file);
    wrongShape.decoder.weights.pop();
    problem = await expectProblem(await importFile(wrongShape), 422);
    expect(problem.detail).toMatch(/decoder/);
    const infinite = `${JSON.stringify(file).replace(/"bias":\[/, '"bias":[1e999,')}`;
    await expectProblem(await call('/v1/models/import', { body: infinite, headers: { 'content-type': 'application/json' } }), 422);
    await expectProblem(await importFile([1, 2, 3]), 422);
    await expectProblem(await importFile('model'), 422);
  });

  it('should refuse an unknown top-level field, as docs/API.md says', async () => {
    const problem = await expectProblem(await importFile({ ...file, optimiserState: {} }), 422);
    expect(problem.detail).toMatch(/optimiserState.*is not a field of a model file/);
  });

  it('should refuse impossible optimizer state (v < 0, a bad step, m or v misshapen) with 422 naming the field, storing nothing', async () => {
    expect(file.optimizerState, 'the exported model has Adam state').toBeTruthy();
    const stored = async () => new Map((await env.MODELS.list()).objects.map((o) => [o.key, o.etag]));
    const before = await stored();
    for (const { what, file: bad, field } of badOptimizerStates(file)) {
      const problem = await expectProblem(await importFile(bad), 422);
      expect(problem.type, what).toMatch(/invalid-model-file$/);
      expect(problem.field, what).toBe(field);
      expect(problem.detail, what).toContain(`model file field "${field}"`);
      expect(pointers(problem), what).toEqual([pathToPointer(field)]);
    }
    expect(await stored()).toEqual(before);
  });
});

describe('no 5xx', () => {
  it('should answer every route with a 4xx for garbage bodies', async () => {
    const bodies: [string, string][] = [
      ['application/json', 'null'],
      ['application/json', '42'],
      ['application/json', '"str"'],
      ['application/json', '[]'],
      ['application/json', '{"data":{"0":[1]}}'],
      ['application/json', '{"inputs":[[1,2,3,4]],"training":{"epochs":-1}}'],
      ['application/json', '{"__proto__":{"x":1},"data":[[1]]}'],
      ['application/json', '\u0000'],
      ['application/json; charset=utf-16', '{}'],
      ['text/csv', '\u0000,\u0001'],
      ['multipart/form-data; boundary=x', '--x--'],
    ];
    const paths = ['/v1/models', '/v1/models/import', `/v1/models/${id}/train`, `/v1/models/${id}/encode`, `/v1/models/${id}/reconstruct`, `/v1/models/${id}/evaluate`];
    for (const path of paths) {
      for (const [contentType, body] of bodies) {
        const res = await call(path, { body, headers: { 'content-type': contentType } });
        const text = await res.text();
        expect(res.status, `${path} ${contentType} ${body}: ${text}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${path} ${contentType} ${body}: ${text}`).toBeLessThan(500);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
      }
    }
  });
});
