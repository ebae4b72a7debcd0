/**
 * Transcoders and skip connections on the dictionary SAEs (relu, topk, jumprelu): the encoder is
 * theirs, the decoder writes d_out values (LayerShape.outputSize, when d_out ≠ n) and the output
 * may add x·W_skip (LayerShape.skip). As SAELens' Transcoder / SkipTranscoder /
 * JumpReLUTranscoder (sae_lens/saes/transcoder.py) and sparsify's `transcode` and
 * `skip_connection` (sparsify/sparse_coder.py). Inference only: the training losses compare the
 * output with the input, which a transcoder's output is not.
 */
import type { LayerShape } from './contract.js';

/** The architectures whose encoder and linear decoder a transcoder shape applies to. */
export const TRANSCODER_ARCHITECTURES: readonly string[] = ['relu', 'topk', 'jumprelu'];

/** A shape's transcoder fields, only those present (to copy them onto another shape). */
export function transcoderPart(shape: LayerShape): Pick<LayerShape, 'outputSize' | 'skip'> {
  return { ...(shape.outputSize !== undefined ? { outputSize: shape.outputSize } : {}), ...(shape.skip === true ? { skip: true } : {}) };
}

/** A problem of a transcoder shape (outputSize, skip) for `architecture`, or null (none, or a good one). */
export function transcoderShapeProblem(architecture: string, shape: LayerShape): string | null {
  const { outputSize, skip } = shape;
  if (outputSize === undefined && skip === undefined) return null;
  if (outputSize !== undefined) {
    if (!Number.isSafeInteger(outputSize) || outputSize < 1) return `outputSize must be a whole number ≥ 1 (a transcoder's d_out), got ${String(outputSize)}`;
    if (outputSize === shape.inputSize) return `outputSize is ${outputSize}, the inputSize: give it only for a transcoder whose d_out differs from d_in (omit it otherwise)`;
  }
  if (skip !== undefined && typeof skip !== 'boolean') return `skip must be true or false (W_skip), got ${String(skip)}`;
  if (!TRANSCODER_ARCHITECTURES.includes(architecture)) {
    return `a transcoder (outputSize, or a W_skip) takes the ${TRANSCODER_ARCHITECTURES.join(', ')} architectures, not "${architecture}"`;
  }
  return null;
}

/** A transcoder shape in words: "d_in 6 → d_out 4, with W_skip". */
export function describeTranscoder(shape: LayerShape): string {
  const out = shape.outputSize ?? shape.inputSize;
  return `d_in ${shape.inputSize} → d_out ${out}${shape.skip === true ? ', with W_skip' : ''}`;
}

/** Why a model of this shape cannot be trained (a transcoder or a W_skip), or null. */
export function transcoderTrainingRefusal(shape: LayerShape): string | null {
  if (shape.outputSize === undefined && shape.skip !== true) return null;
  const what = shape.outputSize !== undefined ? `a transcoder (d_out ${shape.outputSize}, d_in ${shape.inputSize})` : 'a model with a skip connection (W_skip)';
  return `this is ${what}, inference only: edge-sae encodes, decodes and runs forward imported transcoders, it does not train them`;
}
