/**
 * exportSae: an edge-sae model as a folder another library loads, as a map of file names to bytes
 * (every runtime; the CLI writes it to a directory, the API zips it).
 * - "saelens": cfg.json + sae_weights.safetensors as SAELens 6's SAE.save_model writes them (and
 *   sparsity.safetensors when the model carries its source's log10 feature density)
 *   (sae_lens/saes/sae.py; SAEConfig.to_dict), loaded by SAE.load_from_disk: relu → "standard",
 *   topk → "topk" (rescale_acts_by_decoder_norm false), jumprelu → "jumprelu" (threshold), gated →
 *   "gated" (b_gate, r_mag, b_mag in place of b_enc: sae_lens/saes/gated_sae.py).
 * - "sparsify": cfg.json + sae.safetensors as SparseCoder.save_to_disk writes them
 *   (sparsify/sparse_coder.py), loaded by SparseCoder.load_from_disk: topk only.
 * The model's per-feature input scaling (minmax, standardize) is folded into the weights (the
 * libraries take raw activations); a per-row normalisation becomes SAELens' normalize_activations
 * (sparsify has none: refused). sigmoid has no counterpart in either library: refused, naming ONNX.
 */
import { ConfigError } from '../errors.js';
import { bf16Tensor } from '../formats/convert.js';
import { writeSafetensors } from '../formats/safetensors.js';
import type { Tensor } from '../formats/tensor.js';
import type { ModelState } from '../model/model-file.js';
import { affineOf } from '../model/normalization.js';

export const EXPORT_FORMATS = ['saelens', 'sparsify'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_DTYPES = ['f32', 'bf16'] as const;
export type ExportDtype = (typeof EXPORT_DTYPES)[number];

export interface ExportSaeOptions {
  /** The weights' dtype in the files (default f32). */
  dtype?: ExportDtype;
  /** The edge-sae version, written into SAELens' metadata (exported_by). */
  edgeSaeVersion?: string;
}

/** What the exporters read of a model: its state (SparseAutoencoder.toState()). */
export interface ExportableSae {
  toState(): ModelState;
}

/** The version SAELens' loader must see to read the cfg as version 6 (handle_config_defaulting: < 6.0.0-rc.0 goes through handle_pre_6_0_config). */
export const SAELENS_FORMAT_VERSION = '6.0.0';

interface Plain {
  n: number;
  h: number;
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
  theta?: Float32Array;
  /** gated: the magnitude path's r_mag and b_mag (b1 is b_gate). */
  r_mag?: Float32Array;
  b_mag?: Float32Array;
}

/**
 * The weights with the per-feature scaling x' = (x − o)/r folded in: W_enc rows ÷ r, W_dec columns
 * × r, b_dec = o + r·b2; a constant feature (r = 0, which the scaling maps to 0) adds its fixed
 * (0 − b2_i)·W1[i] to b_enc (gated: to b_gate, and (0 − b2_i)·W1[i] ⊙ exp(r_mag) to b_mag) and
 * leaves W_enc's row 0. Float64 arithmetic, one rounding.
 */
export function foldedWeights(state: ModelState): Plain {
  const { inputSize: n, hiddenSize: h } = state.shape;
  const p = state.parameters;
  const gated = p.r_mag !== undefined && p.b_mag !== undefined ? { r_mag: p.r_mag.slice(), b_mag: p.b_mag.slice() } : {};
  const out: Plain = { n, h, W1: p.W1.slice(), b1: p.b1.slice(), W2: p.W2.slice(), b2: p.b2.slice(), ...(p.theta ? { theta: p.theta.slice() } : {}), ...gated };
  const norm = state.normalization;
  if (norm.kind === 'none') return out;
  const b1 = Float64Array.from(p.b1);
  const bMag = p.b_mag ? Float64Array.from(p.b_mag) : null;
  for (let i = 0; i < n; i++) {
    const [offset, range] = affineOf(norm, i);
    const b2 = p.b2[i]!;
    for (let j = 0; j < h; j++) {
      if (range > 0) out.W1[i * h + j] = p.W1[i * h + j]! / range;
      else {
        b1[j]! -= b2 * p.W1[i * h + j]!;
        if (bMag) bMag[j]! -= b2 * p.W1[i * h + j]! * Math.exp(p.r_mag![j]!);
        out.W1[i * h + j] = 0;
      }
      out.W2[j * n + i] = p.W2[j * n + i]! * range;
    }
    out.b2[i] = offset + range * b2;
  }
  out.b1.set(b1);
  if (bMag) out.b_mag!.set(bMag);
  return out;
}

function tensor(name: string, shape: number[], values: Float32Array, dtype: ExportDtype): Tensor {
  if (dtype === 'bf16') return bf16Tensor(name, shape, values);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(4 * k, values[k]!, true);
  return { name, dtype: 'F32', shape, bytes };
}

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** The files of `model` in `format`. */
export function exportSae(model: ExportableSae, format: ExportFormat, options: ExportSaeOptions = {}): Map<string, Uint8Array> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new ConfigError('format', `must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const dtype = options.dtype ?? 'f32';
  if (!(EXPORT_DTYPES as readonly string[]).includes(dtype)) throw new ConfigError('dtype', `must be one of ${EXPORT_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
  const state = model.toState();
  const architecture = state.config.architecture;
  if (architecture === 'sigmoid') {
    throw new ConfigError('config.architecture', `is "sigmoid", which has no counterpart in ${format === 'saelens' ? 'SAELens' : 'sparsify'} (its codes are σ(z), its outputs in (0, 1)); export it as ONNX instead (edge-sae export --format onnx)`);
  }
  const w = foldedWeights(state);
  return format === 'saelens' ? saelensFolder(state, w, dtype, options) : sparsifyFolder(state, w, dtype);
}

function saelensFolder(state: ModelState, w: Plain, dtype: ExportDtype, options: ExportSaeOptions): Map<string, Uint8Array> {
  const architecture = state.config.architecture === 'relu' ? 'standard' : state.config.architecture;
  const tensors = [
    tensor('W_enc', [w.n, w.h], w.W1, dtype),
    tensor('W_dec', [w.h, w.n], w.W2, dtype),
    // GatedSAE has no b_enc: its gate path's bias is b_gate (sae_lens/saes/gated_sae.py)
    tensor(architecture === 'gated' ? 'b_gate' : 'b_enc', [w.h], w.b1, dtype),
    tensor('b_dec', [w.n], w.b2, dtype),
    ...(w.theta ? [tensor('threshold', [w.h], w.theta, dtype)] : []),
    ...(w.r_mag && w.b_mag ? [tensor('r_mag', [w.h], w.r_mag, dtype), tensor('b_mag', [w.h], w.b_mag, dtype)] : []),
  ];
  const source = state.source;
  // SAEConfig.to_dict (sae_lens/saes/sae.py): the dataclass fields, metadata, architecture; TopKSAEConfig adds k and rescale_acts_by_decoder_norm
  const cfg = {
    d_in: w.n,
    d_sae: w.h,
    dtype: dtype === 'bf16' ? 'bfloat16' : 'float32',
    device: 'cpu',
    apply_b_dec_to_input: true,
    normalize_activations: state.rowNormalization ?? 'none',
    reshape_activations: 'none',
    metadata: {
      sae_lens_version: SAELENS_FORMAT_VERSION,
      sae_lens_training_version: SAELENS_FORMAT_VERSION,
      ...(source?.modelName !== undefined ? { model_name: source.modelName } : {}),
      ...(source?.hookName !== undefined ? { hook_name: source.hookName } : {}),
      ...(source?.contextSize !== undefined ? { context_size: source.contextSize } : {}),
      ...(source?.neuronpediaId !== undefined ? { neuronpedia_id: source.neuronpediaId } : {}),
      exported_by: `edge-sae${options.edgeSaeVersion ? ` ${options.edgeSaeVersion}` : ''}`,
    },
    ...(architecture === 'topk' ? { k: state.config.k, rescale_acts_by_decoder_norm: false } : {}),
    architecture,
  };
  const files = new Map([
    ['cfg.json', json(cfg)],
    ['sae_weights.safetensors', writeSafetensors(tensors, { format: 'pt' })],
  ]);
  // an imported model's log10 feature density back where SAELens' trainer writes it (save_checkpoint:
  // save_file({"sparsity": …}), float32), so the folder reimports with it
  if (state.logFeatureDensity) files.set('sparsity.safetensors', writeSafetensors([tensor('sparsity', [w.h], state.logFeatureDensity, 'f32')], { format: 'pt' }));
  return files;
}

function sparsifyFolder(state: ModelState, w: Plain, dtype: ExportDtype): Map<string, Uint8Array> {
  if (state.config.architecture !== 'topk') {
    throw new ConfigError('config.architecture', `is "${state.config.architecture}"; sparsify's SparseCoder is a TopK SAE (export ${state.config.architecture} as saelens)`);
  }
  if (state.rowNormalization) throw new ConfigError('normalization.perRow', `is "${state.rowNormalization}", which sparsify has no way to apply; export as saelens (normalize_activations)`);
  // nn.Linear's weight is [out, in]: W1ᵀ
  const encoder = new Float32Array(w.h * w.n);
  for (let i = 0; i < w.n; i++) for (let j = 0; j < w.h; j++) encoder[j * w.n + i] = w.W1[i * w.h + j]!;
  // sparsify writes safetensors' save_model of the module: encoder.weight, encoder.bias, W_dec, b_dec
  const tensors = [tensor('encoder.weight', [w.h, w.n], encoder, dtype), tensor('encoder.bias', [w.h], w.b1, dtype), tensor('W_dec', [w.h, w.n], w.W2, dtype), tensor('b_dec', [w.n], w.b2, dtype)];
  // SparseCoderConfig.to_dict() + d_in (sparsify/config.py)
  const cfg = {
    activation: 'topk',
    expansion_factor: Number.isInteger(w.h / w.n) ? w.h / w.n : 32,
    normalize_decoder: false,
    num_latents: w.h,
    k: state.config.k,
    multi_topk: false,
    skip_connection: false,
    transcode: false,
    d_in: w.n,
  };
  return new Map([
    ['cfg.json', json(cfg)],
    ['sae.safetensors', writeSafetensors(tensors, { format: 'pt' })],
  ]);
}
