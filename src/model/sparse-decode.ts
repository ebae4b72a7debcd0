/**
 * What turns the decoder's sum b2 + a·W2 into the output: σ for a model without a linear decoder
 * (sigmoid), nothing for the dictionary SAEs; then the inverse of the input scaling. Shared by the
 * library's decodeSparse and the Worker's ranged sparse decode, so both answer as `decode` does.
 */
import { denormalize, type Normalization } from './normalization.js';

export function decoderOutput(sums: Float32Array, rows: number, inputSize: number, linear: boolean, normalization: Normalization): Float32Array {
  if (!linear) for (let e = 0; e < sums.length; e++) sums[e] = 1 / (1 + Math.exp(-sums[e]!));
  return denormalize(normalization, sums, rows, inputSize);
}
