/**
 * What every format reader turns its files into (ImportedSae), the weight folds the formats need
 * (each written once, here), and the model state an imported SAE becomes.
 *
 * edge-sae's linear SAEs compute z = (x − b2)·W1 + b1 (W1 [n×h], W2 [h×n]); relu, topk and
 * jumprelu as SAELens' standard, topk and jumprelu (docs/ARCHITECTURES.md). Whatever a source does
 * differently is folded into the weights here, in float64 arithmetic on the float32 values, each
 * result rounded to float32 once.
 */
import { TensorFileError } from '../errors.js';
import { toFloat32 } from '../formats/convert.js';
import { describeTensor, FLOAT_DTYPES, type Tensor } from '../formats/tensor.js';
import { DEFAULT_TRAINING_OPTIONS, resolveModelConfig } from '../model/config.js';
import { isOwnedTensor } from './files.js';
import type { ModelState } from '../model/model-file.js';
import type { RowNormalization } from '../model/normalization.js';
import type { SourceMetadata } from '../model/source-metadata.js';

export type ImportedArchitecture = 'relu' | 'topk' | 'jumprelu' | 'gated';

export interface ImportedSae {
  readonly architecture: ImportedArchitecture;
  /** topk: codes kept per row. */
  readonly k?: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /**
   * W1 [n×h], b1 [h], W2 [h×n], b2 [n], jumprelu's theta [h], gated's r_mag and b_mag [h] (its b1
   * is b_gate): float32, folds applied.
   */
  readonly parameters: { W1: Float32Array; b1: Float32Array; W2: Float32Array; b2: Float32Array; theta?: Float32Array; r_mag?: Float32Array; b_mag?: Float32Array };
  readonly rowNormalization: RowNormalization | null;
  readonly source: SourceMetadata;
  /** The source's log10 feature density [h], when it ships one (SAELens' sparsity.safetensors). */
  readonly logFeatureDensity?: Float32Array;
}

/**
 * A float tensor's values as float32 (F64 rounds once; docs/FORMATS.md), checked: a float dtype,
 * finite (−∞ let through when `allowNegativeInfinity`: a log10 of 0).
 */
export function floatValues(tensor: Tensor, file: string, options: { allowNegativeInfinity?: boolean } = {}): Float32Array {
  if (!FLOAT_DTYPES.has(tensor.dtype)) throw new TensorFileError(tensor.name, `must be a floating-point tensor, got ${describeTensor(tensor)}`, file);
  const values = toFloat32(tensor, file);
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k]!) && !(options.allowNegativeInfinity && values[k] === -Infinity)) throw new TensorFileError(tensor.name, `holds ${values[k]} at index ${k}; an SAE's weights must be finite`, file);
  }
  // The folds write into the values: a copy, unless they are already a copy (bf16, f16, f64
  // widened) or lie in a file the importer owns and no other value handed out shares those bytes
  // (a torch checkpoint's tensors may share a storage), where the view is used as it is.
  if (values.buffer !== tensor.bytes.buffer) return values;
  if (isOwnedTensor(tensor) && claimBytes(values)) return values;
  return values.slice();
}

/** The byte ranges of owned files already handed out as values, per buffer. */
const CLAIMED = new WeakMap<ArrayBufferLike, [number, number][]>();

/** Claims a view's bytes for one parameter: false when another claimed value overlaps them. */
function claimBytes(view: Float32Array): boolean {
  const begin = view.byteOffset;
  const end = begin + view.byteLength;
  const claimed = CLAIMED.get(view.buffer) ?? [];
  if (claimed.some(([b, e]) => begin < e && b < end)) return false;
  claimed.push([begin, end]);
  CLAIMED.set(view.buffer, claimed);
  return true;
}

/**
 * A matrix tensor as row-major [rows × cols]: stored so (`transposed` false) or as its transpose
 * [cols × rows] (torch's nn.Linear weight [out, in]), checked against the expected shape.
 */
export function matrix(tensor: Tensor, file: string, rows: number, cols: number, transposed: boolean, sizes: string): Float32Array {
  const want = transposed ? [cols, rows] : [rows, cols];
  if (tensor.shape.length !== 2 || tensor.shape[0] !== want[0] || tensor.shape[1] !== want[1]) {
    throw new TensorFileError(`${tensor.name}.shape`, `must be [${want.join(', ')}] (${sizes}), got ${describeTensor(tensor)}`, file);
  }
  const values = floatValues(tensor, file);
  if (!transposed) return values;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < cols; i++) for (let j = 0; j < rows; j++) out[j * cols + i] = values[i * rows + j]!;
  return out;
}

/** A vector tensor of `length` values (a scalar broadcast when `scalar` allows it). */
export function vector(tensor: Tensor, file: string, length: number, sizes: string, options: { allowNegativeInfinity?: boolean } = {}): Float32Array {
  if (tensor.shape.length !== 1 || tensor.shape[0] !== length) {
    throw new TensorFileError(`${tensor.name}.shape`, `must be [${length}] (${sizes}), got ${describeTensor(tensor)}`, file);
  }
  return floatValues(tensor, file, options);
}

/** The two sizes of an encoder weight: W_enc [n, h] (`transposed` false) or encoder.weight [h, n]. */
export function sizesOf(tensor: Tensor, file: string, transposed: boolean): { n: number; h: number } {
  if (tensor.shape.length !== 2 || tensor.shape[0] === 0 || tensor.shape[1] === 0) {
    throw new TensorFileError(`${tensor.name}.shape`, `must be a non-empty matrix, got ${describeTensor(tensor)}`, file);
  }
  const [a, b] = tensor.shape as [number, number];
  return transposed ? { n: b, h: a } : { n: a, h: b };
}

/** A config's size that must agree with the tensors (d_in, d_sae, …): refused naming both when not. */
export function checkSize(configFile: string, field: string, declared: number | undefined, actual: number, what: string): void {
  if (declared !== undefined && declared !== actual) {
    throw new TensorFileError(field, `is ${declared}, but the weights have ${actual} ${what}`, configFile);
  }
}

type Params = ImportedSae['parameters'];

/**
 * The input is not centred on b_dec before encoding (SAELens apply_b_dec_to_input = false, Gemma
 * Scope, Llama Scope): x·W_enc + b_enc = (x − b_dec)·W_enc + (b_enc + b_dec·W_enc), so b1 takes b_dec·W1.
 * Gated's magnitude path x·(W_enc ⊙ exp(r_mag)) + b_mag likewise: b_mag takes (b_dec·W1) ⊙ exp(r_mag).
 */
export function foldUncentredInput(p: Params, n: number, h: number): void {
  const add = new Float64Array(h);
  for (let i = 0; i < n; i++) {
    const b = p.b2[i]!;
    if (b === 0) continue;
    for (let j = 0; j < h; j++) add[j]! += b * p.W1[i * h + j]!;
  }
  for (let j = 0; j < h; j++) p.b1[j] = p.b1[j]! + add[j]!;
  if (p.r_mag && p.b_mag) for (let j = 0; j < h; j++) p.b_mag[j] = p.b_mag[j]! + add[j]! * Math.exp(p.r_mag[j]!);
}

/**
 * Codes scaled by the decoder rows' norms (SAELens topk rescale_acts_by_decoder_norm,
 * dictionary_learning's AutoEncoder.from_pretrained normalize_decoder): z_j·‖W_dec[j]‖ is z with
 * W1's column j and b1[j] (and θ_j) multiplied by the norm, and the decoder row divided by it
 * (SAELens' _fold_norm_topk, sae_lens/saes/topk_sae.py; dictionary_learning's normalize_decoder).
 */
export function foldDecoderNorms(p: Params, n: number, h: number): void {
  for (let j = 0; j < h; j++) {
    let squares = 0;
    for (let i = 0; i < n; i++) squares += p.W2[j * n + i]! ** 2;
    const norm = Math.sqrt(squares);
    if (norm === 0) continue; // a unit with a zero decoder row: torch divides to NaN; its codes are 0 × anything here
    for (let i = 0; i < n; i++) {
      p.W1[i * h + j] = p.W1[i * h + j]! * norm;
      p.W2[j * n + i] = p.W2[j * n + i]! / norm;
    }
    p.b1[j] = p.b1[j]! * norm;
    if (p.theta) p.theta[j] = p.theta[j]! * norm;
    if (p.b_mag) p.b_mag[j] = p.b_mag[j]! * norm; // gated: as SAELens' GatedSAE.fold_W_dec_norm (r_mag unchanged)
  }
}

/**
 * An input scaled by a constant s before the SAE, folded as SAELens' fold_activation_norm_scaling_factor
 * (sae_lens/saes/sae.py): W_enc·s, W_dec / s, b_dec / s.
 */
export function foldInputScale(p: Params, s: number): void {
  for (let k = 0; k < p.W1.length; k++) p.W1[k] = p.W1[k]! * s;
  for (let k = 0; k < p.W2.length; k++) p.W2[k] = p.W2[k]! / s;
  for (let k = 0; k < p.b2.length; k++) p.b2[k] = p.b2[k]! / s;
}

/**
 * relu(z)·H(z − θ) (SAELens' and Gemma Scope's JumpReLU) is z·H(z − max(θ, 0)) (edge-sae's): a
 * negative threshold lets nothing more through than 0 does.
 */
export function clampThresholds(theta: Float32Array): Float32Array {
  for (let j = 0; j < theta.length; j++) if (theta[j]! < 0) theta[j] = 0;
  return theta;
}

/** The model state of an imported SAE: its config resolved as a model's, normalisation none. */
export function toModelState(sae: ImportedSae): ModelState {
  const shape = { inputSize: sae.inputSize, hiddenSize: sae.hiddenSize };
  const config = resolveModelConfig(sae.inputSize, {
    architecture: sae.architecture,
    hiddenSize: sae.hiddenSize,
    normalize: 'none',
    ...(sae.k !== undefined ? { k: sae.k } : {}),
  });
  const { W1, b1, W2, b2, theta, r_mag, b_mag } = sae.parameters;
  return {
    shape,
    config,
    normalization: { kind: 'none' },
    parameters: { W1, b1, W2, b2, ...(theta ? { theta } : {}), ...(r_mag && b_mag ? { r_mag, b_mag } : {}) },
    training: { ...DEFAULT_TRAINING_OPTIONS, epochsCompleted: 0 },
    trainedWith: sae.source.library,
    optimizerState: null,
    metrics: null,
    lossHistory: [],
    ...(sae.rowNormalization ? { rowNormalization: sae.rowNormalization } : {}),
    source: sae.source,
    ...(sae.logFeatureDensity ? { logFeatureDensity: sae.logFeatureDensity } : {}),
  };
}
