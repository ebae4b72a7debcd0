/**
 * Transcoders (src/architectures/transcoder.ts): SAELens' transcoder, skip_transcoder and
 * jumprelu_transcoder and sparsify's transcode / skip_connection, imported from the fixture folders
 * (scripts/fixtures/make-sae-fixtures.py) and checked against each library's formulas in float64
 * (./transcoder-formulas.ts, citing the source): the codes of 64 rows and the forward pass's outputs
 * [rows × d_out] within 1e-5 of the row's largest value, the same active set per row, on the
 * AssemblyScript and the tfjs backends; then the model files, and what transcoders refuse.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError, exportableModel, exportSae, importSae, importSaeState, loadModel, loadNodeBackend, ModelFileError, SparseAutoencoder } from '../../src/index.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import { toMatrix } from '../../src/data/matrix.js';
import { featureStats } from '../../src/features/feature-stats.js';
import { mulberry32 } from '../helpers/random.js';
import { compareRows } from './compare.js';
import { folderFiles, withJson } from './folders.js';
import { FIXTURES } from './library-formulas.js';
import { saelensTranscoder, sparsifyCoder, type TranscoderReference } from './transcoder-formulas.js';

const ROWS = 64;
const N = 8;

function rows(seed: number): number[][] {
  const rng = mulberry32(seed);
  return Array.from({ length: ROWS }, () => Array.from({ length: N }, () => Math.fround((rng() - 0.5) * 4)));
}
const flat = (x: number[][]) => Float64Array.from(x.flat());

const CASES: [folder: string, architecture: string, outputSize: number, skip: boolean, reference: (x: Float64Array) => TranscoderReference][] = [
  ['saelens-transcoder', 'relu', 6, false, (x) => saelensTranscoder('saelens-transcoder', x, ROWS)],
  ['saelens-skip-transcoder', 'relu', 6, true, (x) => saelensTranscoder('saelens-skip-transcoder', x, ROWS)],
  ['saelens-jumprelu-transcoder', 'jumprelu', 6, false, (x) => saelensTranscoder('saelens-jumprelu-transcoder', x, ROWS)],
  ['saelens-transcoder-square', 'relu', 8, false, (x) => saelensTranscoder('saelens-transcoder-square', x, ROWS)],
  ['sparsify-transcoder-skip', 'topk', 8, true, (x) => sparsifyCoder('sparsify-transcoder-skip', x, ROWS)],
  ['sparsify-skip', 'topk', 8, true, (x) => sparsifyCoder('sparsify-skip', x, ROWS)],
];

describe.each(['assemblyscript', 'tfjs-cpu'] as const)('transcoders on %s: the codes and outputs of each library', (backend) => {
  it.each(CASES)('%s imports as %s (d_out %i, skip %s) and runs as its library does', async (folder, architecture, outputSize, skip, reference) => {
    const model = await importSae(join(FIXTURES, folder), { backend });
    expect(model.config.architecture).toBe(architecture);
    expect(model.outputSize).toBe(outputSize);
    expect(model.shape.skip === true).toBe(skip);
    const x = rows(11);
    const expected = reference(flat(x));
    expect(expected.out).toBe(outputSize);
    const codes = model.encode(x);
    const c = compareRows(codes.data, expected.codes, ROWS, expected.h);
    expect(c.activeMismatches).toBe(0);
    expect(c.worst).toBeLessThan(1e-5);
    const active = codes.data.filter((v) => v > 0).length;
    expect(active).toBeGreaterThan(ROWS);
    expect(active).toBeLessThan(ROWS * expected.h);

    const outputs = model.transcode(x);
    expect([outputs.rows, outputs.cols]).toEqual([ROWS, outputSize]);
    expect(compareRows(outputs.data, expected.outputs, ROWS, outputSize).worst).toBeLessThan(1e-5);
    // decode is the decoder alone (no x, so no skip term): the libraries' decode
    const decoded = model.decode(codes);
    expect(decoded.cols).toBe(outputSize);
    if (!skip) expect(compareRows(decoded.data, expected.outputs, ROWS, outputSize).worst).toBeLessThan(1e-5);
    // sparse decode through the decoder rows gives decode's answer
    const top = model.decodeSparse(model.encodeTop(x, 3));
    expect(top.cols).toBe(outputSize);
  });
});

describe('transcoders in model files', () => {
  it.each(['saelens-skip-transcoder', 'saelens-jumprelu-transcoder', 'sparsify-skip'])('%s: binary and JSON files read back the same model', async (folder) => {
    const model = await importSae(join(FIXTURES, folder));
    const x = rows(3).slice(0, 5);
    for (const file of [model.toBinaryFile(), new TextEncoder().encode(JSON.stringify(model.toFile()))]) {
      const back = await loadModel(file);
      expect(back.shape).toEqual(model.shape);
      expect(back.encode(x).data).toEqual(model.encode(x).data);
      expect(back.transcode(x).data).toEqual(model.transcode(x).data);
    }
    expect(model.toFile().version).toBe(2);
    expect(model.toFile().transcoder).toEqual({ ...(model.shape.outputSize ? { outputSize: model.shape.outputSize } : {}), skip: model.shape.skip });
  });

  it('a bf16 transcoder keeps d_out (the decoder [h, d_out] narrowed as W_dec)', async () => {
    const model = await importSae(join(FIXTURES, 'saelens-transcoder'));
    const back = await loadModel(model.toBinaryFile({ dtype: 'bf16' }));
    expect(back.weightDtype).toBe('bf16');
    expect(back.outputSize).toBe(6);
    const x = rows(5).slice(0, 4);
    expect(compareRows(back.transcode(x).data, Float64Array.from(model.transcode(x).data), 4, 6).worst).toBeLessThan(2e-2);
  });

  it('a transcoder field in a version 1 file, or a wrong one, is refused naming it', async () => {
    const file = (await importSae(join(FIXTURES, 'saelens-transcoder'))).toFile() as unknown as Record<string, any>;
    await expect(loadModel({ ...file, version: 1, source: undefined })).rejects.toThrow(/"transcoder": is a field of version 2 files/);
    await expect(loadModel({ ...file, transcoder: { outputSize: 6, width: 3 } })).rejects.toThrow(/"transcoder\.width": is not a field/);
    await expect(loadModel({ ...file, transcoder: { outputSize: 7 } })).rejects.toThrow(/"decoder\.weights\[0\]": must have 7 numbers, has 6/);
    await expect(loadModel({ ...file, transcoder: { outputSize: 8 } })).rejects.toThrow(/"transcoder.outputSize": is 8, the inputSize/);
    await expect(loadModel({ ...file, config: { ...file.config, architecture: 'sigmoid' } })).rejects.toThrow(/"transcoder": .*not "sigmoid"/);
  });
});

describe('SparseAutoencoder.fromParameters of a transcoder', () => {
  it('takes inputSize beside b2 [d_out] and W_skip, and runs as the imported model', async () => {
    const imported = await importSae(join(FIXTURES, 'saelens-skip-transcoder'));
    const p = imported.getParameters();
    const { backend } = await loadNodeBackend('assemblyscript');
    const model = SparseAutoencoder.fromParameters({ architecture: 'relu', hiddenSize: 16 }, p, backend, { inputSize: 8 });
    expect(model.shape).toEqual({ inputSize: 8, hiddenSize: 16, outputSize: 6, skip: true });
    const x = rows(4).slice(0, 3);
    expect(model.transcode(x).data).toEqual(imported.transcode(x).data);
    expect(() => SparseAutoencoder.fromParameters({ architecture: 'sigmoid', hiddenSize: 16 }, p, backend, { inputSize: 8 })).toThrow(/inputSize: a transcoder .*not "sigmoid"/);
    expect(() => SparseAutoencoder.fromParameters({ architecture: 'relu', hiddenSize: 16 }, p, backend, { inputSize: 8, normalization: { kind: 'minmax', min: new Float32Array(8), max: new Float32Array(8).fill(1) } })).toThrow(/normalization: must be none for a transcoder/);
  });
});

describe('what a transcoder refuses', () => {
  it('training, metrics, reconstruct (d_out ≠ d_in) and the exports, each saying why', async () => {
    const model = await importSae(join(FIXTURES, 'saelens-transcoder'));
    const x = rows(1).slice(0, 8);
    expect(() => model.fit(x, { epochs: 1 })).toThrow(ConfigError);
    expect(() => model.fit(x, { epochs: 1 })).toThrow(/transcoder \(d_out 6, d_in 8\), inference only/);
    expect(() => model.evaluate(x)).toThrow(/inference only/);
    expect(() => model.reconstruct(x)).toThrow(DataError);
    expect(() => model.reconstruct(x)).toThrow(/transcoder: its 6 outputs are another hook's activations.*transcode\(data\)/);
    expect(() => exportableModel(model, 'onnx')).toThrow(/transcoder: .*d_in 8 → d_out 6.*ONNX export does not write yet/);
    expect(() => exportSae(model, 'saelens')).toThrow(/transcoder: .*SAELens does not write yet/);
  });

  it('a skip connection of d_out = d_in reconstructs (its error measured against the input)', async () => {
    const model = await importSae(join(FIXTURES, 'sparsify-skip'));
    const x = rows(2).slice(0, 4);
    const { outputs, errors } = model.reconstruct(x);
    expect(outputs.data).toEqual(model.transcode(x).data);
    const first = x[0]!.reduce((sum, v, i) => sum + (outputs.data[i]! - v) ** 2, 0);
    expect(errors[0]).toBeCloseTo(first, 4);
    expect(() => model.fit(x, { epochs: 1 })).toThrow(/skip connection \(W_skip\), inference only/);
  });
});

describe('hostile transcoder folders, naming the file and the field', () => {
  const refused = (files: Map<string, Uint8Array>) => {
    try {
      importSaeState(files);
    } catch (error) {
      expect(error).toBeInstanceOf(ModelFileError);
      return (error as Error).message;
    }
    throw new Error('was not refused');
  };

  it('a d_out that disagrees with W_dec, apply_b_dec_to_input true, a per-row normalisation', () => {
    expect(refused(withJson(folderFiles('saelens-transcoder'), 'cfg.json', (c) => (c.d_out = 5)))).toMatch(/cfg\.json: d_out: is 5, but the weights have 6 outputs/);
    expect(refused(withJson(folderFiles('saelens-transcoder'), 'cfg.json', (c) => (c.apply_b_dec_to_input = true)))).toMatch(/cfg\.json: apply_b_dec_to_input: is true, which SAELens refuses/);
    expect(refused(withJson(folderFiles('saelens-skip-transcoder'), 'cfg.json', (c) => (c.normalize_activations = 'layer_norm')))).toMatch(/cfg\.json: normalize_activations: is "layer_norm" on a skip_transcoder/);
  });

  it('a missing or mis-shaped W_skip', () => {
    expect(refused(withJson(folderFiles('saelens-transcoder'), 'cfg.json', (c) => (c.architecture = 'skip_transcoder')))).toMatch(/sae_weights\.safetensors.*W_skip/);
    expect(refused(withJson(folderFiles('sparsify-topk-bf16'), 'cfg.json', (c) => (c.skip_connection = true)))).toMatch(/sae\.safetensors.*W_skip/);
    expect(refused(withJson(folderFiles('saelens-transcoder'), 'cfg.json', (c) => (c.architecture = 'standard')))).toMatch(/W_dec\.shape: must be \[16, 8\]/);
  });
});

describe('feature statistics of a transcoder', () => {
  it('takes the nearest features by the cosine of decoder rows of d_out values', async () => {
    const model = await importSae(join(FIXTURES, 'saelens-transcoder'));
    const result = await featureStats(model, matrixShardSource(toMatrix(rows(9), 'data')), { neighbours: 2 });
    const W2 = model.getParameters().W2;
    const out = model.outputSize;
    const row = (j: number) => Array.from(W2.subarray(j * out, (j + 1) * out));
    const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0) / Math.hypot(...a) / Math.hypot(...b);
    for (const j of [0, 5, 15]) {
      const expected = [...Array(16).keys()].filter((b) => b !== j).map((b) => ({ index: b, cosine: cosine(row(j), row(b)) })).sort((a, b) => b.cosine - a.cosine).slice(0, 2);
      const found = result.features[j]!.neighbours;
      expect(found.map((f) => f.index)).toEqual(expected.map((e) => e.index));
      for (let k = 0; k < 2; k++) expect(found[k]!.cosine).toBeCloseTo(expected[k]!.cosine, 6);
    }
  });
});
