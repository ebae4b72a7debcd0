/**
 * OpenMOSS' Llama Scope: hyperparams.json and checkpoints/final.safetensors (encoder.weight
 * [d_sae, d_model], encoder.bias, decoder.weight [d_model, d_sae], decoder.bias), read as SAELens'
 * llama_scope_sae_huggingface_loader and get_llama_scope_config_from_hf read them
 * (sae_lens/loading/pretrained_sae_loaders.py): JumpReLU with the scalar jump_relu_threshold,
 * apply_b_dec_to_input false, normalize_activations "expected_average_only_in" folded with
 * s = √d_model / dataset_average_activation_norm.in as SAE.from_pretrained folds it
 * (fold_activation_norm_scaling_factor: W_enc·s, W_dec / s, b_dec / s) and the threshold θ·s.
 */
import { ConfigReader, readJsonObject, readTensors, tensorOf, hasFile } from '../files.js';
import type { SaeFormat } from '../format.js';
import { checkSize, clampThresholds, foldInputScale, foldUncentredInput, matrix, sizesOf, vector, type ImportedSae } from '../sae.js';

export const llamaScope = {
  name: 'llama-scope',
  library: 'Llama Scope',
  reference: 'sae_lens/loading/pretrained_sae_loaders.py (get_llama_scope_config_from_hf, llama_scope_sae_huggingface_loader), sae_lens/saes/sae.py (fold_activation_norm_scaling_factor)',
  files: 'hyperparams.json and checkpoints/final.safetensors',
  detect: (files) => hasFile(files, 'hyperparams.json'),
  read(files): ImportedSae {
    const cfgFile = readJsonObject(files, 'hyperparams.json', 'Llama Scope keeps its hyperparameters there');
    const cfg = new ConfigReader(cfgFile.name, cfgFile.json);
    const weights = readTensors(files, 'checkpoints/final.safetensors', 'Llama Scope keeps the final weights there');
    const file = weights.name;
    const encoder = tensorOf(weights, 'encoder.weight');
    const { n, h } = sizesOf(encoder, file, true);
    checkSize(cfgFile.name, 'd_model', cfg.integer('d_model'), n, 'inputs (encoder.weight [d_sae, d_model])');
    checkSize(cfgFile.name, 'd_sae', cfg.optionalInteger('d_sae', 1), h, 'latents (encoder.weight [d_sae, d_model])');
    const norms = cfg.object('dataset_average_activation_norm') ?? cfg.fail('dataset_average_activation_norm', 'is missing (SAELens folds √d_model / dataset_average_activation_norm.in into the weights)');
    const averageIn = norms.number('in');
    if (!(averageIn > 0)) norms.fail('in', `must be above 0, got ${averageIn}`);
    const s = Math.sqrt(n) / averageIn;
    const threshold = cfg.number('jump_relu_threshold');
    const sizes = `d_model ${n}, d_sae ${h}`;
    const p = {
      W1: matrix(encoder, file, n, h, true, sizes),
      b1: vector(tensorOf(weights, 'encoder.bias'), file, h, sizes),
      W2: matrix(tensorOf(weights, 'decoder.weight'), file, h, n, true, sizes),
      b2: vector(tensorOf(weights, 'decoder.bias'), file, n, sizes),
      theta: clampThresholds(new Float32Array(h).fill(threshold * s)),
    };
    foldInputScale(p, s);
    foldUncentredInput(p, n, h);
    return {
      architecture: 'jumprelu',
      inputSize: n,
      hiddenSize: h,
      parameters: p,
      rowNormalization: null,
      source: {
        format: 'llama-scope',
        library: 'Llama Scope',
        architecture: 'jumprelu',
        ...(cfg.optionalString('hook_point_in') !== undefined ? { hookName: cfg.optionalString('hook_point_in')! } : {}),
        dtype: encoder.dtype,
      },
    };
  },
  fields: [
    { source: 'hyperparams.json d_model, d_sae', becomes: 'inputSize, hiddenSize (checked against encoder.weight)' },
    { source: 'encoder.weight [d_sae, d_model], encoder.bias, decoder.weight [d_model, d_sae], decoder.bias', becomes: 'W1, b1, W2, b2 (transposed), architecture jumprelu' },
    { source: 'hyperparams.json jump_relu_threshold', becomes: 'theta = threshold × s for every unit' },
    { source: 'hyperparams.json dataset_average_activation_norm.in', becomes: 's = √d_model / in folded: W1 × s, W2 ÷ s, b2 ÷ s' },
    { source: '(no b_dec subtraction)', becomes: 'b1 + b_dec·W_enc (folded)' },
    { source: 'hyperparams.json hook_point_in', becomes: 'source.hookName' },
  ],
} as const satisfies SaeFormat;
