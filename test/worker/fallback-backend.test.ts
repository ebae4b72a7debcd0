/**
 * The tfjs-wasm fallback inside workerd, through the Worker's own API: forcing it trains and
 * encodes, "auto" still picks the AssemblyScript kernels, the model file records which backend
 * trained it, and a model moves between the two backends with the same codes.
 */
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import { describe, expect, it } from 'vitest';

import { workerBackendProviders } from '../../src/api/backends.js';
import { resolveBackend } from '../../src/backends/select.js';
import { createTfjsWasmBackendFromModule } from '../../src/backends/tfjs/register-worker.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { expectAllClose } from '../helpers/allclose.js';
import { call, ENCODE, trainModel, TRAINING_DATA } from './helpers.js';

/**
 * Codes of the same weights on two backends: one forward layer, so float32 rounding only. The
 * same tolerance as test/conformance/cross-backend-files.test.ts (measured worst there: 6e-8).
 */
const CODES_TOL = { atol: 5e-7, rtol: 1e-6 };

/** Rows in and a little beyond the training data's range (minmax extrapolates linearly). */
const FRESH_ROWS: number[][] = Array.from({ length: 6 }, (_, i) => [
  i / 5,
  1 - i / 5,
  ((i * 3) % 7) / 6 - 0.1,
  ((i * 5) % 9) / 8 + 0.05,
]);

interface ModelFileJson {
  training: { backend: string; epochsCompleted: number };
  [key: string]: unknown;
}

async function exportModel(id: string): Promise<ModelFileJson> {
  const res = await call(`/v1/models/${id}/export`, { token: ENCODE });
  expect(res.status).toBe(200);
  return (await res.json()) as ModelFileJson;
}

async function encode(id: string, inputs: number[][]): Promise<number[][]> {
  const res = await call(`/v1/models/${id}/encode`, { token: ENCODE, json: { inputs } });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return (JSON.parse(text) as { codes: number[][] }).codes;
}

describe('backend choice in the Worker', () => {
  it('should pick assemblyscript on auto, on /healthz and for a trained model', async () => {
    const res = await call('/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      backend: 'assemblyscript',
      report: { requested: 'auto', chosen: 'assemblyscript', skipped: [] },
    });

    const trained = await trainModel({ training: { epochs: 20, seed: 3, backend: 'auto' } });
    expect(trained.backend).toBe('assemblyscript');
    expect((await exportModel(trained.id)).training.backend).toBe('assemblyscript');
  });

  it('should train and encode on tfjs-wasm when it is asked for, and record it in the model file', async () => {
    const trained = await trainModel({ training: { epochs: 60, seed: 3, learningRate: 0.01, backend: 'tfjs-wasm' } });
    expect(trained.backend).toBe('tfjs-wasm');
    expect(trained.training).toMatchObject({ backend: 'tfjs-wasm', epochsCompleted: 60 });
    expect(trained.lossHistory).toHaveLength(60);
    expect(trained.lossHistory.every(Number.isFinite)).toBe(true);
    expect(trained.lossHistory.at(-1)!).toBeLessThan(trained.lossHistory[0]!);

    const file = await exportModel(trained.id);
    expect(file.training).toMatchObject({ backend: 'tfjs-wasm', epochsCompleted: 60 });

    const codes = await encode(trained.id, TRAINING_DATA);
    expect(codes).toHaveLength(TRAINING_DATA.length);
    for (const row of codes) {
      expect(row).toHaveLength(trained.hiddenSize);
      for (const a of row) expect(a > 0 && a < 1).toBe(true);
    }
  });

  it('should take the backend from the query of a CSV body too', async () => {
    const csv = TRAINING_DATA.map((row) => row.join(',')).join('\n');
    const res = await call('/v1/models?epochs=10&backend=tfjs-wasm', { body: csv, headers: { 'content-type': 'text/csv' } });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect(JSON.parse(text)).toMatchObject({ backend: 'tfjs-wasm', training: { backend: 'tfjs-wasm' } });
  });

  it('should give the same codes for a model trained on tfjs-wasm and imported onto assemblyscript', async () => {
    // Mini-batches, so the seeded shuffle is part of what moves across.
    const trained = await trainModel({ training: { epochs: 40, seed: 11, batchSize: 3, learningRate: 0.01, backend: 'tfjs-wasm' } });
    expect(trained.backend).toBe('tfjs-wasm');
    const file = await exportModel(trained.id);

    // Import loads the file on "auto" (the AssemblyScript kernels) and keeps its record of who trained it.
    const res = await call('/v1/models/import', { json: file });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const imported = JSON.parse(text) as { id: string; training: { backend: string } };
    expect(imported.training.backend).toBe('tfjs-wasm');

    // The same file on tfjs-wasm, directly: the codes the training backend gives.
    const tfjs = SparseAutoencoder.fromFile(file, await createTfjsWasmBackendFromModule(tfjsWasm));
    try {
      for (const rows of [TRAINING_DATA, FRESH_ROWS]) {
        const expected = tfjs.encode(rows).data;
        const onAssemblyScript = (await encode(imported.id, rows)).flat();
        expectAllClose(onAssemblyScript, expected, CODES_TOL, 'codes: assemblyscript (imported) vs tfjs-wasm');
        // The trained id serves the same codes, whichever backend holds it.
        expectAllClose((await encode(trained.id, rows)).flat(), expected, CODES_TOL, 'codes: trained id vs tfjs-wasm');
      }
    } finally {
      tfjs.dispose();
    }

    // And both exports hold the same weights.
    const again = await exportModel(imported.id);
    expect(again.encoder).toEqual(file.encoder);
    expect(again.decoder).toEqual(file.decoder);
  });

  it('should fall back to tfjs-wasm, saying why, when the SIMD probe fails', async () => {
    const { backend, report } = await resolveBackend('auto', workerBackendProviders(), () => false);
    expect(backend.name).toBe('tfjs-wasm');
    expect(report).toEqual({
      requested: 'auto',
      chosen: 'tfjs-wasm',
      skipped: [{ name: 'assemblyscript', reason: 'no WebAssembly SIMD' }],
    });
  });
});
