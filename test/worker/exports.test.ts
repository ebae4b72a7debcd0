/**
 * The export routes for other runtimes inside workerd. ONNX: the bytes are the library's export
 * of the stored model (whose agreement with encode ONNX Runtime checks in test/export/), and the
 * protobuf library runs under Workers' rules (no eval, no wasm compiled from bytes). TF.js:
 * tf.loadLayersModel loads the model by URL through the Worker and agrees with /encode.
 */
import { SELF } from 'cloudflare:test';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/export/onnx.js';
import { exportTfjsLayers } from '../../src/export/tfjs-layers.js';
import { readModelFile } from '../../src/model/model-file.js';
import { BASE, call, ENCODE, expectProblem, trainModel, TRAINING_DATA } from './helpers.js';

const { onnx } = onnxProto;

async function storedFile(id: string): Promise<unknown> {
  const res = await call(`/v1/models/${id}/export`, { token: ENCODE });
  expect(res.status).toBe(200);
  return res.json();
}

describe('ONNX export route', () => {
  it('should return the encoder as ONNX, the same bytes the library writes for the stored model', async () => {
    const { id } = await trainModel({ training: { epochs: 20, seed: 3 } });
    const res = await call(`/v1/models/${id}/export?format=onnx`, { token: ENCODE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}-encoder.onnx"`);
    const bytes = new Uint8Array(await res.arrayBuffer());

    const state = readModelFile(await storedFile(id));
    const expected = exportOnnx({ shape: state.shape, parameters: state.parameters, normalization: state.normalization });
    expect(bytes).toEqual(expected);
    const proto = onnx.ModelProto.decode(bytes);
    expect(proto.graph!.node!.map((n) => n.opType)).toEqual(['Gemm', 'Sigmoid']);
    expect(proto.graph!.output!.map((o) => o.name)).toEqual(['codes']);
  });

  it('should return the whole autoencoder with whole=true', async () => {
    const { id } = await trainModel({ training: { epochs: 5 } });
    const res = await call(`/v1/models/${id}/export?format=onnx&whole=true`, { token: ENCODE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}-autoencoder.onnx"`);
    const proto = onnx.ModelProto.decode(new Uint8Array(await res.arrayBuffer()));
    expect(proto.graph!.output!.map((o) => o.name)).toEqual(['codes', 'reconstruction']);
  });

  it('should keep format=json (and no format) the model file', async () => {
    const { id } = await trainModel({ training: { epochs: 5 } });
    const res = await call(`/v1/models/${id}/export?format=json`, { token: ENCODE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(await storedFile(id));
  });

  it('should answer 422 for an unknown format or whole value, and 404 for no such model', async () => {
    const { id } = await trainModel({ training: { epochs: 5 } });
    const format = await expectProblem(await call(`/v1/models/${id}/export?format=keras`, { token: ENCODE }), 422);
    expect(JSON.stringify(format.errors)).toContain('format');
    const whole = await expectProblem(await call(`/v1/models/${id}/export?format=onnx&whole=yes`, { token: ENCODE }), 422);
    expect(JSON.stringify(whole.errors)).toContain('whole');
    await expectProblem(await call('/v1/models/nosuchmodelnosuchmodelnosuchmode/export?format=onnx', { token: ENCODE }), 404);
    const jsonWhole = await expectProblem(await call(`/v1/models/${id}/export?whole=true`, { token: ENCODE }), 422);
    expect(jsonWhole.errors).toEqual([{ parameter: 'whole', detail: 'only with format=onnx' }]);
  });
});

describe('TF.js export routes', () => {
  it('should serve a layers model that tf.loadLayersModel loads by URL, with codes equal to encode', async () => {
    const { id } = await trainModel({ training: { epochs: 20, seed: 4 } });
    // tfjs-layers and its cpu backend, inside workerd, loading over the Worker's own fetch.
    await import('@tensorflow/tfjs-backend-cpu');
    const tf = await import('@tensorflow/tfjs-core');
    const { loadLayersModel } = await import('@tensorflow/tfjs-layers');
    await tf.setBackend('cpu');
    const rows = TRAINING_DATA.slice(0, 5);
    const encoded = await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: rows } });
    const { codes } = (await encoded.json()) as { codes: number[][] };

    for (const whole of [false, true]) {
      const url = `${BASE}/v1/models/${id}/export/tfjs/model.json${whole ? '?whole=true' : ''}`;
      const fetched: string[] = [];
      const layers = await loadLayersModel(url, {
        requestInit: { headers: { authorization: `Bearer ${ENCODE}` } },
        fetchFunc: (input: RequestInfo | URL, init?: RequestInit) => {
          fetched.push(String(input));
          return SELF.fetch(new Request(input, init));
        },
      });
      expect(fetched).toEqual([url, url.replace('model.json', 'weights.bin')]);
      const out = layers.predict(tf.tensor2d(rows)) as InstanceType<typeof tf.Tensor>;
      expect(out.shape).toEqual([5, whole ? 4 : 12]);
      if (!whole) expectClose(Array.from(await out.data()), codes.flat(), 1e-5);
      layers.dispose();
    }
  });

  it('should serve a relu model (codes equal to encode), and refuse a topk model with 422 naming ONNX', async () => {
    const { id } = await trainModel({ config: { architecture: 'relu', hiddenSize: 12 }, training: { epochs: 20, seed: 4 } });
    await import('@tensorflow/tfjs-backend-cpu');
    const tf = await import('@tensorflow/tfjs-core');
    const { loadLayersModel } = await import('@tensorflow/tfjs-layers');
    await tf.setBackend('cpu');
    const rows = TRAINING_DATA.slice(0, 5);
    const { codes } = (await (await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs: rows } })).json()) as { codes: number[][] };
    const layers = await loadLayersModel(`${BASE}/v1/models/${id}/export/tfjs/model.json`, {
      requestInit: { headers: { authorization: `Bearer ${ENCODE}` } },
      fetchFunc: (input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(new Request(input, init)),
    });
    const out = layers.predict(tf.tensor2d(rows)) as InstanceType<typeof tf.Tensor>;
    expectClose(Array.from(await out.data()), codes.flat(), 1e-5);
    layers.dispose();

    const topk = await trainModel({ config: { architecture: 'topk', k: 2, hiddenSize: 12 }, training: { epochs: 2, seed: 4 } });
    for (const part of ['model.json', 'weights.bin']) {
      const refused = await expectProblem(await call(`/v1/models/${topk.id}/export/tfjs/${part}`, { token: ENCODE }), 422);
      expect(refused.detail).toMatch(/"topk".*no built-in layer.*export topk models as ONNX/);
    }
  });

  it('should give the library\'s bytes for the stored model, and 404/422 like the other routes', async () => {
    const { id } = await trainModel({ training: { epochs: 5 } });
    const state = readModelFile(await storedFile(id));
    const expected = exportTfjsLayers({ shape: state.shape, parameters: state.parameters, normalization: state.normalization }, { whole: true });
    const json = await call(`/v1/models/${id}/export/tfjs/model.json?whole=true`, { token: ENCODE });
    expect(await json.json()).toEqual(expected.modelJson);
    const bin = await call(`/v1/models/${id}/export/tfjs/weights.bin?whole=true`, { token: ENCODE });
    expect(bin.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await bin.arrayBuffer())).toEqual(expected.weightData);
    await expectProblem(await call('/v1/models/nosuchmodelnosuchmodelnosuchmode/export/tfjs/model.json', { token: ENCODE }), 404);
    await expectProblem(await call(`/v1/models/${id}/export/tfjs/weights.bin?whole=1`, { token: ENCODE }), 422);
    await expectProblem(await call(`/v1/models/${id}/export/tfjs/model.json`, { token: null }), 401);
  });
});

function expectClose(actual: number[], expected: number[], atol: number): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i]!)));
  expect(worst).toBeLessThanOrEqual(atol);
}
