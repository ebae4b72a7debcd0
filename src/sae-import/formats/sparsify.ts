/**
 * EleutherAI's sparsify: a folder of cfg.json (SparseCoderConfig.to_dict() plus d_in) and
 * sae.safetensors (the SparseCoder's state dict), as `SparseCoder.save_to_disk` writes it and
 * `load_from_disk` reads it (sparsify/sparse_coder.py). Semantics from sparsify's own code, not
 * SAELens' converter: encode subtracts b_dec always (unless transcode), then
 * relu(x·encoder.weightᵀ + encoder.bias) and keeps the top k (sparsify/fused_encoder.py); decode
 * is top_acts·W_dec + b_dec with W_dec stored [num_latents, d_in], not transposed. relu before
 * the top-k keeps the same codes as edge-sae's top-k then relu (the k largest of relu(z) are the
 * k largest of z with the negative ones set to 0).
 */
import { ConfigReader, findFile, hasFile, readJsonObject, readTensors, tensorOf, optionalTensor } from '../files.js';
import type { SaeFormat } from '../format.js';
import { checkSize, foldUncentredInput, matrix, sizesOf, vector, type ImportedSae } from '../sae.js';

export const sparsify = {
  name: 'sparsify',
  library: 'sparsify',
  reference: 'sparsify/sparse_coder.py (save_to_disk, load_from_disk, encode, decode), sparsify/config.py (SparseCoderConfig)',
  files: 'cfg.json and sae.safetensors',
  detect: (files) => hasFile(files, 'sae.safetensors') && findFile(files, 'cfg.json') !== null,
  read(files): ImportedSae {
    const cfgFile = readJsonObject(files, 'cfg.json', 'sparsify keeps the SparseCoderConfig there');
    const cfg = new ConfigReader(cfgFile.name, cfgFile.json);
    const activation = cfg.choice('activation', ['topk', 'groupmax'] as const, 'topk');
    if (activation !== 'topk') cfg.fail('activation', 'is "groupmax", which edge-sae does not import (it imports sparsify\'s topk)');
    // transcode: encode does not subtract b_dec; skip_connection: forward adds x @ W_skip.mT (W_skip [d_in, d_in])
    const transcode = cfg.boolean('transcode', false);
    const skip = cfg.boolean('skip_connection', false);
    const weights = readTensors(files, 'sae.safetensors', 'sparsify keeps the weights there');
    const file = weights.name;
    const encoder = tensorOf(weights, 'encoder.weight');
    const { n, h } = sizesOf(encoder, file, true);
    checkSize(cfgFile.name, 'd_in', cfg.optionalInteger('d_in', 1), n, 'inputs (encoder.weight [num_latents, d_in])');
    const declared = cfg.optionalInteger('num_latents', 0);
    if (declared !== undefined && declared !== 0) checkSize(cfgFile.name, 'num_latents', declared, h, 'latents (encoder.weight [num_latents, d_in])');
    else if (cfg.has('expansion_factor') && cfg.has('d_in')) checkSize(cfgFile.name, 'expansion_factor', cfg.integer('expansion_factor') * n, h, 'latents (encoder.weight [d_in × expansion_factor, d_in])');
    const k = cfg.integer('k', 1);
    if (k > h) cfg.fail('k', `is ${k}, more than the ${h} latents`);
    const sizes = `d_in ${n}, num_latents ${h}`;
    const bias = optionalTensor(weights, 'encoder.bias');
    const parameters = {
      W1: matrix(encoder, file, n, h, true, sizes),
      b1: bias ? vector(bias, file, h, sizes) : new Float32Array(h),
      W2: matrix(tensorOf(weights, 'W_dec'), file, h, n, false, sizes),
      b2: vector(tensorOf(weights, 'b_dec'), file, n, sizes),
      // stored [out, in] (x @ W_skip.mT): edge-sae keeps it [in, out]
      ...(skip ? { W_skip: matrix(tensorOf(weights, 'W_skip'), file, n, n, true, sizes) } : {}),
    };
    // a transcoder's x·W_enc + b_enc is (x − b_dec)·W_enc + (b_enc + b_dec·W_enc): d_out = d_in here
    if (transcode) foldUncentredInput(parameters, n, h);
    const kind = [transcode ? 'transcode' : '', skip ? 'skip_connection' : ''].filter(Boolean).join(', ');
    return {
      architecture: 'topk',
      k,
      inputSize: n,
      hiddenSize: h,
      parameters,
      rowNormalization: null,
      source: { format: 'sparsify', library: 'sparsify', architecture: `SparseCoder topk${kind ? ` (${kind})` : ''}`, dtype: encoder.dtype },
    };
  },
  fields: [
    { source: 'cfg.json d_in, num_latents (or d_in × expansion_factor)', becomes: 'inputSize, hiddenSize (checked against encoder.weight)' },
    { source: 'cfg.json k, activation "topk"', becomes: 'architecture topk, config.k (groupmax refused)' },
    { source: 'encoder.weight [num_latents, d_in], encoder.bias', becomes: 'W1 (transposed), b1' },
    { source: 'W_dec [num_latents, d_in], b_dec', becomes: 'W2 (as stored), b2; b_dec subtracted from the input, as sparsify\'s encode does' },
    { source: 'cfg.json transcode true', becomes: 'b1 + b_dec·W1 (folded: sparsify\'s transcoder does not subtract b_dec; d_out = d_in); inference only' },
    { source: 'cfg.json skip_connection true, W_skip [d_in, d_in]', becomes: 'W_skip (transposed): transcode adds x·W_skip, as sparsify\'s forward; inference only' },
    { source: 'cfg.json normalize_decoder, multi_topk', becomes: 'nothing (training options)' },
  ],
} as const satisfies SaeFormat;
