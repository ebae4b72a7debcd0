/** Reading what the pictures need out of a model file, checked by the model file reader. */
import { readModelFile } from '../model/model-file.js';
import type { EncoderWeights } from './filters.js';

/**
 * W1 and the loss history of a parsed model file (any JSON value: it is validated, and a bad
 * file throws ModelFileError naming the field, with `source` in the message).
 */
export function encoderWeightsOf(file: unknown, source?: string): EncoderWeights & { lossHistory: number[] } {
  const state = readModelFile(file as Parameters<typeof readModelFile>[0], source);
  return {
    inputSize: state.shape.inputSize,
    hiddenSize: state.shape.hiddenSize,
    weights: state.parameters.W1,
    lossHistory: state.lossHistory,
  };
}
