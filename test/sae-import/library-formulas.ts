/**
 * Each library's encode, written out in float64 from its own source (cited per function), read
 * from the fixture files with src/formats/ (exact widening, toFloat64) and none of src/sae-import/:
 * the oracle importSae's models are checked against. X is row-major [rows × n].
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toFloat64 } from '../../src/formats/convert.js';
import { readTensorFile, type TensorFile } from '../../src/formats/tensor-file.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'sae');

export function fixtureFile(folder: string, name: string): TensorFile {
  return readTensorFile(new Uint8Array(readFileSync(join(FIXTURES, folder, name))), name);
}
export function fixtureJson(folder: string, name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, folder, name), 'utf8'));
}
function get(file: TensorFile, name: string): { v: Float64Array; shape: readonly number[] } {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`fixture has no ${name}`);
  return { v: toFloat64(t), shape: t.shape };
}

/** Row-major matrix product X [rows × n] · W, W given as [n × h] (transposed: stored [h × n]). */
function linear(x: Float64Array, rows: number, n: number, w: Float64Array, h: number, transposed: boolean, bias: Float64Array | null): Float64Array {
  const out = new Float64Array(rows * h);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < h; j++) {
      let s = bias ? bias[j]! : 0;
      for (let i = 0; i < n; i++) s += x[r * n + i]! * (transposed ? w[j * n + i]! : w[i * h + j]!);
      out[r * h + j] = s;
    }
  }
  return out;
}
const minus = (x: Float64Array, rows: number, n: number, b: Float64Array) => x.map((v, k) => v - b[k % n]!);
const relu = (z: Float64Array) => z.map((v) => Math.max(v, 0));
/** The k largest of each row kept, the rest 0 (torch.topk; the fixtures have no ties). */
function topk(z: Float64Array, rows: number, h: number, k: number): Float64Array {
  const out = new Float64Array(rows * h);
  for (let r = 0; r < rows; r++) {
    const idx = [...Array(h).keys()].sort((a, b) => z[r * h + b]! - z[r * h + a]!).slice(0, k);
    for (const j of idx) out[r * h + j] = z[r * h + j]!;
  }
  return out;
}
/** relu(z)·(z > θ) (SAELens' JumpReLUSAE.encode, Gemma Scope). */
const jump = (z: Float64Array, h: number, theta: (j: number) => number) => z.map((v, k) => (v > theta(k % h) ? Math.max(v, 0) : 0));

/**
 * Gated codes of sae_in, as sae_lens/saes/gated_sae.py GatedSAE.encode writes them:
 * (sae_in @ W_enc + b_gate > 0) · relu(sae_in @ (W_enc · exp(r_mag)) + b_mag) — the magnitude
 * path's own product with the scaled matrix, as SAELens forms it (edge-sae forms one product and
 * scales it; equal in exact arithmetic).
 */
function gatedCodes(sae_in: Float64Array, rows: number, n: number, w: Float64Array, h: number, transposed: boolean, bGate: Float64Array, rMag: Float64Array, bMag: Float64Array): Float64Array {
  const gate = linear(sae_in, rows, n, w, h, transposed, bGate);
  const scaled = w.map((v, k) => v * Math.exp(rMag[transposed ? Math.floor(k / n) : k % h]!));
  const magnitude = linear(sae_in, rows, n, scaled, h, transposed, bMag);
  return magnitude.map((v, k) => (gate[k]! > 0 ? Math.max(v, 0) : 0));
}

/** Per-row normalisations with each row's (shift, scale) for undoing them. */
export function layerNorm(x: Float64Array, rows: number, n: number): { x: Float64Array; stats: [number, number][] } {
  // sae_lens/saes/sae.py run_time_activation_ln_in; sparse_autoencoder/model.py LN: (x − μ)/(std + 1e-5), std unbiased
  const out = new Float64Array(x.length);
  const stats: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const mu = row.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(row.reduce((a, b) => a + (b - mu) ** 2, 0) / (n - 1));
    for (let i = 0; i < n; i++) out[r * n + i] = (row[i]! - mu) / (std + 1e-5);
    stats.push([mu, std]);
  }
  return { x: out, stats };
}
export function constantNorm(x: Float64Array, rows: number, n: number): { x: Float64Array; stats: [number, number][] } {
  // sae_lens/saes/sae.py run_time_activation_norm_fn_in: x·√d_in/‖x‖, undone ÷ that coefficient
  const out = new Float64Array(x.length);
  const stats: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * n, (r + 1) * n);
    const c = Math.sqrt(n) / Math.sqrt(row.reduce((a, b) => a + b * b, 0));
    for (let i = 0; i < n; i++) out[r * n + i] = row[i]! * c;
    stats.push([0, 1 / c]);
  }
  return { x: out, stats };
}

export interface Reference {
  codes: Float64Array;
  /** decode(codes) in the caller's scale, where the fixture's library defines it for the row. */
  reconstruction?: Float64Array;
  h: number;
}

/** SAELens ≥ 6 (and < 6 through handle_pre_6_0_config): sae_lens/saes/sae.py process_sae_in; standard_sae.py, topk_sae.py, jumprelu_sae.py, gated_sae.py encode and decode. */
export function saelens(folder: string, x: Float64Array, rows: number): Reference {
  const raw = fixtureJson(folder, 'cfg.json');
  const pre6 = !raw.metadata?.sae_lens_version;
  const cfg: Record<string, any> = { ...raw, architecture: raw.architecture ?? (raw.activation_fn_str === 'topk' ? 'topk' : 'standard'), k: raw.k ?? raw.activation_fn_kwargs?.k, apply_b_dec_to_input: raw.apply_b_dec_to_input ?? true, normalize_activations: typeof raw.normalize_activations === 'boolean' ? 'none' : raw.normalize_activations };
  if (pre6 && raw.activation_fn_str === 'topk') cfg.architecture = 'topk';
  const f = fixtureFile(folder, 'sae_weights.safetensors');
  const W_enc = get(f, 'W_enc');
  const [n, h] = W_enc.shape as [number, number];
  const W_dec = get(f, 'W_dec').v;
  const b_dec = get(f, 'b_dec').v;
  const norm = cfg.normalize_activations === 'layer_norm' ? layerNorm(x, rows, n) : cfg.normalize_activations === 'constant_norm_rescale' ? constantNorm(x, rows, n) : { x, stats: null };
  const sae_in = cfg.apply_b_dec_to_input ? minus(norm.x, rows, n, b_dec) : norm.x;
  if (cfg.architecture === 'gated') {
    const codes = gatedCodes(sae_in, rows, n, W_enc.v, h, false, get(f, 'b_gate').v, get(f, 'r_mag').v, get(f, 'b_mag').v);
    const out = linear(codes, rows, h, W_dec, n, false, b_dec); // GatedSAE.decode: feature_acts @ W_dec + b_dec
    if (norm.stats) for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) out[r * n + i] = out[r * n + i]! * norm.stats[r]![1] + norm.stats[r]![0];
    return { codes, reconstruction: out, h };
  }
  let pre = linear(sae_in, rows, n, W_enc.v, h, false, get(f, 'b_enc').v);
  const decNorm = Float64Array.from({ length: h }, (_, j) => Math.sqrt(W_dec.subarray(j * n, (j + 1) * n).reduce((a, b) => a + b * b, 0)));
  let codes: Float64Array;
  if (cfg.architecture === 'topk') {
    if (cfg.rescale_acts_by_decoder_norm) pre = pre.map((v, k) => v * decNorm[k % h]!);
    codes = relu(topk(pre, rows, h, cfg.k)); // TopK: torch.topk then .relu() of the kept values
  } else if (cfg.architecture === 'jumprelu') {
    const theta = get(f, 'threshold').v;
    codes = jump(pre, h, (j) => theta[j]!);
  } else {
    codes = relu(pre);
  }
  // decode: (topk: ÷ decoder norms when rescaled) codes·W_dec + b_dec, then run_time_activation_norm_fn_out
  const acts = cfg.architecture === 'topk' && cfg.rescale_acts_by_decoder_norm ? codes.map((v, k) => v / decNorm[k % h]!) : codes;
  const out = linear(acts, rows, h, W_dec, n, false, b_dec);
  if (norm.stats) for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) out[r * n + i] = out[r * n + i]! * norm.stats[r]![1] + norm.stats[r]![0];
  return { codes, reconstruction: out, h };
}

/** sparsify/sparse_coder.py SparseCoder.encode (x − b_dec) and sparsify/fused_encoder.py (relu(linear) then topk); decode top_acts·W_dec + b_dec. */
export function sparsify(folder: string, x: Float64Array, rows: number): Reference {
  const cfg = fixtureJson(folder, 'cfg.json');
  const f = fixtureFile(folder, 'sae.safetensors');
  const enc = get(f, 'encoder.weight');
  const [h, n] = enc.shape as [number, number];
  const codes = topk(relu(linear(minus(x, rows, n, get(f, 'b_dec').v), rows, n, enc.v, h, true, get(f, 'encoder.bias').v)), rows, h, cfg.k);
  return { codes, reconstruction: linear(codes, rows, h, get(f, 'W_dec').v, n, false, get(f, 'b_dec').v), h };
}

/** Gemma Scope as SAELens loads it (pretrained_sae_loaders.py gemma_2_sae_huggingface_loader: apply_b_dec_to_input false) and jumprelu_sae.py encodes it. */
export function gemmaScope(folder: string, file: string, x: Float64Array, rows: number): Reference {
  const f = fixtureFile(folder, file);
  const name = (s: string) => (f.tensors.has(s) ? s : s.toLowerCase());
  const W = get(f, name('W_enc'));
  const [n, h] = W.shape as [number, number];
  const theta = get(f, 'threshold').v;
  const codes = jump(linear(x, rows, n, W.v, h, false, get(f, 'b_enc').v), h, (j) => theta[j]!);
  return { codes, reconstruction: linear(codes, rows, h, get(f, name('W_dec')).v, n, false, get(f, 'b_dec').v), h };
}

/** Llama Scope as SAELens loads it (get_llama_scope_config_from_hf, llama_scope_sae_huggingface_loader) and folds it (sae.py fold_activation_norm_scaling_factor). */
export function llamaScope(folder: string, x: Float64Array, rows: number): Reference {
  const hp = fixtureJson(folder, 'hyperparams.json');
  const f = fixtureFile(folder, 'checkpoints/final.safetensors');
  const enc = get(f, 'encoder.weight');
  const [h, n] = enc.shape as [number, number];
  const s = Math.sqrt(hp.d_model) / hp.dataset_average_activation_norm.in;
  const pre = linear(x, rows, n, enc.v.map((v) => v * s), h, true, get(f, 'encoder.bias').v);
  const codes = jump(pre, h, () => hp.jump_relu_threshold * s);
  const W_dec = get(f, 'decoder.weight').v.map((v) => v / s); // [n × h] stored
  return { codes, reconstruction: linear(codes, rows, h, W_dec, n, true, get(f, 'decoder.bias').v.map((v) => v / s)), h };
}

/** dictionary_learning: dictionary.py (AutoEncoder with from_pretrained's normalize_decoder, JumpReluAutoEncoder, GatedAutoEncoder), trainers/top_k.py, batch_top_k.py, matryoshka_batch_top_k.py encode. */
export function dictionaryLearning(folder: string, x: Float64Array, rows: number): Reference {
  const cls = fixtureJson(folder, 'config.json').trainer.dict_class as string;
  const f = fixtureFile(folder, 'ae.pt');
  if (cls === 'JumpReluAutoEncoder' || cls === 'MatryoshkaBatchTopKSAE') {
    const W = get(f, 'W_enc');
    const [n, h] = W.shape as [number, number];
    if (cls === 'JumpReluAutoEncoder') {
      const theta = get(f, 'threshold').v;
      const pre = linear(x, rows, n, W.v, h, false, get(f, 'b_enc').v);
      return { codes: pre.map((v, k) => Math.max(v > theta[k % h]! ? v : 0, 0)), h }; // relu(pre·(pre > θ))
    }
    const t = get(f, 'threshold').v[0]!;
    const r = relu(linear(minus(x, rows, n, get(f, 'b_dec').v), rows, n, W.v, h, false, get(f, 'b_enc').v));
    return { codes: r.map((v) => (v > t ? v : 0)), h };
  }
  const enc = get(f, 'encoder.weight');
  const [h, n] = enc.shape as [number, number];
  if (cls === 'GatedAutoEncoder') {
    // dictionary.py GatedAutoEncoder.encode: x_enc = encoder(x − decoder_bias) (no bias); pi_gate = x_enc + gate_bias;
    // pi_mag = r_mag.exp()·x_enc + mag_bias; f = (pi_gate > 0)·relu(pi_mag); decode: decoder(f) + decoder_bias
    const b = get(f, 'decoder_bias').v;
    const x_enc = linear(minus(x, rows, n, b), rows, n, enc.v, h, true, null);
    const rMag = get(f, 'r_mag').v;
    const gateBias = get(f, 'gate_bias').v;
    const magBias = get(f, 'mag_bias').v;
    const codes = x_enc.map((v, k) => (v + gateBias[k % h]! > 0 ? Math.max(Math.exp(rMag[k % h]!) * v + magBias[k % h]!, 0) : 0));
    return { codes, reconstruction: linear(codes, rows, h, get(f, 'decoder.weight').v, n, true, b), h };
  }
  if (cls === 'AutoEncoder') {
    const dec = get(f, 'decoder.weight').v; // [n × h]
    const norms = Float64Array.from({ length: h }, (_, j) => Math.sqrt(Array.from({ length: n }, (_, i) => dec[i * h + j]! ** 2).reduce((a, b) => a + b, 0)));
    const W = enc.v.map((v, k) => v * norms[Math.floor(k / n)]!);
    const b = get(f, 'encoder.bias').v.map((v, j) => v * norms[j]!);
    return { codes: relu(linear(minus(x, rows, n, get(f, 'bias').v), rows, n, W, h, true, b)), h };
  }
  const r = relu(linear(minus(x, rows, n, get(f, 'b_dec').v), rows, n, enc.v, h, true, get(f, 'encoder.bias').v));
  if (cls === 'AutoEncoderTopK') return { codes: topk(r, rows, h, get(f, 'k').v[0]!), h };
  const t = get(f, 'threshold').v[0]!; // BatchTopKSAE.encode(use_threshold=True)
  return { codes: r.map((v) => (v > t ? v : 0)), h };
}

/** sparse_autoencoder/model.py: Autoencoder.encode (preprocess LN when TopK, encode_pre_act, activation) and decode (+ pre_bias, × std + μ). */
export function openai(folder: string, x: Float64Array, rows: number): Reference {
  const f = fixtureFile(folder, 'ae-layer-6.pt');
  const enc = get(f, 'encoder.weight');
  const [h, n] = enc.shape as [number, number];
  const isTopK = f.values.get('activation') === 'TopK';
  const norm = isTopK ? layerNorm(x, rows, n) : { x, stats: null };
  const pre = linear(minus(norm.x, rows, n, get(f, 'pre_bias').v), rows, n, enc.v, h, true, get(f, 'latent_bias').v);
  const codes = isTopK ? relu(topk(pre, rows, h, f.values.get('activation_state_dict.k') as number)) : relu(pre);
  const out = linear(codes, rows, h, get(f, 'decoder.weight').v, n, true, get(f, 'pre_bias').v);
  if (norm.stats) for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) out[r * n + i] = out[r * n + i]! * norm.stats[r]![1] + norm.stats[r]![0];
  return { codes, reconstruction: out, h };
}
