/**
 * The model as a TensorFlow.js layers model: a `model.json` (Keras topology + weights manifest)
 * and one binary weights file, which `tf.loadLayersModel` loads. A Sequential model:
 *
 *   sigmoid encoder:  [BatchNormalization "input_scaling"] ─ Dense "encoder" (sigmoid)        → codes
 *   sigmoid whole:    … ─ Dense "decoder" (sigmoid) ─ [BatchNormalization "output_scaling"]   → reconstruction
 *   relu encoder:     [BatchNormalization "input_scaling" | "input_centring"] ─ Dense "encoder" (relu) → codes
 *   relu whole:       … ─ Dense "decoder" (linear)                                            → reconstruction
 *
 * relu with minmax scaling: b_dec, subtracted before encoding, folds into the encoder's bias (in
 * the scaled units, where b_dec and the inputs both lie about [0, 1], so nothing cancels), and the
 * way back to the caller's scale into the linear decoder's kernel and bias
 * (src/export/fold-linear.ts). With normalize "none" b_dec is subtracted by its own layer
 * ("input_centring"). TopK is refused (checkExportable): no built-in layer keeps each row's k
 * largest codes.
 *
 * The input scaling folds into the encoder's kernel and bias where that keeps float32 precision
 * (see canFoldScaling), as in the ONNX export. Where it does not, and for the whole model's way
 * back to the caller's scale, per-feature scaling is a BatchNormalization layer used as a plain
 * affine map: moving variance 1 and epsilon 0 make it (x − moving_mean) · gamma + beta exactly;
 * tfjs has no per-feature scaling layer of its own (Rescaling takes one scalar).
 *
 * Written by hand: the format is a JSON document and raw little-endian float32 bytes, and
 * building it through tfjs-layers would need a tfjs backend and a tensor copy of every weight.
 * The test loads the result with tfjs-layers itself.
 */
import type { TfjsLayersPlan } from '../architectures/contract.js';
import { architectureModule } from '../architectures/registry.js';
import { checkExportable, foldScaling, placeScaling, type ExportableModel, type InputScaling, type ScalingPlacement } from './exportable.js';
import { float32LittleEndian } from '../data/float32-bytes.js';
import { foldLinearDecoder, foldLinearEncoder } from './fold-linear.js';

export interface TfjsExportOptions {
  /** Export the whole autoencoder (output: the reconstruction), not only the encoder (output: codes). */
  whole?: boolean;
  /** The weights file's name as model.json refers to it (default "weights.bin"). */
  weightsFileName?: string;
}

export interface TfjsLayersExport {
  /** The model.json document (JSON.stringify it). */
  modelJson: TfjsModelJson;
  /** The weights file's bytes, in the order the manifest lists them. */
  weightData: Uint8Array;
  weightsFileName: string;
  scaling: ScalingPlacement;
}

export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: { class_name: 'Sequential'; config: { name: string; layers: KerasLayer[] }; keras_version: string; backend: string };
  weightsManifest: [{ paths: [string]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }];
}

interface KerasLayer {
  class_name: 'Dense' | 'BatchNormalization';
  config: Record<string, unknown>;
}

interface Weight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Builds the model.json and weights of a layers model; see the file's comment for the layers. */
export function exportTfjsLayers(model: ExportableModel, options: TfjsExportOptions = {}): TfjsLayersExport {
  const architecture = model.architecture?.architecture ?? 'sigmoid';
  checkExportable(architecture, 'tfjs');
  // the architecture's module's plan (checkExportable refused the others): its encoder's activation, and a linear decoder (relu)
  const plan = architectureModule(architecture).tfjsLayers as Extract<TfjsLayersPlan, { kind: 'dense' }>;
  const linear = plan.linearDecoder;
  const { inputSize: n, hiddenSize: h } = model.shape;
  const { W1, b1, W2, b2 } = model.parameters;
  const { scaling, placement } = placeScaling(model.normalization);
  const layers: KerasLayer[] = [];
  const weights: Weight[] = [];
  const inputShape = () => (layers.length === 0 ? { batch_input_shape: [null, n] } : {});

  if (scaling !== null && placement === 'separate') {
    layers.push(affineLayer('input_scaling', inputShape()));
    weights.push(...affineWeights('input_scaling', { mean: scaling.offset, gamma: scaling.scale, beta: new Float32Array(n) }));
  }
  // relu, normalize "none": nothing bounds b_dec against the data's spread (an input dimension
  // around 1000 that varies by 1 has b_dec ≈ 1000), so folding it could cancel in float32 (1.9e-4
  // off encode at [1000, 1001)); it is its own step, x − b_dec exactly, as the kernels compute it.
  const centreApart = linear && scaling === null;
  if (centreApart) {
    layers.push(affineLayer('input_centring', inputShape()));
    weights.push(...affineWeights('input_centring', { mean: b2, gamma: new Float32Array(n).fill(1), beta: new Float32Array(n) }));
  }
  const encoder = encoderKernel(model, placement === 'folded' ? scaling : null, linear && !centreApart);
  layers.push(denseLayer('encoder', h, plan.encoderActivation, inputShape()));
  weights.push({ name: 'encoder/kernel', shape: [n, h], values: encoder.weight }, { name: 'encoder/bias', shape: [h], values: encoder.bias });

  if (options.whole && linear) {
    // A linear decoder takes the way back to the caller's scale into its own kernel and bias.
    const decoder = foldLinearDecoder(scaling, model.parameters, model.shape);
    layers.push(denseLayer('decoder', n, 'linear', {}));
    weights.push({ name: 'decoder/kernel', shape: [h, n], values: decoder.weight }, { name: 'decoder/bias', shape: [n], values: decoder.bias });
  } else if (options.whole) {
    layers.push(denseLayer('decoder', n, 'sigmoid', {}));
    weights.push({ name: 'decoder/kernel', shape: [h, n], values: W2 }, { name: 'decoder/bias', shape: [n], values: b2 });
    if (scaling !== null) {
      layers.push(affineLayer('output_scaling', {}));
      weights.push(...affineWeights('output_scaling', { mean: new Float32Array(n), gamma: scaling.range, beta: scaling.offset }));
    }
  }

  const weightsFileName = options.weightsFileName ?? 'weights.bin';
  const weightData = concat(weights.map((w) => float32LittleEndian(w.values)));
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'edge-sae',
      convertedBy: null,
      modelTopology: {
        class_name: 'Sequential',
        config: { name: options.whole ? 'edge_sae_autoencoder' : 'edge_sae_encoder', layers },
        keras_version: 'tfjs-layers 4.22.0',
        backend: 'tensor_flow.js',
      },
      weightsManifest: [{ paths: [weightsFileName], weights: weights.map(({ name, shape }) => ({ name, shape, dtype: 'float32' })) }],
    },
    weightData,
    weightsFileName,
    scaling: placement,
  };
}

/** The encoder's kernel and bias: W1 and b1, with the scaling folded in when `folded`, and relu's b_dec when `foldCentre`. */
function encoderKernel(model: ExportableModel, folded: InputScaling | null, foldCentre: boolean): { weight: Float32Array; bias: Float32Array } {
  if (foldCentre) return foldLinearEncoder(folded, model.parameters, model.shape);
  return folded === null ? { weight: model.parameters.W1, bias: model.parameters.b1 } : foldScaling(folded, model.parameters, model.shape);
}

function denseLayer(name: string, units: number, activation: 'sigmoid' | 'relu' | 'linear', extra: Record<string, unknown>): KerasLayer {
  return {
    class_name: 'Dense',
    config: { name, units, activation, use_bias: true, trainable: true, dtype: 'float32', ...extra },
  };
}

/** A BatchNormalization layer that computes (x − moving_mean) · gamma + beta (variance 1, epsilon 0). */
function affineLayer(name: string, extra: Record<string, unknown>): KerasLayer {
  return {
    class_name: 'BatchNormalization',
    config: { name, axis: -1, epsilon: 0, center: true, scale: true, trainable: false, dtype: 'float32', ...extra },
  };
}

function affineWeights(layer: string, { mean, gamma, beta }: { mean: Float32Array; gamma: Float32Array; beta: Float32Array }): Weight[] {
  const n = mean.length;
  return [
    { name: `${layer}/gamma`, shape: [n], values: gamma },
    { name: `${layer}/beta`, shape: [n], values: beta },
    { name: `${layer}/moving_mean`, shape: [n], values: mean },
    { name: `${layer}/moving_variance`, shape: [n], values: new Float32Array(n).fill(1) },
  ];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
