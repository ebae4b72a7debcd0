/** What the pictures need out of a model: W1 and the loss history (with its validation losses). */
import type { ModelState } from '../model/model-file.js';
import type { EncoderWeights } from './filters.js';

export interface ModelPictureData extends EncoderWeights {
  lossHistory: number[];
  /** Aligned with lossHistory, or null: the model was never trained with validationSplit. */
  validationHistory: (number | null)[] | null;
  /** The epoch early stopping kept, or null. */
  bestEpoch: number | null;
  /** The epoch of each lossHistory entry of a summarised history (src/model/history.ts), or null: entry k is epoch k + 1. */
  historyEpochs: number[] | null;
}

/** W1 and the loss history of a checked model (readModelBytes or readModelFile give one). */
export function encoderWeightsOf(state: ModelState): ModelPictureData {
  return {
    inputSize: state.shape.inputSize,
    hiddenSize: state.shape.hiddenSize,
    weights: state.parameters.W1,
    lossHistory: state.lossHistory,
    validationHistory: state.validationHistory ?? null,
    bestEpoch: state.bestEpoch ?? null,
    historyEpochs: state.historyEpochs ?? null,
  };
}
