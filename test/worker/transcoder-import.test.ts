/**
 * A transcoder through the API (src/architectures/transcoder.ts): a SAELens skip_transcoder folder
 * (d_in 4 → d_out 3) imported as a zip; encode answers importSaeState's codes, decode of dense codes
 * and of sparse features (the ranged path, reading decoder rows of the stored width d_out) agree,
 * the feature view's decoder row has d_out values, and reconstruct is 422 (no error to measure
 * against an input of another width).
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../src/formats/safetensors.js';
import type { Tensor } from '../../src/formats/tensor.js';
import { call, expectProblem } from './helpers.js';

const N = 4;
const H = 6;
const OUT = 3;
const f32 = (name: string, shape: number[], seed: number): Tensor => {
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(seed * 12.9898 + k * 78.233) * 0.8);
  return { name, dtype: 'F32', shape, bytes: new Uint8Array(values.buffer) };
};
const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const ROWS = [
  [0.5, -1, 2, 0.25],
  [1, 0.5, -0.5, 2],
];

async function json<T>(res: Response, status = 200): Promise<T> {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  return JSON.parse(body) as T;
}

describe('a transcoder through the API', () => {
  it('imports, encodes, decodes (dense and sparse) to d_out values, shows d_out-wide features, and refuses reconstruct', async () => {
    const folder = {
      'cfg.json': text({ d_in: N, d_sae: H, d_out: OUT, dtype: 'float32', apply_b_dec_to_input: false, normalize_activations: 'none', architecture: 'skip_transcoder', metadata: { sae_lens_version: '6.18.0' } }),
      'sae_weights.safetensors': writeSafetensors([f32('W_enc', [N, H], 1), f32('W_dec', [H, OUT], 2), f32('b_enc', [H], 3), f32('b_dec', [OUT], 4), f32('W_skip', [OUT, N], 5)], {}),
    };
    const created = await json<{ id: string; source: { architecture: string } }>(await call('/v1/models/import', { body: zipSync(folder), headers: { 'content-type': 'application/zip' } }), 201);
    expect(created.source.architecture).toBe('skip_transcoder');
    const id = created.id;
    const { codes } = await json<{ codes: number[][] }>(await call(`/v1/models/${id}/encode`, { json: { inputs: ROWS } }));
    expect(codes[0]).toHaveLength(H);
    const dense = await json<{ outputs: number[][] }>(await call(`/v1/models/${id}/decode`, { json: { codes } }));
    expect(dense.outputs[0]).toHaveLength(OUT);
    const features = codes.map((row) => {
      const indices = row.flatMap((v, j) => (v > 0 ? [j] : []));
      return { indices, values: indices.map((j) => row[j]!) };
    });
    const sparse = await json<{ outputs: number[][] }>(await call(`/v1/models/${id}/decode`, { json: { features } }));
    expect(sparse.outputs[0]).toHaveLength(OUT);
    for (let i = 0; i < ROWS.length; i++) for (let c = 0; c < OUT; c++) expect(sparse.outputs[i]![c]).toBeCloseTo(dense.outputs[i]![c]!, 5);
    const feature = await json<{ decoder: number[] }>(await call(`/v1/models/${id}/features/2`));
    expect(feature.decoder).toHaveLength(OUT);
    const problem = await expectProblem(await call(`/v1/models/${id}/reconstruct`, { json: { inputs: ROWS } }), 422);
    expect(problem.detail).toMatch(/transcoder: its 3 outputs are another hook's activations/);
  });
});
