/**
 * Google DeepMind's Gemma Scope: params.npz (np.savez of W_enc [d_model, d_sae], W_dec
 * [d_sae, d_model], b_enc, b_dec, threshold), read as SAELens' gemma_2_sae_huggingface_loader
 * reads it (sae_lens/loading/pretrained_sae_loaders.py: JumpReLU, apply_b_dec_to_input false,
 * keys "w_*" renamed "W_*"). Gemma Scope 2: params.safetensors with the same tensors in
 * lower case (w_enc, w_dec, b_enc, b_dec, threshold) beside a config.json; no loader for it is
 * in the SAELens version this was written against, so it is read as Gemma Scope's JumpReLU with
 * the same formula, and the config's sizes are checked against the tensors where it names them.
 */
import { ConfigReader, findFile, hasFile, readJsonObject, readTensors, tensorOf } from '../files.js';
import type { SaeFormat } from '../format.js';
import { checkSize, clampThresholds, foldUncentredInput, matrix, sizesOf, vector, type ImportedSae } from '../sae.js';

function readJumpRelu(files: Parameters<SaeFormat['read']>[0], fileName: string, format: 'gemma-scope' | 'gemma-scope-2'): ImportedSae {
  const weights = readTensors(files, fileName, 'Gemma Scope keeps the weights there');
  const file = weights.name;
  const W_enc = tensorOf(weights, 'W_enc', 'w_enc');
  const { n, h } = sizesOf(W_enc, file, false);
  const sizes = `d_model ${n}, d_sae ${h}`;
  if (format === 'gemma-scope-2' && findFile(files, 'config.json') !== null) {
    const cfgFile = readJsonObject(files, 'config.json', '');
    const cfg = new ConfigReader(cfgFile.name, cfgFile.json);
    for (const field of ['d_in', 'd_model']) if (cfg.has(field)) checkSize(cfgFile.name, field, cfg.integer(field), n, 'inputs (w_enc [d_in, d_sae])');
    for (const field of ['d_sae', 'width']) if (cfg.has(field) && typeof cfg.json[field] === 'number') checkSize(cfgFile.name, field, cfg.integer(field), h, 'latents (w_enc [d_in, d_sae])');
  }
  const p = {
    W1: matrix(W_enc, file, n, h, false, sizes),
    b1: vector(tensorOf(weights, 'b_enc'), file, h, sizes),
    W2: matrix(tensorOf(weights, 'W_dec', 'w_dec'), file, h, n, false, sizes),
    b2: vector(tensorOf(weights, 'b_dec'), file, n, sizes),
    theta: clampThresholds(vector(tensorOf(weights, 'threshold'), file, h, sizes)),
  };
  foldUncentredInput(p, n, h); // Gemma Scope does not subtract b_dec from the input
  return {
    architecture: 'jumprelu',
    inputSize: n,
    hiddenSize: h,
    parameters: p,
    rowNormalization: null,
    source: { format, library: format === 'gemma-scope' ? 'Gemma Scope' : 'Gemma Scope 2', architecture: 'jumprelu', dtype: W_enc.dtype },
  };
}

const FIELDS = (file: string, names: string) => [
  { source: `${file} ${names}`, becomes: 'W1, W2, b1, b2, theta (architecture jumprelu; θ < 0 read as 0)' },
  { source: '(no b_dec subtraction: apply_b_dec_to_input false in SAELens\' loader)', becomes: 'b1 + b_dec·W_enc (folded)' },
];

export const gemmaScope = {
  name: 'gemma-scope',
  library: 'Gemma Scope',
  reference: 'sae_lens/loading/pretrained_sae_loaders.py (get_gemma_2_config_from_hf, gemma_2_sae_huggingface_loader)',
  files: 'params.npz',
  detect: (files) => hasFile(files, 'params.npz'),
  read: (files) => readJumpRelu(files, 'params.npz', 'gemma-scope'),
  fields: FIELDS('params.npz', 'W_enc [d_model, d_sae], W_dec [d_sae, d_model], b_enc, b_dec, threshold'),
} as const satisfies SaeFormat;

export const gemmaScope2 = {
  name: 'gemma-scope-2',
  library: 'Gemma Scope 2',
  reference: 'read as Gemma Scope (sae_lens/loading/pretrained_sae_loaders.py, gemma_2_sae_huggingface_loader) with lower-case names',
  files: 'params.safetensors (and config.json)',
  detect: (files) => hasFile(files, 'params.safetensors'),
  read: (files) => readJumpRelu(files, 'params.safetensors', 'gemma-scope-2'),
  fields: [...FIELDS('params.safetensors', 'w_enc, w_dec, b_enc, b_dec, threshold'), { source: 'config.json d_in / d_model, d_sae / width', becomes: 'checked against the tensors' }],
} as const satisfies SaeFormat;
