/**
 * An imported model in both model files (version 2: normalization.perRow and source), read back
 * with the same codes and reconstructions; a version 1 file holding a version 2 field refused;
 * training and the ONNX export refuse a per-row normalisation rather than dropping it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportableModel, importSae, loadModel, ModelFileError, ConfigError } from '../../src/index.js';
import { FIXTURES } from './library-formulas.js';

const rows = [
  [0.5, -1, 2, 0, 1, 1, -0.5, 0.25],
  [1.5, 0.2, -2, 0.7, -1, 0.3, 0.5, -0.25],
];

describe('imported models in model files', () => {
  it.each(['openai-topk-v5', 'saelens-standard-f64-constant-norm', 'gemma-scope'])('%s: binary and JSON files read back the same model', async (folder) => {
    const model = await importSae(join(FIXTURES, folder));
    for (const file of [model.toBinaryFile(), new TextEncoder().encode(JSON.stringify(model.toFile()))]) {
      const back = await loadModel(file);
      expect(back.rowNormalization).toBe(model.rowNormalization);
      expect(back.source).toEqual(model.source);
      expect(back.encode(rows).data).toEqual(model.encode(rows).data);
      expect(back.reconstruct(rows).outputs.data).toEqual(model.reconstruct(rows).outputs.data);
    }
    expect(model.toFile().version).toBe(2);
  });

  it('a version 1 file with a version 2 field is refused, naming it', async () => {
    const file = (await importSae(join(FIXTURES, 'openai-topk-v5'))).toFile() as unknown as Record<string, unknown>;
    await expect(loadModel({ ...file, version: 1 })).rejects.toThrow(ModelFileError);
    await expect(loadModel({ ...file, version: 1 })).rejects.toThrow(/normalization\.perRow.*version 2/);
    await expect(loadModel({ ...file, normalization: { kind: 'none', perRow: 'rms' } })).rejects.toThrow(/normalization\.perRow.*"layer_norm", "constant_norm_rescale"/);
    await expect(loadModel({ ...file, source: { format: 'x', library: 'y', extra: 1 } })).rejects.toThrow(/source\.extra/);
  });

  it('a per-row normalisation is refused by training and the ONNX export, not dropped', async () => {
    const model = await importSae(join(FIXTURES, 'openai-topk-v5'));
    expect(() => model.fit(rows, { epochs: 1 })).toThrow(ConfigError);
    expect(() => model.fit(rows, { epochs: 1 })).toThrow(/normalization\.perRow/);
    expect(() => exportableModel(model, 'onnx')).toThrow(/normalization\.perRow.*ONNX/);
  });

  it('decode of codes alone answers in the normalised space, reconstruct in the caller\'s', async () => {
    const model = await importSae(join(FIXTURES, 'openai-topk-v5'));
    const decoded = model.decode(model.encode(rows)).data;
    const reconstructed = model.reconstruct(rows).outputs.data;
    // reconstruct = decode(codes)·σ + μ of each row (torch's unbiased σ), as sparse_autoencoder/model.py's decode undoes LN
    rows.forEach((row, r) => {
      const mu = row.reduce((a, b) => a + b, 0) / row.length;
      const sigma = Math.sqrt(row.reduce((a, b) => a + (b - mu) ** 2, 0) / (row.length - 1));
      for (let j = 0; j < row.length; j++) expect(reconstructed[r * 8 + j]).toBeCloseTo(decoded[r * 8 + j]! * sigma + mu, 5);
    });
    expect(decoded).not.toEqual(reconstructed);
  });
});
