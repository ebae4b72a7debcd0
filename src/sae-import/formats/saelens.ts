/**
 * SAELens (jbloomAus/SAELens): a folder of cfg.json and sae_weights.safetensors, as
 * `SAE.save_model` writes it and `SAE.load_from_disk` reads it (sae_lens/saes/sae.py). A cfg
 * without a SAELens version of 6 or more is read as SAELens' handle_pre_6_0_config reads it
 * (sae_lens/loading/pretrained_sae_loaders.py): hook_point → hook_name, activation_fn_str →
 * activation_fn, activation_fn "topk" with activation_fn_kwargs.k → architecture topk, a boolean
 * normalize_activations → "expected_average_only_in" or "none", apply_b_dec_to_input default true.
 */
import { TensorFileError } from '../../errors.js';
import { ConfigReader, hasFile, readJsonObject, readTensors, tensorOf, optionalTensor } from '../files.js';
import type { SaeFormat } from '../format.js';
import { checkSize, clampThresholds, foldDecoderNorms, foldUncentredInput, matrix, sizesOf, vector, type ImportedSae } from '../sae.js';
import type { RowNormalization } from '../../model/normalization.js';
import { MAX_LOG_DENSITY } from '../../model/model-file.js';

const NORMALIZATIONS = ['none', 'expected_average_only_in', 'constant_norm_rescale', 'layer_norm'] as const;

/** The architectures SAELens registers (sae_lens/__init__.py), and what edge-sae reads them as. */
const KNOWN = ['standard', 'topk', 'jumprelu', 'gated', 'transcoder', 'skip_transcoder', 'jumprelu_transcoder'] as const;

/** Whether a version string is at least 6 (SAELens' handle_config_defaulting: Version(v) < Version("6.0.0-rc.0")). */
export function isSaeLens6(version: string | undefined): boolean {
  if (version === undefined) return false;
  const major = /^v?(\d+)/.exec(version);
  return major !== null && Number(major[1]) >= 6;
}

/** The cfg as SAELens 6 reads it: the ≥ 6 cfg as it is, an older one through handle_pre_6_0_config's rules. */
export function normaliseSaeLensConfig(cfg: ConfigReader): { cfg: ConfigReader; version: string | undefined; pre6: boolean } {
  const metadata = cfg.object('metadata');
  const version = cfg.optionalString('sae_lens_version') ?? metadata?.optionalString('sae_lens_version');
  if (isSaeLens6(version)) return { cfg, version, pre6: false };
  const json: Record<string, unknown> = {};
  const renames: Record<string, string> = { hook_point: 'hook_name', hook_point_head_index: 'hook_head_index', activation_fn_str: 'activation_fn' };
  for (const [key, value] of Object.entries(cfg.json)) json[renames[key] ?? key] = value;
  json.apply_b_dec_to_input ??= true;
  json.activation_fn ??= 'relu';
  json.architecture ??= 'standard';
  const kwargs = json.activation_fn_kwargs;
  if (json.activation_fn === 'topk' && typeof kwargs === 'object' && kwargs !== null && (kwargs as Record<string, unknown>).k !== undefined && (kwargs as Record<string, unknown>).k !== null) {
    json.architecture = 'topk';
    json.k = (kwargs as Record<string, unknown>).k;
  }
  if (typeof json.normalize_activations === 'boolean') json.normalize_activations = json.normalize_activations ? 'expected_average_only_in' : 'none';
  json.normalize_activations ??= 'none';
  const read = new ConfigReader(cfg.file, json);
  // errors name the field as the file spells it
  const back = Object.fromEntries(Object.entries(renames).map(([from, to]) => [to, from]));
  read.fail = (field: string, problem: string): never => cfg.fail(field === 'k' && json.activation_fn_kwargs ? 'activation_fn_kwargs.k' : (back[field] !== undefined && cfg.has(back[field]!) ? back[field]! : field), problem);
  return { cfg: read, version, pre6: true };
}

export const saelens = {
  name: 'saelens',
  library: 'SAELens',
  reference: 'sae_lens/saes/sae.py (save_model, load_from_disk), sae_lens/loading/pretrained_sae_loaders.py (handle_pre_6_0_config)',
  files: 'cfg.json and sae_weights.safetensors',
  detect: (files) => hasFile(files, 'sae_weights.safetensors'),
  read(files): ImportedSae {
    const cfgFile = readJsonObject(files, 'cfg.json', 'SAELens keeps the SAE\'s config there');
    const { cfg, version, pre6 } = normaliseSaeLensConfig(new ConfigReader(cfgFile.name, cfgFile.json));
    const named = cfg.choice('architecture', KNOWN, 'standard');
    if (named !== 'standard' && named !== 'topk' && named !== 'jumprelu' && named !== 'gated') {
      cfg.fail('architecture', `is "${named}", a transcoder (its output is another hook's activations, d_out and W_skip), which edge-sae does not import yet`);
    }
    const architecture = named as 'standard' | 'topk' | 'jumprelu' | 'gated';
    const normalize = cfg.choice('normalize_activations', NORMALIZATIONS, 'none');
    const applyBDec = cfg.boolean('apply_b_dec_to_input', true);
    const rescale = architecture === 'topk' && cfg.boolean('rescale_acts_by_decoder_norm', false);
    if (pre6 && cfg.has('activation_fn') && !['relu', 'topk'].includes(String(cfg.json.activation_fn))) {
      cfg.fail('activation_fn', `is ${JSON.stringify(cfg.json.activation_fn)}; edge-sae imports relu and topk activations`);
    }

    const weights = readTensors(files, 'sae_weights.safetensors', 'SAELens keeps the weights there');
    const file = weights.name;
    const W_enc = tensorOf(weights, 'W_enc');
    const { n, h } = sizesOf(W_enc, file, false);
    checkSize(cfgFile.name, 'd_in', cfg.optionalInteger('d_in', 1), n, 'inputs (W_enc [d_in, d_sae])');
    checkSize(cfgFile.name, 'd_sae', cfg.optionalInteger('d_sae', 1), h, 'latents (W_enc [d_in, d_sae])');
    const sizes = `d_in ${n}, d_sae ${h}`;
    const scaling = optionalTensor(weights, 'scaling_factor', 'finetuning_scaling_factor');
    if (scaling !== null) {
      const values = vector(scaling, file, h, sizes);
      if (values.some((v) => v !== 1)) throw new TensorFileError(scaling.name, 'scales the codes (finetuning_scaling_factor), which edge-sae does not import yet', file);
    }
    // gated (sae_lens/saes/gated_sae.py GatedSAE.encode): no b_enc; the gate path's b_gate is b1,
    // the magnitude path's r_mag and b_mag are gated's own (sae_in − b_dec when apply_b_dec_to_input)
    const p = {
      W1: matrix(W_enc, file, n, h, false, sizes),
      b1: vector(tensorOf(weights, architecture === 'gated' ? 'b_gate' : 'b_enc'), file, h, sizes),
      W2: matrix(tensorOf(weights, 'W_dec'), file, h, n, false, sizes),
      b2: vector(tensorOf(weights, 'b_dec'), file, n, sizes),
      ...(architecture === 'jumprelu' ? { theta: clampThresholds(vector(tensorOf(weights, 'threshold'), file, h, sizes)) } : {}),
      ...(architecture === 'gated' ? { r_mag: vector(tensorOf(weights, 'r_mag'), file, h, sizes), b_mag: vector(tensorOf(weights, 'b_mag'), file, h, sizes) } : {}),
    };
    if (!applyBDec) foldUncentredInput(p, n, h);
    if (rescale) foldDecoderNorms(p, n, h);
    const k = architecture === 'topk' ? cfg.integer('k', 1) : undefined;
    if (k !== undefined && k > h) cfg.fail('k', `is ${k}, more than d_sae ${h}`);
    // expected_average_only_in: SAELens' inference SAE applies nothing (the factor is folded
    // into the weights when saved, fold_activation_norm_scaling_factor), so neither does edge-sae.
    const rowNormalization: RowNormalization | null = normalize === 'layer_norm' || normalize === 'constant_norm_rescale' ? normalize : null;
    const metadata = cfg.object('metadata') ?? cfg;
    const logFeatureDensity = hasFile(files, SPARSITY_FILE) ? readLogDensity(files, h, sizes) : undefined;
    return {
      architecture: architecture === 'standard' ? 'relu' : architecture,
      ...(k !== undefined ? { k } : {}),
      inputSize: n,
      hiddenSize: h,
      parameters: p,
      rowNormalization,
      ...(logFeatureDensity ? { logFeatureDensity } : {}),
      source: {
        format: 'saelens',
        library: 'sae_lens',
        ...(version !== undefined ? { libraryVersion: version } : {}),
        architecture,
        ...pick(metadata, cfg),
        dtype: W_enc.dtype,
      },
    };
  },
  fields: [
    { source: 'cfg.json architecture standard / topk / jumprelu / gated', becomes: 'architecture relu / topk / jumprelu / gated (transcoders refused, naming the field)' },
    { source: 'cfg.json d_in, d_sae', becomes: 'inputSize, hiddenSize (checked against W_enc)' },
    { source: 'cfg.json k (< 6: activation_fn_kwargs.k with activation_fn_str "topk")', becomes: 'config.k' },
    { source: 'W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec, threshold', becomes: 'W1, b1, W2, b2, theta (θ < 0 read as 0: relu(z)·H(z − θ) = z·H(z − max(θ, 0)))' },
    { source: 'gated: b_gate, r_mag, b_mag (no b_enc)', becomes: 'b1, r_mag, b_mag' },
    { source: 'cfg.json apply_b_dec_to_input false', becomes: 'b1 + b_dec·W_enc (folded; gated: b_mag + (b_dec·W_enc) ⊙ exp(r_mag) too)' },
    { source: 'cfg.json normalize_activations none / expected_average_only_in', becomes: 'nothing (SAELens\' inference SAE applies neither)' },
    { source: 'cfg.json normalize_activations layer_norm / constant_norm_rescale', becomes: 'normalization.perRow (per row at encode, undone by reconstruct)' },
    { source: 'cfg.json rescale_acts_by_decoder_norm (topk)', becomes: 'W1, b1 × ‖W_dec row‖, W2 ÷ it (folded)' },
    { source: 'cfg.json metadata (≥ 6) or top level (< 6): model_name, hook_name, context_size, neuronpedia_id, sae_lens_version', becomes: 'source' },
    { source: 'sparsity.safetensors sparsity [d_sae] (optional)', becomes: 'logFeatureDensity (log10 density; −∞ read as −10, SAELens\' floor), drawn by the density picture' },
  ],
} as const satisfies SaeFormat;

/** SAELens' constants.py SPARSITY_FILENAME: the trainer's log10 feature density, beside the weights. */
const SPARSITY_FILE = 'sparsity.safetensors';

/**
 * sparsity.safetensors' tensor "sparsity" [d_sae] (sae_lens/training/sae_trainer.py save_checkpoint:
 * save_file({"sparsity": log10(feature_sparsity + 1e-10)}); pretrained_sae_loaders.py reads
 * f.get_tensor("sparsity")): kept as the model's logFeatureDensity. A −∞ (log10 of 0 without
 * SAELens' eps) is read as −10, the value SAELens' own eps gives a unit that never fired; NaN,
 * +∞ or a value above 0 is refused, naming the file and the tensor.
 */
function readLogDensity(files: Parameters<typeof readTensors>[0], h: number, sizes: string): Float32Array {
  const file = readTensors(files, SPARSITY_FILE, 'SAELens keeps the log10 feature density there');
  const values = vector(tensorOf(file, 'sparsity'), file.name, h, sizes, { allowNegativeInfinity: true });
  for (let j = 0; j < h; j++) {
    if (values[j] === -Infinity) values[j] = -10;
    else if (!(values[j]! <= MAX_LOG_DENSITY)) throw new TensorFileError(`sparsity[${j}]`, `is ${values[j]}, but a log10 feature density is at most 0`, file.name);
  }
  return values;
}

/** The metadata fields SAELens keeps (LLM_METADATA_KEYS), from `metadata` (≥ 6) or the top level (< 6). */
export function pick(metadata: ConfigReader, top: ConfigReader): Record<string, string | number> {
  const text = (field: string) => metadata.optionalString(field) ?? top.optionalString(field);
  const context = metadata.json.context_size ?? top.json.context_size;
  const out: Record<string, string | number> = {};
  const modelName = text('model_name');
  const hookName = text('hook_name') ?? text('hook_point');
  const neuronpediaId = text('neuronpedia_id');
  if (modelName !== undefined) out.modelName = modelName;
  if (hookName !== undefined) out.hookName = hookName;
  if (neuronpediaId !== undefined) out.neuronpediaId = neuronpediaId;
  if (typeof context === 'number' && Number.isSafeInteger(context) && context >= 0) out.contextSize = context;
  return out;
}
