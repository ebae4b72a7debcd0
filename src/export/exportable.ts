/**
 * What an exporter needs of a model: its sizes, its parameters and its fitted input scaling,
 * and the arithmetic that moves the scaling into (or beside) the first layer. Exporters take
 * this plain value, not a model, so they work from a model file as well as from a live model.
 */
import { architectureModule } from '../architectures/registry.js';
import { architectureOf, type Architecture, type ArchitectureName, type LayerShape, type Parameters } from '../backends/types.js';
import { isTranscoderShape } from '../architectures/contract.js';
import { describeTranscoder } from '../architectures/transcoder.js';
import { ConfigError } from '../errors.js';
import { affineOf, type Normalization } from '../model/normalization.js';
import type { SparseAutoencoder } from '../model/sparse-autoencoder.js';

export interface ExportableModel {
  readonly shape: LayerShape;
  readonly parameters: Parameters;
  readonly normalization: Normalization;
  /** The forward pass the graph computes (absent: the sigmoid model). */
  readonly architecture?: Architecture;
}

export type ExportFormat = 'onnx' | 'tfjs';

/**
 * Whether `format` can hold the model's forward pass, as its architecture's module says: ONNX
 * every architecture (each module builds its graph; TopK's TopK and ScatterElements carry its
 * selection); a TF.js layers model only the architectures with a Dense-layer plan (sigmoid, relu),
 * the others refused with their module's reason, not mis-exported (TopK: no built-in TF.js layer
 * keeps each row's k largest values, and a custom layer would have to be registered by every
 * program that loads the model).
 */
export function checkExportable(architecture: ArchitectureName, format: ExportFormat): void {
  const plan = architectureModule(architecture).tfjsLayers;
  if (format === 'tfjs' && plan.kind === 'refused') throw new ConfigError('config.architecture', plan.reason);
}

/** The parts of a trained model that an export holds (a copy of its parameters). */
export function exportableModel(model: SparseAutoencoder, format: ExportFormat = 'onnx'): ExportableModel {
  checkExportable(model.config.architecture, format);
  if (isTranscoderShape(model.shape)) {
    // the graphs here write a decoder of n outputs and no skip term: a transcoder would be mis-exported
    throw new ConfigError('transcoder', `this model is a transcoder (${describeTranscoder(model.shape)}), which the ${format === 'onnx' ? 'ONNX' : 'TF.js'} export does not write yet`);
  }
  if (model.rowNormalization !== null) {
    // ONNX and TF.js graphs here apply a per-feature scaling only; a per-row one would be silently lost
    throw new ConfigError('normalization.perRow', `is "${model.rowNormalization}" (an imported SAE's per-row input normalisation), which the ${format === 'onnx' ? 'ONNX' : 'TF.js'} export does not write yet; export it to its library's format instead (exportSae, docs/IMPORT.md)`);
  }
  const normalization = model.inputNormalization;
  if (normalization === null) {
    throw new Error('cannot export a model before it has been trained: its normalisation is fitted on the training data');
  }
  return { shape: model.shape, parameters: model.getParameters(), normalization, architecture: architectureOf(model.config) };
}

/**
 * The per-feature affine map of the model's input scaling, x_norm = (x − offset) · scale, as
 * normalize() computes it (scale 0 for a constant feature). `null` for normalize "none".
 */
export interface InputScaling {
  readonly offset: Float32Array;
  /** 1 / range in float64, rounded to float32. */
  readonly scale: Float32Array;
  /** max − min (minmax) or the standard deviation (standardize), in float64, rounded to float32: what denormalize multiplies by. */
  readonly range: Float32Array;
}

export function inputScaling(norm: Normalization): InputScaling | null {
  if (norm.kind === 'none') return null;
  const n = norm.kind === 'minmax' ? norm.min.length : norm.mean.length;
  const offset = new Float32Array(n);
  const scale = new Float32Array(n);
  const range = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const [o, r] = affineOf(norm, j);
    offset[j] = o;
    range[j] = r;
    scale[j] = r > 0 ? 1 / r : 0;
  }
  return { offset, scale, range };
}

/**
 * Whether the scaling can be folded into the first layer's weights without losing float32
 * precision. Folded, the layer computes Σ_j x_j·(s_j·W_jk) + (b_k − Σ_j m_j·s_j·W_jk): with
 * |m_j| ≤ max_j − m_j (each feature's offset no larger than its range, true of data starting at 0
 * or straddling it), every term is at most about twice the unfolded one's on inputs in the
 * training range, so rounding errors stay of the same size. A large offset (data in [1000, 1001])
 * would make the folded terms cancel, so such a model keeps the scaling as its own step.
 */
export function canFoldScaling(scaling: InputScaling): boolean {
  for (let j = 0; j < scaling.offset.length; j++) {
    if (Math.abs(scaling.offset[j]!) * scaling.scale[j]! > 1) return false;
  }
  return true;
}

/** Where an export puts the input scaling: nowhere (normalize "none"), folded into the first layer, or as its own step. */
export type ScalingPlacement = 'none' | 'folded' | 'separate';

/** The model's scaling and where an export puts it (folded when canFoldScaling says it may). */
export function placeScaling(norm: Normalization): { scaling: InputScaling | null; placement: ScalingPlacement } {
  const scaling = inputScaling(norm);
  return { scaling, placement: scaling === null ? 'none' : canFoldScaling(scaling) ? 'folded' : 'separate' };
}

/** The first layer with the scaling folded in (float64 arithmetic, rounded once to float32). */
export function foldScaling(
  scaling: InputScaling,
  { W1, b1 }: Pick<Parameters, 'W1' | 'b1'>,
  { inputSize: n, hiddenSize: h }: LayerShape,
): { weight: Float32Array; bias: Float32Array } {
  const weight = new Float32Array(n * h);
  const shift = new Float64Array(h);
  for (let j = 0; j < n; j++) {
    const s = scaling.scale[j]!;
    const m = scaling.offset[j]!;
    for (let k = 0; k < h; k++) {
      const w = s * W1[j * h + k]!;
      weight[j * h + k] = w;
      shift[k] = shift[k]! + m * w;
    }
  }
  const bias = new Float32Array(h);
  for (let k = 0; k < h; k++) bias[k] = b1[k]! - shift[k]!;
  return { weight, bias };
}
