/**
 * Issue 24, item 8, through the Worker: POST /v1/models/import checks `metrics`, `training` and
 * `config` against their schemas and refuses JSON nested past the bound before parsing it, as a
 * 422 naming the field, in either media type and either form; never a 500, never a value stored
 * and echoed unchecked.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { clearModelCache } from '../../src/api/models/service.js';
import { inferenceBytes } from '../../src/model/model-file-binary.js';
import { withHeader } from '../helpers/bad-binary-models.js';
import { call, expectProblem, trainModel, TRAINING_DATA } from './helpers.js';
import { uploadDataset } from './jobs-helpers.js';

const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

async function modelFileText(): Promise<string> {
  const { id } = await trainModel();
  const res = await call(`/v1/models/${id}/export`);
  expect(res.status).toBe(200);
  return res.text();
}

async function binaryFile(): Promise<Uint8Array> {
  const { id } = await trainModel();
  const res = await call(`/v1/models/${id}/export?format=safetensors`);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

const asJson = (text: string) => ({ body: text, headers: { 'content-type': 'application/json' } });
const asBytes = (body: string | Uint8Array) => ({ body, headers: { 'content-type': 'application/octet-stream' } });

async function expectRefused(res: Response, field: string): Promise<void> {
  const problem = await expectProblem(res, 422);
  expect(problem.type).toBe('urn:edge-sae:problem:invalid-model-file');
  expect(problem.field).toBe(field);
  expect(JSON.stringify(problem).length).toBeLessThan(2000);
}

describe('POST /v1/models/import: metrics, training and nesting', () => {
  it.each([5_223, 200_000])('should answer metrics nested %i levels deep with a 422 naming metrics (JSON body and octet-stream)', async (depth) => {
    const text = (await modelFileText()).replace(/"metrics":\{[^}]*\}/, `"metrics":{"loss":${nested(depth)}}`);
    expect(text).toContain(nested(depth));
    await expectRefused(await call('/v1/models/import', asJson(text)), 'metrics');
    await expectRefused(await call('/v1/models/import', asBytes(text)), 'metrics');
  });

  it('should answer a binary file whose metadata metrics nest deeply with a 422 naming __metadata__.metrics', async () => {
    const bytes = withHeader(await binaryFile(), (header) => {
      header.__metadata__.metrics = `{"loss":${nested(6_000)}}`;
    });
    await expectRefused(await call('/v1/models/import', asBytes(bytes)), '__metadata__.metrics');
  });

  it('should refuse metrics that are not the metrics (a 1 MB string, an unknown key, a nested value)', async () => {
    const file = JSON.parse(await modelFileText()) as Record<string, unknown>;
    const metrics = file.metrics as Record<string, unknown>;
    const cases: [unknown, string][] = [
      ['x'.repeat(1_000_000), 'metrics'],
      [{ ...metrics, note: 'x'.repeat(1_000_000) }, 'metrics.note'],
      [{ ...metrics, loss: { a: [1] } }, 'metrics.loss'],
    ];
    for (const [value, field] of cases) {
      await expectRefused(await call('/v1/models/import', { json: { ...file, metrics: value } }), field);
    }
  });

  it('should refuse unknown training and config keys instead of storing and echoing them', async () => {
    const file = JSON.parse(await modelFileText()) as Record<string, Record<string, unknown>>;
    await expectRefused(await call('/v1/models/import', { json: { ...file, training: { ...file.training, injected: 'x' } } }), 'training.injected');
    await expectRefused(await call('/v1/models/import', { json: { ...file, config: { ...file.config, injected: 1 } } }), 'config.injected');
  });

  it('should still import a good file, with its metrics served back as stored', async () => {
    const text = await modelFileText();
    const res = await call('/v1/models/import', asJson(text));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { metrics: Record<string, unknown>; training: Record<string, unknown> };
    expect(body.metrics).toEqual((JSON.parse(text) as { metrics: unknown }).metrics);
  });
});

describe('answers of an imported model with extreme values (item 10)', () => {
  async function imported(edit: (file: Record<string, any>) => void): Promise<{ id: string; trained: string }> {
    const { id: trained } = await trainModel({ config: { architecture: 'relu', hiddenSize: 6 } });
    const file = (await (await call(`/v1/models/${trained}/export`)).json()) as Record<string, any>;
    edit(file);
    const res = await call('/v1/models/import', { json: file });
    expect(res.status, await res.clone().text()).toBe(201);
    return { id: ((await res.json()) as { id: string }).id, trained };
  }

  async function expectOverflow(id: string, route: string, inputs: number[][], output: string | RegExp): Promise<void> {
    const answer = await call(`/v1/models/${id}/${route}`, { json: { inputs } });
    const problem = await expectProblem(answer, 422);
    expect(problem).toMatchObject({ type: 'urn:edge-sae:problem:model-overflow', model: id });
    expect(problem.output).toMatch(output);
    expect(problem.detail).toMatch(new RegExp(`^model "${id}": the model's .* overflowed float32`));
  }

  it('should answer encode, reconstruct and evaluate of a model scaled by a range of 1e-30 with a 422 naming the model, never null', async () => {
    const { id, trained } = await imported((file) => {
      file.normalization = { kind: 'minmax', min: [0, 0, 0, 0], max: [1e-30, 1e-30, 1e-30, 1e-30] };
    });
    const inputs = TRAINING_DATA.map((row) => row.map((v) => v * 1e9 + 1e9));
    for (const route of ['encode', 'reconstruct', 'evaluate']) await expectOverflow(id, route, inputs, 'scaled inputs');
    // Ordinary rows of an ordinary model are answered (numbers, no null).
    const ok = await call(`/v1/models/${trained}/encode`, { json: { inputs: TRAINING_DATA } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).not.toContain('null');
  });

  it('should fail a batch encode of such a model as model-overflow, naming the model', async () => {
    const { id } = await imported((file) => {
      file.normalization = { kind: 'minmax', min: [0, 0, 0, 0], max: [1e-30, 1e-30, 1e-30, 1e-30] };
    });
    const rows = TRAINING_DATA.map((row) => row.map((v) => v * 1e9 + 1e9));
    const datasetId = await uploadDataset({ rows: rows.length, cols: 4, data: Float32Array.from(rows.flat()) });
    const started = await call(`/v1/models/${id}/encode-jobs`, { json: { datasetId } });
    expect(started.status, await started.clone().text()).toBe(202);
    const job = (await started.json()) as { id: string };
    let body: { status: string; error: { type: string; detail: string } | null } = { status: 'queued', error: null };
    for (const deadline = Date.now() + 30_000; ['queued', 'running'].includes(body.status) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = (await (await call(`/v1/encode-jobs/${job.id}`)).json()) as typeof body;
    }
    expect(body.status).toBe('failed');
    expect(body.error?.type).toBe('model-overflow');
    expect(body.error?.detail).toMatch(new RegExp(`^model "${id}": the model's scaled inputs overflowed float32`));
  });

  it('should answer a model whose weights near 3.4e38 overflow with a 422 naming codes, outputs or the metric', async () => {
    const { id } = await imported((file) => {
      file.encoder.weights = file.encoder.weights.map((row: number[]) => row.map(() => 3.4e38));
      file.decoder.weights = file.decoder.weights.map((row: number[]) => row.map(() => 3.4e38));
      file.decoder.bias = file.decoder.bias.map(() => 0);
    });
    const inputs = TRAINING_DATA.map((row) => row.map((v) => v + 1));
    await expectOverflow(id, 'encode', inputs, 'codes');
    await expectOverflow(id, 'reconstruct', inputs, /^(codes|outputs)$/);
    await expectOverflow(id, 'evaluate', inputs, /^metrics\./);
  });
});

describe('long histories (item 9)', () => {
  const epochs = 100_000;
  const loss = Array.from({ length: epochs }, (_, k) => 1 / (1 + k / 100));
  const validation = loss.map((v) => v * 1.1);

  it('should import a file of 200,000 history values summarised, and draw its loss curve', async () => {
    const file = JSON.parse(await modelFileText()) as Record<string, unknown>;
    const res = await call('/v1/models/import', { json: { ...file, lossHistory: loss, validationHistory: validation, bestEpoch: 99_000 } });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const svg = await call(`/v1/models/${id}/loss.svg`);
    expect(svg.status, await svg.clone().text()).toBe(200);
    expect(await svg.text()).toContain(`${epochs} epochs`);
    const exported = (await (await call(`/v1/models/${id}/export`)).json()) as { lossHistory: number[]; historyEpochs: number[]; bestEpoch: number };
    expect(exported.lossHistory.length).toBeLessThanOrEqual(10_000);
    expect(exported.historyEpochs.at(-1)).toBe(epochs);
    expect(exported.bestEpoch).toBe(99_000);
  });

  it('should draw and encode a model stored with its whole history before the bound', async () => {
    const { id } = await trainModel();
    const key = `models/${id}.json`;
    const object = await env.MODELS.get(key);
    const bytes = withHeader(new Uint8Array(await object!.arrayBuffer()), (header) => {
      header.__metadata__.lossHistory = JSON.stringify(loss);
      header.__metadata__.validationHistory = JSON.stringify(validation);
    });
    // As the store wrote it then: the inference prefix moves with the header (model-store.ts).
    const customMetadata = { ...object!.customMetadata, inferenceBytes: String(inferenceBytes(bytes)) };
    await env.MODELS.put(key, bytes, { customMetadata, httpMetadata: object!.httpMetadata });
    clearModelCache();
    const svg = await call(`/v1/models/${id}/loss.svg`);
    expect(svg.status, await svg.clone().text()).toBe(200);
    clearModelCache();
    const encoded = await call(`/v1/models/${id}/encode`, { json: { inputs: TRAINING_DATA } });
    expect(encoded.status).toBe(200);
  });
});
