/**
 * A model state with its weight matrices in another dtype (./weight-dtype.ts): what
 * `model.withWeightDtype`, `model.toBinaryFile({ dtype })` and `edge-sae convert --dtype` do.
 *
 * Narrowing (f32 → bf16 → int8) rounds the weights; widening to f32 is exact (the f32 model
 * computes with the very values the narrow one did). A bf16 or int8 model keeps no optimizer
 * state: it cannot train, so Adam's moments would be dead weight (and n·h·8 bytes); a model
 * converted back to f32 trains on from fresh moments.
 */
import { outputWidth } from '../architectures/contract.js';
import type { ModelState } from './model-file.js';
import { narrowMatrix, UNIT_AXIS, widenMatrix, type WeightDtype } from './weight-dtype.js';

export function convertWeightDtype(state: ModelState, dtype: WeightDtype): ModelState {
  const current = state.stored?.dtype ?? 'f32';
  if (current === dtype) return state;
  const { inputSize: n, hiddenSize: h } = state.shape;
  const out = outputWidth(state.shape); // a transcoder's W_dec is [h, d_out]
  const { stored: _stored, ...rest } = state;
  if (dtype === 'f32') return { ...rest, stored: null };
  // From the float32 values (the widened ones, for a bf16 or int8 model).
  const W1 = narrowMatrix(state.parameters.W1, n, h, dtype, UNIT_AXIS.W1, 'encoder.weight');
  const W2 = narrowMatrix(state.parameters.W2, h, out, dtype, UNIT_AXIS.W2, 'decoder.weight');
  return {
    ...rest,
    parameters: { ...state.parameters, W1: widenMatrix(W1, n, h, UNIT_AXIS.W1), W2: widenMatrix(W2, h, out, UNIT_AXIS.W2) },
    optimizerState: null,
    stored: { dtype, W1, W2 },
  };
}
