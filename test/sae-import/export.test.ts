/**
 * exportSae → importSae round trips: relu, topk and jumprelu models (trained here, with and
 * without a fitted scaling, which the export folds into the weights) written as SAELens folders
 * (and topk as sparsify's) and read back give the same codes; every cfg.json written has the
 * fields SAELens 6 reads when loading it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel, exportSae, importSae, importSaeState, SparseAutoencoder, type SparseAutoencoder as Model } from '../../src/index.js';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { mulberry32 } from '../helpers/random.js';
import { compareRows } from './compare.js';

const N = 6;
function rows(seed: number, count: number): number[][] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => Array.from({ length: N }, () => Math.fround((rng() - 0.3) * 3)));
}

/**
 * The fields SAELens 6 reads from cfg.json when SAE.load_from_disk loads a folder:
 * - sae_lens/saes/sae.py, class SAEConfig: d_in, d_sae, dtype, device, apply_b_dec_to_input,
 *   normalize_activations, reshape_activations, metadata (dataclass fields, filtered by
 *   filter_valid_dataclass_fields in SAEConfig.from_dict, which also reads "architecture");
 * - sae_lens/saes/topk_sae.py, class TopKSAEConfig: k, rescale_acts_by_decoder_norm;
 * - sae_lens/loading/pretrained_sae_loaders.py, handle_config_defaulting: metadata.sae_lens_version
 *   (below 6.0.0-rc.0 the cfg would be read as an old one).
 */
const SAELENS_FIELDS = ['d_in', 'd_sae', 'dtype', 'device', 'apply_b_dec_to_input', 'normalize_activations', 'reshape_activations', 'metadata', 'architecture'];
const SAELENS_TOPK_FIELDS = ['k', 'rescale_acts_by_decoder_norm'];

async function trained(architecture: 'relu' | 'topk' | 'jumprelu', normalize: 'none' | 'standardize'): Promise<Model> {
  const model = await createModel(N, { architecture, hiddenSize: 12, normalize, ...(architecture === 'topk' ? { k: 3 } : {}), ...(architecture === 'jumprelu' ? { initialThreshold: 0.05 } : {}) }, { seed: 3 });
  model.fit(rows(1, 64), { epochs: 3, batchSize: 16, learningRate: 0.01 });
  return model;
}

describe('exportSae', () => {
  it.each([
    ['relu', 'none'],
    ['relu', 'standardize'],
    ['topk', 'none'],
    ['topk', 'standardize'],
    ['jumprelu', 'none'],
    ['jumprelu', 'standardize'],
  ] as const)('%s (normalize %s) → SAELens folder → import: the same codes', async (architecture, normalize) => {
    const model = await trained(architecture, normalize);
    const files = exportSae(model, 'saelens');
    const cfg = JSON.parse(new TextDecoder().decode(files.get('cfg.json')!));
    for (const field of [...SAELENS_FIELDS, ...(architecture === 'topk' ? SAELENS_TOPK_FIELDS : [])]) expect(cfg).toHaveProperty(field);
    expect(cfg.metadata.sae_lens_version).toMatch(/^6\./);
    expect(cfg.architecture).toBe(architecture === 'relu' ? 'standard' : architecture);
    const back = await importSae(files);
    expect(back.config.architecture).toBe(architecture);
    const x = rows(9, 64);
    const expected = Float64Array.from(model.encode(x).data);
    const { worst, activeMismatches } = compareRows(back.encode(x).data, expected, 64, 12);
    expect(activeMismatches).toBe(0);
    expect(worst).toBeLessThan(1e-5);
    const active = expected.filter((v) => v > 0).length;
    expect(active).toBeGreaterThan(0);
  });

  it('topk → sparsify folder → import: the same codes', async () => {
    const model = await trained('topk', 'standardize');
    const files = exportSae(model, 'sparsify');
    expect([...files.keys()].sort()).toEqual(['cfg.json', 'sae.safetensors']);
    const back = importSaeState(files);
    expect(back.format).toBe('sparsify');
    const { backend } = await loadNodeBackend('auto');
    const x = rows(11, 64);
    const { worst, activeMismatches } = compareRows(SparseAutoencoder.fromState(back.state, backend).encode(x).data, Float64Array.from(model.encode(x).data), 64, 12);
    expect(activeMismatches).toBe(0);
    expect(worst).toBeLessThan(1e-5);
  });

  it('bf16 weights: the codes within bf16\'s rounding', async () => {
    const model = await trained('relu', 'none');
    const files = exportSae(model, 'saelens', { dtype: 'bf16' });
    expect(JSON.parse(new TextDecoder().decode(files.get('cfg.json')!)).dtype).toBe('bfloat16');
    const back = await importSae(files);
    expect(back.source?.dtype).toBe('BF16');
    const x = rows(12, 64);
    // each weight rounds by at most 2^-9 of itself; the codes, sums of n + 1 such terms, by a few times that of the row's scale
    expect(compareRows(back.encode(x).data, Float64Array.from(model.encode(x).data), 64, 12).worst).toBeLessThan(2 ** -9 * (N + 1));
  });

  it('an imported model exports back to SAELens with its per-row normalisation and metadata', async () => {
    const model = await importSae(join(import.meta.dirname, '..', 'fixtures', 'sae', 'saelens-jumprelu-bf16-layer-norm'));
    const files = exportSae(model, 'saelens');
    const cfg = JSON.parse(new TextDecoder().decode(files.get('cfg.json')!));
    expect(cfg.normalize_activations).toBe('layer_norm');
    expect(cfg.metadata).toMatchObject({ model_name: 'gpt2', hook_name: 'blocks.8.hook_resid_pre', context_size: 128, neuronpedia_id: 'gpt2-small/8-res-fixture' });
    const back = await importSae(files);
    const x = rows(13, 16).map((r) => [...r, 0.5, -0.5]);
    expect(back.encode(x).data).toEqual(model.encode(x).data);
    expect(() => exportSae(model, 'sparsify')).toThrow(/jumprelu.*saelens/);
  });

  it('gated (imported from SAELens and from dictionary_learning, and with a fitted scaling) → SAELens folder → import: the same codes', async () => {
    for (const folder of ['saelens-gated-uncentred', 'dictionary-learning-gated']) {
      const model = await importSae(join(import.meta.dirname, '..', 'fixtures', 'sae', folder));
      const files = exportSae(model, 'saelens');
      const cfg = JSON.parse(new TextDecoder().decode(files.get('cfg.json')!));
      expect(cfg.architecture).toBe('gated');
      for (const field of SAELENS_FIELDS) expect(cfg).toHaveProperty(field);
      const back = importSaeState(files);
      expect(back.state.config.architecture).toBe('gated');
      const { backend } = await loadNodeBackend('auto');
      const x = rows(14, 64).map((r) => [...r, 0.75, -1.25]);
      const { worst, activeMismatches } = compareRows(SparseAutoencoder.fromState(back.state, backend).encode(x).data, Float64Array.from(model.encode(x).data), 64, 16);
      expect(activeMismatches, folder).toBe(0);
      expect(worst, folder).toBeLessThan(1e-5);
    }
    // a per-feature scaling (one constant feature: range 0) folded into W_enc, b_gate and b_mag
    const { backend } = await loadNodeBackend('auto');
    const rng = mulberry32(21);
    const given = (count: number) => Float32Array.from({ length: count }, () => Math.fround(rng() - 0.5));
    const model = SparseAutoencoder.fromParameters(
      { architecture: 'gated', hiddenSize: 12 },
      { W1: given(N * 12), b1: given(12), W2: given(12 * N), b2: given(N), r_mag: given(12), b_mag: given(12) },
      backend,
      { normalization: { kind: 'standardize', mean: given(N), std: Float32Array.from([0.5, 2, 0, 1.5, 1, 0.8]) } },
    );
    const back = await importSae(exportSae(model, 'saelens'));
    const x = rows(15, 64);
    const expected = Float64Array.from(model.encode(x).data);
    const { worst, activeMismatches } = compareRows(back.encode(x).data, expected, 64, 12);
    expect(activeMismatches).toBe(0);
    expect(worst).toBeLessThan(1e-5);
    expect(expected.filter((v) => v > 0).length).toBeGreaterThan(64);
  });

  it('sigmoid is refused, naming ONNX; unknown formats and dtypes are refused', async () => {
    const model = await createModel(N, { hiddenSize: 4 }, { seed: 1 });
    model.fit(rows(1, 16).map((r) => r.map((v) => Math.min(1, Math.abs(v) / 3))), { epochs: 1 });
    expect(() => exportSae(model, 'saelens')).toThrow(/sigmoid.*ONNX/);
    expect(() => exportSae(model, 'x' as 'saelens')).toThrow(/format: must be one of saelens, sparsify/);
    expect(() => exportSae(model, 'saelens', { dtype: 'f16' as 'f32' })).toThrow(/dtype/);
  });

  // The list above against SAELens' own source, where a checkout of it is on this machine (not in CI).
  const ref = '/work/ref/jbloomAus+SAELens/sae_lens/saes';
  it.skipIf(!existsSync(ref))('the field list is the dataclass fields of SAELens\' SAEConfig and TopKSAEConfig', () => {
    const fields = (file: string, cls: string) => {
      const text = readFileSync(join(ref, file), 'utf8');
      const body = text.slice(text.indexOf(`class ${cls}(`)).split(/\n(?=\S)/)[0]!;
      return [...body.matchAll(/^ {4}(\w+): [^\n]*$/gm)].map((m) => m[1]!).filter((f) => !f.startsWith('_'));
    };
    expect(new Set([...fields('sae.py', 'SAEConfig'), 'architecture'])).toEqual(new Set(SAELENS_FIELDS));
    expect(fields('topk_sae.py', 'TopKSAEConfig')).toEqual(SAELENS_TOPK_FIELDS);
  });
});
