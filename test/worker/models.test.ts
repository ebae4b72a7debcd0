/**
 * The model lifecycle through the real Worker in workerd: train → get → list → encode →
 * reconstruct → evaluate → export → import → continue training → delete, checking bodies.
 */
import { describe, expect, it } from 'vitest';
import { call, ENCODE, expectProblem, METRIC_KEYS, trainModel, TRAINING_DATA, type TrainResponseBody } from './helpers.js';

const ID = /^[a-z2-7]{32}$/;

function expectMatrix(value: unknown, rows: number, cols: number): number[][] {
  expect(Array.isArray(value)).toBe(true);
  const matrix = value as number[][];
  expect(matrix).toHaveLength(rows);
  for (const row of matrix) {
    expect(row).toHaveLength(cols);
    for (const x of row) expect(Number.isFinite(x)).toBe(true);
  }
  return matrix;
}

describe('model lifecycle', () => {
  it('should train, serve, export, import, retrain and delete a model', async () => {
    // Train.
    const trained: TrainResponseBody = await trainModel({ name: 'lifecycle', training: { epochs: 200, seed: 7 } });
    expect(trained.id).toMatch(ID);
    expect(trained).toMatchObject({ name: 'lifecycle', inputSize: 4, hiddenSize: 12, version: 1, backend: 'assemblyscript' });
    expect(trained.config).toMatchObject({ hiddenSize: 12, sparsityTarget: 0.1, reduction: 'sum', normalize: 'minmax' });
    expect(trained.training).toMatchObject({ epochs: 200, seed: 7, optimizer: 'adam', epochsCompleted: 200 });
    for (const key of METRIC_KEYS) expect(trained.metrics).toHaveProperty(key);
    expect(trained.metrics.loss).toBeGreaterThan(0);
    expect(trained.lossHistory).toHaveLength(200);
    expect(trained.lossHistory.at(-1)!).toBeLessThan(trained.lossHistory[0]!);
    expect(trained).not.toHaveProperty('encoder');
    const { id } = trained;

    // Get: the summary, never the weights.
    let res = await call(`/v1/models/${id}`, { token: ENCODE });
    expect(res.status).toBe(200);
    const detail = (await res.json()) as Record<string, unknown>;
    expect(detail).toMatchObject({ id, name: 'lifecycle', inputSize: 4, hiddenSize: 12, version: 1 });
    expect(detail.metrics).toEqual(trained.metrics);
    expect(detail).not.toHaveProperty('encoder');
    expect(detail).not.toHaveProperty('decoder');
    expect(detail).not.toHaveProperty('optimizerState');

    // List.
    res = await call('/v1/models?limit=100', { token: ENCODE });
    expect(res.status).toBe(200);
    const list = (await res.json()) as { models: { id: string }[]; cursor: string | null };
    expect(list.models.map((m) => m.id)).toContain(id);

    // Encode: a batch, and one row.
    res = await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA } });
    expect(res.status).toBe(200);
    const codes = expectMatrix(((await res.json()) as { codes: unknown }).codes, 8, 12);
    for (const row of codes) for (const a of row) expect(a > 0 && a < 1).toBe(true);
    res = await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { input: TRAINING_DATA[3] } });
    expect(res.status).toBe(200);
    const single = expectMatrix(((await res.json()) as { codes: unknown }).codes, 1, 12);
    single[0]!.forEach((a, j) => expect(a).toBeCloseTo(codes[3]![j]!, 5));

    // Reconstruct: outputs in the original scale and per-row squared errors that match them.
    res = await call(`/v1/models/${id}/reconstruct`, { token: ENCODE, json: { inputs: TRAINING_DATA } });
    expect(res.status).toBe(200);
    const reconstruction = (await res.json()) as { outputs: number[][]; errors: number[] };
    const outputs = expectMatrix(reconstruction.outputs, 8, 4);
    expect(reconstruction.errors).toHaveLength(8);
    outputs.forEach((row, i) => {
      const squared = row.reduce((sum, y, j) => sum + (y - TRAINING_DATA[i]![j]!) ** 2, 0);
      expect(reconstruction.errors[i]!).toBeCloseTo(squared, 4);
    });

    // Evaluate on the training data: the training metrics again.
    res = await call(`/v1/models/${id}/evaluate`, { token: ENCODE, json: { inputs: TRAINING_DATA } });
    expect(res.status).toBe(200);
    const metrics = (await res.json()) as Record<string, number>;
    for (const key of METRIC_KEYS) expect(metrics).toHaveProperty(key);
    expect(metrics.loss).toBeCloseTo(trained.metrics.loss!, 4);
    expect(metrics.rows).toBe(8);

    // Export: the model file of docs/SPEC.md section 3.
    res = await call(`/v1/models/${id}/export`, { token: ENCODE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const file = (await res.json()) as Record<string, any>;
    expect(file).toMatchObject({ format: 'edge-sae', version: 1, inputSize: 4, hiddenSize: 12 });
    expectMatrix(file.encoder.weights, 4, 12);
    expectMatrix(file.decoder.weights, 12, 4);
    expect(file.encoder.bias).toHaveLength(12);
    expect(file.decoder.bias).toHaveLength(4);
    expect(file.normalization.kind).toBe('minmax');

    // Import: a new id, the same model.
    res = await call('/v1/models/import?name=copy', { json: file });
    expect(res.status).toBe(201);
    const imported = (await res.json()) as TrainResponseBody;
    expect(imported.id).toMatch(ID);
    expect(imported.id).not.toBe(id);
    expect(imported).toMatchObject({ name: 'copy', inputSize: 4, hiddenSize: 12, version: 1 });
    res = await call(`/v1/models/${imported.id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA } });
    const importedCodes = ((await res.json()) as { codes: number[][] }).codes;
    importedCodes.forEach((row, i) => row.forEach((a, j) => expect(a).toBeCloseTo(codes[i]![j]!, 6)));

    // Continue training: version 2, resumes where it stopped, and encode serves the new weights.
    res = await call(`/v1/models/${id}/train`, { json: { data: TRAINING_DATA, training: { epochs: 100 } } });
    const retrainedText = await res.text();
    expect(res.status, retrainedText).toBe(200);
    const retrained = JSON.parse(retrainedText) as TrainResponseBody;
    expect(retrained).toMatchObject({ id, version: 2, name: 'lifecycle' });
    expect(retrained.training).toMatchObject({ epochs: 100, seed: 7, epochsCompleted: 300 });
    expect(retrained.lossHistory).toHaveLength(100);
    // Resuming (weights and Adam state kept): the first new loss is near the last old one.
    expect(Math.abs(retrained.lossHistory[0]! - trained.lossHistory.at(-1)!)).toBeLessThan(
      Math.abs(trained.lossHistory[0]! - trained.lossHistory.at(-1)!),
    );
    expect(retrained.metrics.loss!).toBeLessThan(trained.metrics.loss!);
    res = await call(`/v1/models/${id}`, { token: ENCODE });
    expect(((await res.json()) as { version: number }).version).toBe(2);
    res = await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA } });
    const newCodes = ((await res.json()) as { codes: number[][] }).codes;
    expect(newCodes).not.toEqual(codes);
    res = await call(`/v1/models/${id}/export`, { token: ENCODE });
    expect(((await res.json()) as { lossHistory: number[] }).lossHistory).toHaveLength(300);

    // Delete, then everything about it is 404 (problem+json).
    res = await call(`/v1/models/${id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await expectProblem(await call(`/v1/models/${id}`, { token: ENCODE }), 404);
    await expectProblem(await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: TRAINING_DATA } }), 404);
    await expectProblem(await call(`/v1/models/${id}/export`, { token: ENCODE }), 404);
    await expectProblem(await call(`/v1/models/${id}`, { method: 'DELETE' }), 404);
    // The import is unaffected.
    res = await call(`/v1/models/${imported.id}`, { token: ENCODE });
    expect(res.status).toBe(200);
  });

  it('should train from a text/csv body with the options in the query', async () => {
    const csv = 'a,b,c\n' + TRAINING_DATA.map((row) => row.slice(0, 3).join(',')).join('\n') + '\n';
    const res = await call('/v1/models?name=from-csv&hiddenSize=5&epochs=20&learningRate=0.01&seed=3', {
      body: csv,
      headers: { 'content-type': 'text/csv; charset=utf-8' },
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const body = JSON.parse(text) as TrainResponseBody;
    expect(body).toMatchObject({ name: 'from-csv', inputSize: 3, hiddenSize: 5, version: 1 });
    expect(body.training).toMatchObject({ epochs: 20, learningRate: 0.01, seed: 3 });
    expect(body.lossHistory).toHaveLength(20);
  });

  it('should train the same weights for the same seed', async () => {
    const a = await trainModel({ training: { epochs: 30, seed: 11 } });
    const b = await trainModel({ training: { epochs: 30, seed: 11 } });
    expect(b.id).not.toBe(a.id);
    expect(b.lossHistory).toEqual(a.lossHistory);
  });

  it('should page through the list with a cursor', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await trainModel({ training: { epochs: 1 } })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(`/v1/models?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: ENCODE });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { models: { id: string; inputSize: number }[]; cursor: string | null };
      expect(page.models.length).toBeLessThanOrEqual(2);
      for (const m of page.models) {
        expect(m.inputSize).toBeGreaterThan(0);
        seen.push(m.id);
      }
      cursor = page.cursor;
      pages++;
    } while (cursor !== null && pages < 50);
    expect(pages).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('should report the backend and version on /healthz without a token', async () => {
    const res = await call('/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      version: expect.any(String),
      backend: 'assemblyscript',
      report: { requested: 'auto', chosen: 'assemblyscript' },
    });
  });

  it('should serve an OpenAPI 3.1 document of every route and a docs page', async () => {
    let res = await call('/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: any };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/v1/audit',
        '/v1/datasets',
        '/v1/datasets/{id}',
        '/v1/datasets/{id}/download',
        '/v1/encode-jobs/{id}',
        '/v1/feature-jobs/{id}',
        '/v1/feature-jobs/{id}/events',
        '/v1/datasets/uploads',
        '/v1/datasets/uploads/{id}',
        '/v1/datasets/uploads/{id}/complete',
        '/v1/datasets/uploads/{id}/labels/{n}',
        '/v1/datasets/uploads/{id}/parts/{n}',
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/events',
        '/v1/keys',
        '/v1/keys/{id}',
        '/v1/models',
        '/v1/models/import',
        '/v1/models/uploads',
        '/v1/models/uploads/{id}',
        '/v1/models/uploads/{id}/complete',
        '/v1/models/uploads/{id}/parts/{n}',
        '/v1/models/{id}',
        '/v1/models/{id}/decode',
        '/v1/models/{id}/encode',
        '/v1/models/{id}/encode-jobs',
        '/v1/models/{id}/explain',
        '/v1/models/{id}/features',
        '/v1/models/{id}/features/{j}',
        '/v1/models/{id}/density.svg',
        '/v1/models/{id}/evaluate',
        '/v1/models/{id}/export',
        '/v1/models/{id}/export/tfjs/model.json',
        '/v1/models/{id}/export/tfjs/weights.bin',
        '/v1/models/{id}/filters.png',
        '/v1/models/{id}/filters.svg',
        '/v1/models/{id}/loss.svg',
        '/v1/models/{id}/reconstruct',
        '/v1/models/{id}/shards/{k}/restart',
        '/v1/models/{id}/train',
        '/v1/sweeps',
        '/v1/sweeps/{id}',
        '/v1/sweeps/{id}/events',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/v1/models']!).sort()).toEqual(['get', 'post']);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.TrainRequest).toBeDefined();
    // The sparse answer's fields and the binary media type are described (issue 27, item 3).
    expect(doc.components.schemas.EncodeRequest.properties).toMatchObject({ top: { type: 'integer', minimum: 1 }, threshold: { type: 'number' } });
    const encode200 = (doc.paths['/v1/models/{id}/encode']!.post as any).responses['200'].content;
    expect(Object.keys(encode200).sort()).toEqual(['application/json', 'application/octet-stream']);
    expect(encode200['application/octet-stream'].schema.description).toMatch(/ESSC.*u32 count\[rows\], u32 index\[entries\], f32 value\[entries\]/);
    expect(Object.keys((doc.paths['/v1/models/{id}/decode']!.post as any).requestBody.content).sort()).toEqual(['application/json', 'application/octet-stream']);
    // GET /docs is a static asset, which the Workers test pool does not serve: test/browser/docs-page.test.ts renders it under wrangler dev.
  });
});
