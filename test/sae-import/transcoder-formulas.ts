/**
 * The transcoders' encode and forward, written out in float64 from each library's source (cited per
 * function), read from the fixture files with src/formats/ and none of src/sae-import/: the oracle
 * of transcoders.test.ts. X is row-major [rows × d_in]; outputs [rows × d_out].
 */
import { fixtureFile, fixtureJson, get, jump, linear, minus, relu, topk } from './library-formulas.js';

export interface TranscoderReference {
  codes: Float64Array;
  /** The forward pass's output [rows × d_out] (with the skip term where the library adds one). */
  outputs: Float64Array;
  h: number;
  out: number;
}

/** x·W_skipᵀ added to `outputs` [rows × out]: W_skip stored [d_out, d_in] (SAELens' and sparsify's orientation). */
function addSkip(outputs: Float64Array, x: Float64Array, rows: number, n: number, W_skip: Float64Array, out: number): void {
  const term = linear(x, rows, n, W_skip, out, true, null);
  for (let k = 0; k < outputs.length; k++) outputs[k]! += term[k]!;
}

/**
 * sae_lens/saes/transcoder.py: Transcoder.process_sae_in (no b_dec), Transcoder.encode
 * relu(x @ W_enc + b_enc), JumpReLUTranscoder.encode relu(pre)·(pre > threshold), Transcoder.decode
 * codes @ W_dec + b_dec, SkipTranscoder.forward + x @ W_skip.T.
 */
export function saelensTranscoder(folder: string, x: Float64Array, rows: number): TranscoderReference {
  const cfg = fixtureJson(folder, 'cfg.json');
  const f = fixtureFile(folder, 'sae_weights.safetensors');
  const W_enc = get(f, 'W_enc');
  const [n, h] = W_enc.shape as [number, number];
  const W_dec = get(f, 'W_dec');
  const out = W_dec.shape[1]!;
  const pre = linear(x, rows, n, W_enc.v, h, false, get(f, 'b_enc').v);
  const theta = cfg.architecture === 'jumprelu_transcoder' ? get(f, 'threshold').v : null;
  const codes = theta ? jump(pre, h, (j) => theta[j]!) : relu(pre);
  const outputs = linear(codes, rows, h, W_dec.v, out, false, get(f, 'b_dec').v);
  if (cfg.architecture === 'skip_transcoder') addSkip(outputs, x, rows, n, get(f, 'W_skip').v, out);
  return { codes, outputs, h, out };
}

/**
 * sparsify/sparse_coder.py SparseCoder.encode (x − b_dec unless cfg.transcode) and
 * sparsify/fused_encoder.py (relu(x @ encoder.weight.T + encoder.bias), then topk); decode
 * top_acts·W_dec + b_dec; forward adds x @ W_skip.mT when cfg.skip_connection.
 */
export function sparsifyCoder(folder: string, x: Float64Array, rows: number): TranscoderReference {
  const cfg = fixtureJson(folder, 'cfg.json');
  const f = fixtureFile(folder, 'sae.safetensors');
  const enc = get(f, 'encoder.weight');
  const [h, n] = enc.shape as [number, number];
  const b_dec = get(f, 'b_dec').v;
  const input = cfg.transcode ? x : minus(x, rows, n, b_dec);
  const codes = topk(relu(linear(input, rows, n, enc.v, h, true, get(f, 'encoder.bias').v)), rows, h, cfg.k);
  const outputs = linear(codes, rows, h, get(f, 'W_dec').v, n, false, b_dec);
  if (cfg.skip_connection) addSkip(outputs, x, rows, n, get(f, 'W_skip').v, n);
  return { codes, outputs, h, out: n };
}
