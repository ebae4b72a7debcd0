/**
 * OpenAI's sparse_autoencoder: a .pt state dict of `Autoencoder` (sparse_autoencoder/model.py):
 * pre_bias [n], encoder.weight [h, n], latent_bias [h], decoder.weight [n, h], and the entries
 * Autoencoder.state_dict adds: activation ("TopK" or "ReLU") and activation_state_dict (TopK's k
 * and postact_fn). As Autoencoder.from_state_dict, a TopK activation turns on the input's
 * LayerNorm (v5's SAEs: normalize = activation_class_name == "TopK"): LN(x) with torch's unbiased
 * std and ε 1e-5, undone on the reconstruction (x̂·std + μ). encode = activation(LN(x) − pre_bias)·encoder.weightᵀ + latent_bias;
 * TopK keeps the k largest and applies its postact_fn (ReLU) to them.
 */
import { TensorFileError } from '../../errors.js';
import { readTensors, tensorOf } from '../files.js';
import type { SaeFiles } from '../files.js';
import type { SaeFormat } from '../format.js';
import { matrix, sizesOf, vector, type ImportedSae } from '../sae.js';

/** The one .pt file of the folder that is not dictionary_learning's ae.pt, or null. */
function checkpointName(files: SaeFiles): string | null {
  const names = [...files.keys()].filter((name) => name.endsWith('.pt') && !/(^|\/)ae\.pt$/.test(name));
  return names.length === 1 ? names[0]! : null;
}

export const openai = {
  name: 'openai',
  library: 'sparse_autoencoder (OpenAI)',
  reference: 'sparse_autoencoder/model.py (Autoencoder, LN, TopK, from_state_dict)',
  files: 'one .pt state dict (pre_bias, encoder.weight, latent_bias, decoder.weight)',
  detect: (files) => checkpointName(files) !== null,
  read(files): ImportedSae {
    const name = checkpointName(files);
    if (name === null) throw new TensorFileError('(file)', 'is missing: one .pt file holding the Autoencoder\'s state dict', '*.pt');
    const checkpoint = readTensors(files, name, '');
    const file = checkpoint.name;
    const encoder = tensorOf(checkpoint, 'encoder.weight');
    const { n, h } = sizesOf(encoder, file, true);
    const sizes = `n_inputs ${n}, n_latents ${h}`;
    const activation = checkpoint.values.get('activation') ?? 'ReLU';
    if (activation !== 'TopK' && activation !== 'ReLU') {
      throw new TensorFileError('activation', `is ${JSON.stringify(activation)}; edge-sae imports the TopK and ReLU activations`, file);
    }
    let k: number | undefined;
    if (activation === 'TopK') {
      const value = checkpoint.values.get('activation_state_dict.k');
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > h) {
        throw new TensorFileError('activation_state_dict.k', `must be a whole number from 1 to n_latents ${h}, got ${JSON.stringify(value)}`, file);
      }
      const post = checkpoint.values.get('activation_state_dict.postact_fn') ?? 'ReLU';
      if (post !== 'ReLU') throw new TensorFileError('activation_state_dict.postact_fn', `is ${JSON.stringify(post)}; edge-sae's topk applies ReLU after the top-k`, file);
      k = value;
    }
    return {
      architecture: activation === 'TopK' ? 'topk' : 'relu',
      ...(k !== undefined ? { k } : {}),
      inputSize: n,
      hiddenSize: h,
      parameters: {
        W1: matrix(encoder, file, n, h, true, sizes),
        b1: vector(tensorOf(checkpoint, 'latent_bias'), file, h, sizes),
        W2: matrix(tensorOf(checkpoint, 'decoder.weight'), file, h, n, true, sizes),
        b2: vector(tensorOf(checkpoint, 'pre_bias'), file, n, sizes),
      },
      rowNormalization: activation === 'TopK' ? 'layer_norm' : null,
      source: { format: 'openai', library: 'sparse_autoencoder', architecture: `Autoencoder ${activation}`, dtype: encoder.dtype },
    };
  },
  fields: [
    { source: 'encoder.weight [n_latents, n_inputs], latent_bias', becomes: 'W1 (transposed), b1' },
    { source: 'decoder.weight [n_inputs, n_latents], pre_bias', becomes: 'W2 (transposed), b2' },
    { source: 'activation "TopK", activation_state_dict.k', becomes: 'architecture topk, config.k, normalization.perRow layer_norm (v5: LN with unbiased std + 1e-5)' },
    { source: 'activation "ReLU"', becomes: 'architecture relu, no LayerNorm' },
    { source: 'stats_last_nonzero, latents_activation_frequency', becomes: 'nothing (training statistics)' },
  ],
} as const satisfies SaeFormat;
