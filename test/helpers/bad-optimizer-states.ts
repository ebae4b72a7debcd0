/**
 * JSON model files with impossible Adam state made from a good one, each with the field a reader
 * must name (issue 12 item 9: v ≥ 0, step a non-negative integer, m and v of the model's shapes).
 * Pure (no Node or Workers imports): the model and Worker tests use the same cases. The binary
 * file's cases are in bad-binary-models.ts.
 */

export interface BadOptimizerCase {
  what: string;
  file: Record<string, any>;
  /** The ModelFileError field. */
  field: string;
}

/**
 * From the parsed JSON file of a model with Adam's state whose decoder.weights has at least 2
 * rows and 3 columns (hiddenSize ≥ 2, inputSize ≥ 3), and inputSize ≠ hiddenSize.
 */
export function badOptimizerStates(good: Record<string, any>): BadOptimizerCase[] {
  if (!good.optimizerState) throw new Error('badOptimizerStates: the file has no optimizerState');
  const edit = (what: string, field: string, change: (state: Record<string, any>) => void): BadOptimizerCase => {
    const file = structuredClone(good);
    change(file.optimizerState);
    return { what, file, field };
  };
  return [
    edit('a negative second moment in a matrix', 'optimizerState.v.decoder.weights[1][2]', (s) => void (s.v.decoder.weights[1][2] = -1e-3)),
    edit('a negative second moment in a bias', 'optimizerState.v.encoder.bias[0]', (s) => void (s.v.encoder.bias[0] = -1e-30)),
    edit('a fractional step', 'optimizerState.step', (s) => void (s.step = 2.5)),
    edit('a negative step', 'optimizerState.step', (s) => void (s.step = -1)),
    edit('a step as text', 'optimizerState.step', (s) => void (s.step = '3')),
    edit('m with a row too few', 'optimizerState.m.encoder.weights', (s) => void s.m.encoder.weights.pop()),
    edit('m with a row too short', 'optimizerState.m.decoder.weights[1]', (s) => void s.m.decoder.weights[1].pop()),
    edit('v with a bias too long', 'optimizerState.v.decoder.bias', (s) => void s.v.decoder.bias.push(0)),
    edit('v with the encoder and decoder swapped', 'optimizerState.v.encoder.weights', (s) => void ([s.v.encoder, s.v.decoder] = [s.v.decoder, s.v.encoder])),
    edit('m missing', 'optimizerState.m', (s) => void delete s.m),
  ];
}
