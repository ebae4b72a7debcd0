/** What the pictures need out of a model: W1 and the loss history. */
import type { ModelState } from '../model/model-file.js';
import type { EncoderWeights } from './filters.js';

/** W1 and the loss history of a checked model (readModelBytes or readModelFile give one). */
export function encoderWeightsOf(state: ModelState): EncoderWeights & { lossHistory: number[] } {
  return {
    inputSize: state.shape.inputSize,
    hiddenSize: state.shape.hiddenSize,
    weights: state.parameters.W1,
    lossHistory: state.lossHistory,
  };
}
