/**
 * saprmarks' dictionary_learning: a folder of ae.pt (torch.save of the dictionary's state dict)
 * and config.json ({"trainer": {dict_class, activation_dim, dict_size, k, lm_name, layer, …},
 * "buffer": {ctx_len, …}}), as dictionary_learning/training.py writes them. The trainer's
 * norm_factor is already in the saved weights: training.py calls ae.scale_biases(norm_factor)
 * before the final torch.save, so ae.pt encodes unscaled activations and nothing more is applied.
 *
 * Each dict_class as its encode reads (dictionary_learning/dictionary.py, trainers/*.py):
 * - AutoEncoder: relu(encoder(x − bias)); AutoEncoder.from_pretrained normalises the decoder by
 *   default (normalize_decoder=True: decoder columns to unit norm, encoder rows and bias × norm),
 *   folded here the same way.
 * - JumpReluAutoEncoder: relu(pre·(pre > threshold)), pre = x·W_enc + b_enc (b_dec not
 *   subtracted: apply_b_dec_to_input false unless loaded from SAELens).
 * - AutoEncoderTopK (trainers/top_k.py): top k of relu(encoder(x − b_dec)).
 * - BatchTopKSAE, MatryoshkaBatchTopKSAE (trainers/batch_top_k.py, matryoshka_batch_top_k.py): at
 *   inference (use_threshold=True) relu(pre)·(relu(pre) > threshold) with one threshold for every
 *   latent: jumprelu with θ = max(threshold, 0) for all, as SAELens converts them.
 * - GatedAutoEncoder (dictionary.py): x_enc = encoder(x − decoder_bias) (nn.Linear without bias),
 *   f = 1[x_enc + gate_bias > 0] · relu(exp(r_mag)·x_enc + mag_bias), decode decoder(f) +
 *   decoder_bias: SAELens' gated with apply_b_dec_to_input true, so gated with b1 = gate_bias,
 *   b_mag = mag_bias. Its encode's normalize_decoder defaults to False and from_pretrained
 *   does not normalise (unlike AutoEncoder's), so the decoder is kept as stored. Its scale_biases
 *   (the norm_factor, see above) scales decoder_bias, gate_bias and mag_bias: ae.pt already holds them.
 */
import { TensorFileError } from '../../errors.js';
import { ConfigReader, findFile, readJsonObject, readTensors, tensorOf, optionalTensor } from '../files.js';
import type { SaeFormat } from '../format.js';
import { checkSize, clampThresholds, floatValues, foldDecoderNorms, foldUncentredInput, matrix, sizesOf, vector, type ImportedSae } from '../sae.js';
import { toFloat64 } from '../../formats/convert.js';

const CLASSES = ['AutoEncoder', 'JumpReluAutoEncoder', 'AutoEncoderTopK', 'BatchTopKSAE', 'MatryoshkaBatchTopKSAE', 'GatedAutoEncoder'] as const;

export const dictionaryLearning = {
  name: 'dictionary-learning',
  library: 'dictionary_learning',
  reference: 'dictionary_learning/dictionary.py, dictionary_learning/trainers/top_k.py, batch_top_k.py, matryoshka_batch_top_k.py, dictionary_learning/training.py',
  files: 'ae.pt and config.json',
  detect: (files) => findFile(files, 'ae.pt') !== null,
  read(files): ImportedSae {
    const cfgFile = readJsonObject(files, 'config.json', 'dictionary_learning writes the trainer\'s config there, whose dict_class says which dictionary ae.pt holds');
    const top = new ConfigReader(cfgFile.name, cfgFile.json);
    const trainer = top.object('trainer') ?? top.fail('trainer', 'is missing (dictionary_learning writes {"trainer": {...}, "buffer": {...}})');
    const dictClass = trainer.string('dict_class');
    if (!(CLASSES as readonly string[]).includes(dictClass)) trainer.fail('dict_class', `is ${JSON.stringify(dictClass)}; edge-sae imports ${CLASSES.join(', ')}`);
    const checkpoint = readTensors(files, 'ae.pt', 'dictionary_learning saves the state dict there');
    const file = checkpoint.name;
    const inParams = dictClass === 'JumpReluAutoEncoder' || dictClass === 'MatryoshkaBatchTopKSAE'; // W_enc [n, h] parameters, not nn.Linear
    const encoder = inParams ? tensorOf(checkpoint, 'W_enc') : tensorOf(checkpoint, 'encoder.weight');
    const { n, h } = sizesOf(encoder, file, !inParams);
    checkSize(cfgFile.name, 'trainer.activation_dim', trainer.optionalInteger('activation_dim', 1), n, 'inputs');
    checkSize(cfgFile.name, 'trainer.dict_size', trainer.optionalInteger('dict_size', 1), h, 'latents');
    const sizes = `activation_dim ${n}, dict_size ${h}`;
    const p: ImportedSae['parameters'] = dictClass === 'GatedAutoEncoder'
      ? {
          W1: matrix(encoder, file, n, h, true, sizes),
          b1: vector(tensorOf(checkpoint, 'gate_bias'), file, h, sizes),
          W2: matrix(tensorOf(checkpoint, 'decoder.weight'), file, h, n, true, sizes),
          b2: vector(tensorOf(checkpoint, 'decoder_bias'), file, n, sizes),
          r_mag: vector(tensorOf(checkpoint, 'r_mag'), file, h, sizes),
          b_mag: vector(tensorOf(checkpoint, 'mag_bias'), file, h, sizes),
        }
      : inParams
      ? {
          W1: matrix(encoder, file, n, h, false, sizes),
          b1: vector(tensorOf(checkpoint, 'b_enc'), file, h, sizes),
          W2: matrix(tensorOf(checkpoint, 'W_dec'), file, h, n, false, sizes),
          b2: vector(tensorOf(checkpoint, 'b_dec'), file, n, sizes),
        }
      : {
          W1: matrix(encoder, file, n, h, true, sizes),
          b1: vector(tensorOf(checkpoint, 'encoder.bias'), file, h, sizes),
          W2: matrix(tensorOf(checkpoint, 'decoder.weight'), file, h, n, true, sizes),
          b2: vector(tensorOf(checkpoint, 'bias', 'b_dec'), file, n, sizes),
        };
    const scalar = (name: string): number => {
      const tensor = tensorOf(checkpoint, name);
      if (tensor.shape.length !== 0) throw new TensorFileError(`${name}.shape`, `must be a scalar, got [${tensor.shape.join(', ')}]`, file);
      return toFloat64(tensor, file)[0]!;
    };
    let architecture: ImportedSae['architecture'] = 'relu';
    let k: number | undefined;
    if (dictClass === 'AutoEncoder') {
      foldDecoderNorms(p, n, h);
    } else if (dictClass === 'GatedAutoEncoder') {
      architecture = 'gated';
    } else if (dictClass === 'JumpReluAutoEncoder') {
      architecture = 'jumprelu';
      p.theta = clampThresholds(vector(tensorOf(checkpoint, 'threshold'), file, h, sizes));
      foldUncentredInput(p, n, h);
    } else if (dictClass === 'AutoEncoderTopK') {
      architecture = 'topk';
      k = scalar('k');
      if (!Number.isInteger(k) || k < 1 || k > h) throw new TensorFileError('k', `must be a whole number from 1 to dict_size ${h}, got ${k}`, file);
    } else {
      // BatchTopK and Matryoshka at inference: one threshold for all latents
      architecture = 'jumprelu';
      const threshold = scalar('threshold');
      p.theta = new Float32Array(h).fill(Math.max(threshold, 0));
      if (!Number.isFinite(p.theta[0]!)) throw new TensorFileError('threshold', `must be finite, got ${threshold}`, file);
    }
    const buffer = top.object('buffer');
    const context = buffer?.optionalInteger('ctx_len', 0);
    const lmName = trainer.optionalString('lm_name');
    const layer = trainer.json.layer;
    return {
      architecture,
      ...(k !== undefined ? { k } : {}),
      inputSize: n,
      hiddenSize: h,
      parameters: p,
      rowNormalization: null,
      source: {
        format: 'dictionary-learning',
        library: 'dictionary_learning',
        architecture: dictClass,
        ...(lmName !== undefined ? { modelName: lmName } : {}),
        ...(typeof layer === 'number' ? { hookName: `${trainer.optionalString('submodule_name') ?? 'layer'} ${layer}` } : {}),
        ...(context !== undefined ? { contextSize: context } : {}),
        dtype: encoder.dtype,
      },
    };
  },
  fields: [
    { source: 'config.json trainer.dict_class', becomes: 'AutoEncoder → relu; AutoEncoderTopK → topk; JumpReluAutoEncoder, BatchTopKSAE, MatryoshkaBatchTopKSAE → jumprelu; GatedAutoEncoder → gated' },
    { source: 'config.json trainer.activation_dim, dict_size', becomes: 'inputSize, hiddenSize (checked against the weights)' },
    { source: 'ae.pt encoder.weight [dict_size, activation_dim], encoder.bias, decoder.weight, bias / b_dec', becomes: 'W1, b1, W2 (transposed), b2' },
    { source: 'ae.pt W_enc, b_enc, W_dec, b_dec (JumpReluAutoEncoder, Matryoshka)', becomes: 'W1, b1, W2, b2 as stored' },
    { source: 'ae.pt (GatedAutoEncoder) encoder.weight [dict_size, activation_dim], gate_bias, r_mag, mag_bias, decoder.weight, decoder_bias', becomes: 'W1 (transposed), b1, r_mag, b_mag, W2 (transposed), b2; the decoder kept as stored (no normalize_decoder)' },
    { source: 'ae.pt k (AutoEncoderTopK)', becomes: 'config.k' },
    { source: 'ae.pt threshold [dict_size] (JumpReLU) or scalar (BatchTopK, Matryoshka)', becomes: 'theta (a scalar for every unit; < 0 read as 0)' },
    { source: 'AutoEncoder decoder norms (from_pretrained normalize_decoder)', becomes: 'folded: W2 rows to unit norm, W1 and b1 × norm' },
    { source: 'config.json trainer.norm_factor', becomes: 'nothing: already in ae.pt (training.py scale_biases before saving)' },
    { source: 'config.json trainer.lm_name, layer, buffer.ctx_len', becomes: 'source' },
  ],
} as const satisfies SaeFormat;

export { floatValues, optionalTensor };
