/**
 * Another library's SAE through the API (issue 26): POST /v1/models/import takes a zip of its
 * folder (application/zip or octet-stream) and answers the model with its source, which the model
 * view and GET /v1/models show; GET /v1/models/{id}/export?format=saelens|sparsify answers a zip
 * of the folder those libraries load; hostile files are 422 naming the file and the field (413
 * above MAX_MODEL_BYTES), with nothing stored. The folders are built here (workerd has no file
 * system for the fixtures; test/sae-import/ checks the libraries' own files in Node).
 */
import { env } from 'cloudflare:workers';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { writeSafetensors } from '../../src/formats/safetensors.js';
import type { Tensor } from '../../src/formats/tensor.js';
import { importSaeState } from '../../src/sae-import/import.js';
import { readModelBytes } from '../../src/model/model-bytes.js';
import { call, expectProblem, request, trainModel } from './helpers.js';

const N = 4;
const H = 6;
const f32 = (name: string, shape: number[], seed: number): Tensor => {
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(seed * 12.9898 + k * 78.233) * 0.8);
  return { name, dtype: 'F32', shape, bytes: new Uint8Array(values.buffer) };
};
const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function saelensFolder(cfg: Record<string, unknown> = {}): Record<string, Uint8Array> {
  return {
    'cfg.json': text({ d_in: N, d_sae: H, dtype: 'float32', apply_b_dec_to_input: true, normalize_activations: 'none', architecture: 'topk', k: 2, metadata: { sae_lens_version: '6.18.0', model_name: 'gpt2', hook_name: 'blocks.3.hook_resid_pre', neuronpedia_id: 'gpt2-small/3-res' }, ...cfg }),
    'sae_weights.safetensors': writeSafetensors([f32('W_enc', [N, H], 1), f32('W_dec', [H, N], 2), f32('b_enc', [H], 3), f32('b_dec', [N], 4)], {}),
  };
}
/** A safetensors file with the header as given (the writer would refuse a bad one). */
function rawSafetensors(header: Record<string, unknown>, dataBytes: number): Uint8Array {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  return out;
}
const zip = (files: Record<string, Uint8Array>) => zipSync(files, { level: 6 });
const importZip = (bytes: Uint8Array, type = 'application/zip', query = '') => call(`/v1/models/import${query}`, { body: bytes, headers: { 'content-type': type } });

async function storedKeys(): Promise<string[]> {
  return (await env.MODELS.list({ prefix: 'models/' })).objects.map((o) => o.key).sort();
}

const ROWS = [
  [0.5, -1, 2, 0.25],
  [1, 0.5, -0.5, 2],
];

describe('SAEs of other libraries through the API', () => {
  it('imports a SAELens folder as a zip, shows its source, encodes as importSae does, and exports it back', async () => {
    const files = saelensFolder();
    const res = await importZip(zip(files), 'application/zip', '?name=gpt2-l3');
    expect(res.status).toBe(201);
    const model = (await res.json()) as { id: string; config: { architecture: string; k: number }; source: Record<string, unknown> };
    expect(model.config).toMatchObject({ architecture: 'topk', k: 2 });
    expect(model.source).toMatchObject({ format: 'saelens', library: 'sae_lens', libraryVersion: '6.18.0', modelName: 'gpt2', hookName: 'blocks.3.hook_resid_pre', neuronpediaId: 'gpt2-small/3-res' });

    const detail = (await (await call(`/v1/models/${model.id}`)).json()) as { source: unknown };
    expect(detail.source).toEqual(model.source);
    const list = (await (await call('/v1/models?limit=100')).json()) as { models: { id: string; source?: unknown }[] };
    expect(list.models.find((m) => m.id === model.id)?.source).toMatchObject({ format: 'saelens', modelName: 'gpt2' });

    const encoded = (await (await call(`/v1/models/${model.id}/encode`, { json: { inputs: ROWS } })).json()) as { codes: number[][] };
    expect(encoded.codes.map((row) => row.filter((v) => v > 0).length).every((count) => count <= 2)).toBe(true);

    for (const format of ['saelens', 'sparsify'] as const) {
      const exported = await call(`/v1/models/${model.id}/export?format=${format}`);
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toBe('application/zip');
      const folder = unzipSync(new Uint8Array(await exported.arrayBuffer()));
      expect(Object.keys(folder).sort()).toEqual(format === 'saelens' ? ['cfg.json', 'sae_weights.safetensors'] : ['cfg.json', 'sae.safetensors']);
      const back = importSaeState(folder).state;
      const original = importSaeState(files).state;
      expect(back.parameters.W1).toEqual(original.parameters.W1);
      expect(back.config.k).toBe(2);
    }
    const bf16 = unzipSync(new Uint8Array(await (await call(`/v1/models/${model.id}/export?format=saelens&dtype=bf16`)).arrayBuffer()));
    expect(JSON.parse(new TextDecoder().decode(bf16['cfg.json']))).toMatchObject({ dtype: 'bfloat16' });
    await expectProblem(await call(`/v1/models/${model.id}/export?dtype=bf16`), 422);
  });

  it("keeps SAELens' sparsity.safetensors and draws it at GET density.svg (cached by ETag); a model without one is 422", async () => {
    // log10 densities, one dead unit (SAELens' log10(0 + 1e-10) = −10)
    const log10 = Float32Array.from([-1, -2, -10, -0.5, -3, -1.5]);
    const files = { ...saelensFolder(), 'sparsity.safetensors': writeSafetensors([{ name: 'sparsity', dtype: 'F32', shape: [H], bytes: new Uint8Array(log10.buffer) }], {}) };
    const model = (await (await importZip(zip(files))).json()) as { id: string };
    const res = await call(`/v1/models/${model.id}/density.svg?bins=10`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    const svg = await res.text();
    expect(svg).toMatch(/<title id="density-title">Feature density \(as sae_lens measured it\): 6 units, 1 dead/);
    const again = await call(`/v1/models/${model.id}/density.svg?bins=10`, { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const without = (await (await importZip(zip(saelensFolder()))).json()) as { id: string };
    const problem = await expectProblem(await call(`/v1/models/${without.id}/density.svg`), 422);
    expect(problem.detail).toMatch(/carries no feature density.*POST rows/);
    // exported back with it
    const folder = unzipSync(new Uint8Array(await (await call(`/v1/models/${model.id}/export?format=saelens`)).arrayBuffer()));
    expect(importSaeState(folder).state.logFeatureDensity).toEqual(log10);
  });

  it('?dtype=bf16 stores the imported SAE with bf16 weights (an SAE and a model file alike); an unknown dtype is 422', async () => {
    const res = await importZip(zip(saelensFolder()), 'application/zip', '?dtype=bf16');
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const stored = readModelBytes(new Uint8Array(await (await call(`/v1/models/${id}/export?format=safetensors`)).arrayBuffer()));
    expect(stored.stored?.dtype).toBe('bf16');
    const encoded = (await (await call(`/v1/models/${id}/encode`, { json: { inputs: ROWS } })).json()) as { codes: number[][] };
    expect(encoded.codes).toHaveLength(2);
    // a model file of edge-sae's own, converted on the way in
    const f32File = new Uint8Array(await (await call(`/v1/models/${(await (await importZip(zip(saelensFolder()))).json() as { id: string }).id}/export?format=safetensors`)).arrayBuffer());
    const int8 = await call('/v1/models/import?dtype=int8', { body: f32File, headers: { 'content-type': 'application/octet-stream' } });
    expect(int8.status).toBe(201);
    const back = readModelBytes(new Uint8Array(await (await call(`/v1/models/${((await int8.json()) as { id: string }).id}/export?format=safetensors`)).arrayBuffer()));
    expect(back.stored?.dtype).toBe('int8');
    await expectProblem(await importZip(zip(saelensFolder()), 'application/zip', '?dtype=f16'), 422);
  });

  it('takes the zip as application/octet-stream too, and a format named', async () => {
    const res = await importZip(zip(saelensFolder()), 'application/octet-stream', '?format=saelens');
    expect(res.status).toBe(201);
  });

  const hostile: [string, Uint8Array, RegExp][] = [
    ['an unknown architecture', zip(saelensFolder({ architecture: 'mystery' })), /cfg\.json.*architecture/],
    ['a d_sae disagreeing with the tensors', zip(saelensFolder({ d_sae: 32 })), /cfg\.json.*d_sae/],
    ['a truncated zip', zip(saelensFolder()).slice(0, 200), /central directory|truncated/],
    [
      'safetensors shapes disagreeing with offsets',
      zip({ ...saelensFolder(), 'sae_weights.safetensors': rawSafetensors({ W_enc: { dtype: 'F32', shape: [N, H + 1], data_offsets: [0, 4 * N * H] } }, 4 * N * H) }),
      /sae_weights\.safetensors.*W_enc/,
    ],
    [
      'a pickle naming os.system',
      zipSync({ 'archive/data.pkl': Uint8Array.from([0x80, 0x02, ...new TextEncoder().encode('cos\nsystem\nX\x02\x00\x00\x00id\x85R.')]) }, { level: 0 }),
      /os\.system/,
    ],
  ];

  it.each(hostile)('refuses %s with 422, naming it, storing nothing', async (_, bytes, names) => {
    const before = await storedKeys();
    const problem = await expectProblem(await importZip(bytes, 'application/octet-stream'), 422);
    expect(`${problem.detail} ${JSON.stringify(problem)}`).toMatch(names);
    expect(await storedKeys()).toEqual(before);
  });

  it('a sigmoid model exported as saelens is 422 naming ONNX', async () => {
    const model = await trainModel();
    const problem = await expectProblem(await call(`/v1/models/${model.id}/export?format=saelens`), 422);
    expect(JSON.stringify(problem)).toMatch(/sigmoid.*ONNX/);
  });

  it('a folder above MAX_MODEL_BYTES is 413', async () => {
    const res = await app.request(request('/v1/models/import', { body: zip(saelensFolder()), headers: { 'content-type': 'application/zip' } }), undefined, { ...env, MAX_MODEL_BYTES: '100' });
    expect((await expectProblem(res, 413)).limit).toBe('MAX_MODEL_BYTES');
  });
});
