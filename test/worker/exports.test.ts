/**
 * GET /v1/models/{id}/export?format=onnx inside workerd: the ONNX bytes are the library's export
 * of the stored model (whose agreement with encode ONNX Runtime checks in test/export/), and the
 * protobuf library runs under Workers' rules (no eval, no wasm compiled from bytes).
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/export/onnx.js';
import { readModelFile } from '../../src/model/model-file.js';
import { call, ENCODE, expectProblem, trainModel } from './helpers.js';

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
  });
});
