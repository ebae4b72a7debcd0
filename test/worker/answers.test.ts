/**
 * Small answers a newcomer meets first (issue 23, item 7): a 415 that says what to send and how;
 * a CSV whose first row looks like a header of numbers trained on with a warning (and
 * `?header=true` to take it as one); an option at the top level of a body answered with where it
 * belongs; a Location on every 201 that creates a model; a job's totalSteps the same from its
 * submit answer to its end; a model's config without the options of other architectures; every
 * JSON answer ending with a newline.
 */
import { describe, expect, it } from 'vitest';
import { call, ENCODE, expectProblem, trainModel, TRAINING_DATA } from './helpers.js';
import { exportModel, submitJob, waitForJob } from './jobs-helpers.js';
import { keptRowCount } from '../../src/data/row-split.js';

const trainCsv = (csv: string, query = '') => call(`/v1/models?epochs=5${query}`, { body: csv, headers: { 'content-type': 'text/csv' } });

describe('415 Unsupported Media Type', () => {
  it('should name the media types the route takes and how curl sends one', async () => {
    const json = JSON.stringify({ data: TRAINING_DATA });
    // No content type at all (the handler's own 415) and curl -d's form type (zod-openapi's).
    for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }] as Record<string, string>[]) {
      const problem = await expectProblem(await call('/v1/models', { method: 'POST', body: json, headers }), 415);
      expect(problem.detail).toContain("curl -H 'content-type: application/json'");
      expect(problem.detail).toMatch(/takes application\/json or text\/csv/);
      expect(problem.acceptedMediaTypes).toEqual(['application/json', 'text/csv']);
    }
    const form = await expectProblem(await call('/v1/models', { method: 'POST', body: json, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    expect(form.detail).toMatch(/content-type is "application\/x-www-form-urlencoded"/);
  });

  it('should name the one media type of an inference route', async () => {
    const { id } = await trainModel();
    const problem = await expectProblem(await call(`/v1/models/${id}/encode`, { token: ENCODE, body: '1,2,3,4', headers: { 'content-type': 'text/csv' } }), 415);
    expect(problem.acceptedMediaTypes).toEqual(['application/json']);
    expect(problem.detail).toMatch(/content-type is "text\/csv"; this endpoint takes application\/json\. .*curl -H 'content-type: application\/json'/);
  });

  it('should name the media types of a dataset upload, with their shapes', async () => {
    const problem = await expectProblem(await call('/v1/datasets', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } }), 415);
    expect(problem.acceptedMediaTypes).toEqual(['text/csv', 'application/json', 'application/octet-stream']);
    expect(problem.detail).toMatch(/content-type is "text\/plain"; this endpoint takes text\/csv, application\/json or application\/octet-stream\. JSON: rows.* curl -H 'content-type: text\/csv' --data-binary @data\.csv/);
  });

  it('should name the media types of the import route', async () => {
    const problem = await expectProblem(await call('/v1/models/import', { method: 'POST', body: '{}' }), 415);
    expect(problem.acceptedMediaTypes).toEqual(['application/json', 'application/octet-stream', 'application/zip']);
  });
});

describe('a CSV whose first row looks like a header of numbers', () => {
  const rows = ['0.1,0.5,0.9', '0.3,0.2,0.7', '0.8,0.4,0.1', '0.6,0.9,0.3'];

  it('should train on it as data, with a warning that says how to take it as a header', async () => {
    const res = await trainCsv(`2019,2020,2021\n${rows.join('\n')}\n`);
    const body = (await res.json()) as { id: string; warnings?: string[] };
    expect(res.status).toBe(201);
    expect(body.warnings).toHaveLength(1);
    expect(body.warnings![0]).toMatch(/first row of the text\/csv body \(2019,2020,2021\) looks like a header of numbers.*\?header=true/);
    // Trained on as data: the year is the scaling's maximum.
    const file = await exportModel(body.id);
    expect((file.normalization as { max: number[] }).max[0]).toBe(2019);
  });

  it('should take it as the header with ?header=true, and warn of nothing in ordinary data', async () => {
    const res = await trainCsv(`2019,2020,2021\n${rows.join('\n')}\n`, '&header=true');
    const body = (await res.json()) as { id: string; warnings?: string[] };
    expect(res.status).toBe(201);
    expect(body.warnings).toBeUndefined();
    // Not trained on: every column's maximum is a data row's.
    expect((await exportModel(body.id)).normalization).toMatchObject({ max: [expect.closeTo(0.8, 6), expect.closeTo(0.9, 6), expect.closeTo(0.9, 6)] });
    for (const csv of [`${rows.join('\n')}\n`, `1,2,3\n4,5,6\n7,8,9\n`, `a,b,c\n${rows.join('\n')}\n`]) {
      const plain = (await (await trainCsv(csv)).json()) as { warnings?: string[] };
      expect(plain.warnings, csv).toBeUndefined();
    }
  });

  it('should say so in the answer of a dataset upload too', async () => {
    const upload = (csv: string) => call('/v1/datasets', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
    const res = await upload(`2019,2020,2021\n${rows.join('\n')}\n`);
    const body = (await res.json()) as { rows: number; warnings?: string[] };
    expect(res.status).toBe(201);
    expect(body.rows).toBe(rows.length + 1);
    expect(body.warnings).toEqual([expect.stringMatching(/first row of the text\/csv body \(2019,2020,2021\) looks like a header of numbers/)]);
    expect(await (await upload(`${rows.join('\n')}\n`)).json()).not.toHaveProperty('warnings');
  });

  it('should take the first row as data with ?header=false, silently', async () => {
    const body = (await (await trainCsv(`2019,2020,2021\n${rows.join('\n')}\n`, '&header=false')).json()) as { warnings?: string[] };
    expect(body.warnings).toBeUndefined();
  });
});

describe('an option at the top level of a body', () => {
  it('should say that a training option belongs under "training" and a model option under "config"', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ data: TRAINING_DATA, epochs: 5 }, '/epochs', /"epochs" is a training option: it belongs under "training"/],
      [{ data: TRAINING_DATA, k: 2 }, '/k', /"k" is a model option: it belongs under "config"/],
      [{ data: TRAINING_DATA, training: { hiddenSize: 3 } }, '/training/hiddenSize', /"hiddenSize" is a model option: it belongs under "config"/],
      [{ data: TRAINING_DATA, config: { epochs: 3 } }, '/config/epochs', /"epochs" is a training option: it belongs under "training"/],
    ];
    for (const [json, pointer, detail] of cases) {
      const problem = await expectProblem(await call('/v1/models', { json }), 422);
      expect(problem.errors).toEqual([{ pointer, detail: expect.stringMatching(detail) }]);
      expect(problem.detail).toMatch(detail);
    }
    // A job body too; and an unknown key that is no option is named as such, where it is.
    const job = await expectProblem(await call('/v1/jobs', { json: { data: TRAINING_DATA, learningRate: 0.1 } }), 422);
    expect(job.detail).toMatch(/"learningRate" is a training option: it belongs under "training"/);
    const other = await expectProblem(await call('/v1/models', { json: { data: TRAINING_DATA, extra: 1, more: 2 } }), 422);
    expect(other.errors).toEqual([
      { pointer: '/extra', detail: 'unrecognized key "extra"' },
      { pointer: '/more', detail: 'unrecognized key "more"' },
    ]);
  });
});

describe('Location of a created model', () => {
  it('should be sent with the 201 of a training (JSON and CSV) and of an import', async () => {
    const trained = await call('/v1/models', { json: { data: TRAINING_DATA, training: { epochs: 2 } } });
    const { id } = (await trained.json()) as { id: string };
    expect(trained.status).toBe(201);
    expect(trained.headers.get('location')).toBe(`/v1/models/${id}`);
    expect((await call(trained.headers.get('location')!)).status).toBe(200);
    const csv = await trainCsv('0.1,0.2\n0.3,0.4\n');
    expect(csv.headers.get('location')).toBe(`/v1/models/${((await csv.json()) as { id: string }).id}`);
    const imported = await call('/v1/models/import', { json: await exportModel(id) });
    expect(imported.status).toBe(201);
    expect(imported.headers.get('location')).toBe(`/v1/models/${((await imported.json()) as { id: string }).id}`);
    // The OpenAPI document says so, and lists the training answer's warnings.
    const doc = (await (await call('/openapi.json')).json()) as any;
    expect(doc.paths['/v1/models'].post.responses['201'].headers.location.schema.type).toBe('string');
    expect(doc.paths['/v1/models/import'].post.responses['201'].headers.location.schema.type).toBe('string');
    expect(JSON.stringify(doc.components.schemas.TrainResponse)).toMatch(/"warnings":\{"type":"array","items":\{"type":"string"\}/);
  });
});

describe("a job's totalSteps", () => {
  it('should be the steps of the kept rows from the submit answer on, with validationSplit', async () => {
    const data = Array.from({ length: 40 }, (_, i) => [((i * 7) % 10) / 10, ((i * 3) % 10) / 10, (i % 4) / 4]);
    const training = { epochs: 5, batchSize: 4, seed: 3, validationSplit: 0.25 };
    const kept = keptRowCount(40, training.seed, training.validationSplit);
    expect(kept).toBeLessThan(40); // the split holds rows out: the steps differ from 40 rows'
    const expected = training.epochs * Math.ceil(kept / training.batchSize);
    expect(expected).not.toBe(training.epochs * 10);
    const submitted = await submitJob({ data, training });
    expect(submitted.totalSteps).toBe(expected);
    const done = await waitForJob(submitted.id);
    expect(done.status).toBe('succeeded');
    expect(done.totalSteps).toBe(expected);
    expect(done.step).toBe(expected);
  });
});

describe("a model's config", () => {
  const TOPK_ONLY = ['k', 'auxK', 'auxCoefficient', 'deadSteps'];
  const SIGMOID_ONLY = ['sparsityTarget', 'weightDecay', 'reduction'];

  it('should list the options of its architecture only', async () => {
    const sigmoid = await trainModel();
    for (const key of TOPK_ONLY) expect(sigmoid.config, key).not.toHaveProperty(key);
    expect(sigmoid.config).toMatchObject({ architecture: 'sigmoid', sparsityTarget: 0.1, sparsityWeight: 0.1, weightDecay: 0.1, reduction: 'sum', normalize: 'minmax' });
    const detail = (await (await call(`/v1/models/${sigmoid.id}`)).json()) as { config: Record<string, unknown> };
    expect(detail.config).toEqual(sigmoid.config);

    const topk = await trainModel({ config: { architecture: 'topk', hiddenSize: 6, k: 2 } });
    expect(topk.config).toMatchObject({ architecture: 'topk', k: 2, auxK: 512, hiddenSize: 6 });
    for (const key of [...SIGMOID_ONLY, 'sparsityWeight']) expect(topk.config, key).not.toHaveProperty(key);

    const relu = await trainModel({ config: { architecture: 'relu' } });
    expect(relu.config).toHaveProperty('sparsityWeight');
    for (const key of [...SIGMOID_ONLY, ...TOPK_ONLY]) expect(relu.config, key).not.toHaveProperty(key);
  });
});

describe('JSON answers', () => {
  it('should end with a newline: successes, problems, the OpenAPI document', async () => {
    const { id } = await trainModel();
    for (const [path, status] of [['/healthz', 200], [`/v1/models/${id}`, 200], ['/v1/models/nope', 404], ['/openapi.json', 200], ['/no/such/route', 404]] as const) {
      const res = await call(path);
      const text = await res.text();
      expect(res.status, path).toBe(status);
      expect(text.endsWith('}\n'), path).toBe(true);
      expect(text.indexOf('\n'), path).toBe(text.length - 1); // one line: the newline is the end, not pretty-printing
    }
    const problem = await call('/v1/models', { json: {} });
    expect(await problem.text()).toMatch(/}\n$/);
  });
});

describe('a training answer with validation', () => {
  it('should carry the held-out rows\' metrics and the kept epoch (null without)', async () => {
    const data = Array.from({ length: 40 }, (_, i) => [((i * 7) % 10) / 10, ((i * 3) % 10) / 10, (i % 4) / 4]);
    const res = await call('/v1/models', { json: { data, training: { epochs: 30, seed: 3, validationSplit: 0.25, patience: 5, learningRate: 0.05 } } });
    const body = (await res.json()) as { validationMetrics: { rows: number; fvu: number } | null; bestEpoch: number | null; lossHistory: number[] };
    expect(res.status).toBe(201);
    expect(body.validationMetrics?.rows).toBe(40 - keptRowCount(40, 3, 0.25));
    expect(body.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(body.bestEpoch).toBeLessThanOrEqual(body.lossHistory.length);
    const plain = await trainModel();
    expect(plain).toMatchObject({ validationMetrics: null, bestEpoch: null });
  });
});
