/**
 * The relu and topk references under one name, for the callers (the tests) that read them side by
 * side: each architecture's reference is its own file (relu-reference.ts, topk-reference.ts, with
 * what they share in linear-dictionary-reference.ts); this module only dispatches on the
 * architecture and re-exports.
 */
import type { Architecture, LayerShape, LossConfig } from '../backends/types.js';
import type { LinearLossState, Params } from './linear-dictionary-reference.js';
import { reluCodes, reluForward, reluGradients, reluLoss } from './relu-reference.js';
import { topkCodes, topkForward, topkGradients, topkLoss } from './topk-reference.js';

export { decoderNorms, linearDecode, preActivations, residualOf, topMask, updateStepsSinceFired, type LinearLossState } from './linear-dictionary-reference.js';
export { auxCodes, deadMask, renormalizeDecoder } from './topk-reference.js';

/** The codes a of pre-activations z: max(z, 0), and for topk only where kept. */
export function codes(z: Float64Array, rows: number, h: number, architecture: Architecture): Float64Array {
  return architecture.architecture === 'topk' ? topkCodes(z, rows, h, architecture.k) : reluCodes(z);
}

/** Pre-activations, codes and outputs of the relu or topk model. */
export function linearForward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, architecture: Architecture) {
  return architecture.architecture === 'topk' ? topkForward(p, x, rows, shape, architecture.k) : reluForward(p, x, rows, shape);
}

/** The loss terms and ρ̂ of the relu or topk model (the loss's architecture). */
export function linearLoss(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState = {}) {
  return loss.architecture === 'topk' ? topkLoss(p, x, rows, shape, loss, state) : reluLoss(p, x, rows, shape, loss);
}

/** The analytic gradient of linearLoss. */
export function linearGradients(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState = {}) {
  return loss.architecture === 'topk' ? topkGradients(p, x, rows, shape, loss, state) : reluGradients(p, x, rows, shape, loss);
}
