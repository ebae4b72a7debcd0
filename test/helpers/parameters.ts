/**
 * What the backend tests share about parameters: seeded random parameters and inputs, and small
 * conversions for comparing a session's float32 values with the float64 reference.
 */
import type { LayerShape, LossTerms, ParameterName, Parameters } from '../../src/backends/types.js';
import { mulberry32, randomArray, type Rng } from './random.js';

// the names and their order are the backends' (one place: src/backends/types.ts)
export { PARAMETER_NAMES } from '../../src/backends/types.js';

/** √(6 / (n + h + 1)): the half-width of the model's own weight initialisation (src/model/initialization.ts). */
export function initLimit(shape: LayerShape): number {
  const { inputSize: n, hiddenSize: h } = shape;
  return Math.sqrt(6 / (n + h + 1));
}

export interface ParameterRanges {
  /** Weights are uniform in ±weightLimit; default initLimit(shape). */
  weightLimit?: number;
  /** Biases are uniform in ±biasLimit; default 0.2 (non-zero, unlike the model's init, so they matter). */
  biasLimit?: number;
}

/**
 * Random parameters drawn from `rng` in the order W1, b1, W2, b2.
 *
 * @example
 * const wide = randomParameters(mulberry32(1), shape, { weightLimit: 2 * initLimit(shape), biasLimit: 0.5 });
 */
export function randomParameters(rng: Rng, shape: LayerShape, ranges: ParameterRanges = {}): Parameters {
  const { inputSize: n, hiddenSize: h } = shape;
  const limit = ranges.weightLimit ?? initLimit(shape);
  const bias = ranges.biasLimit ?? 0.2;
  return {
    W1: randomArray(rng, n * h, -limit, limit),
    b1: randomArray(rng, h, -bias, bias),
    W2: randomArray(rng, h * n, -limit, limit),
    b2: randomArray(rng, n, -bias, bias),
  };
}

/** Parameters (randomParameters) and then `rows` rows of data in [0, 1), both from one generator seeded with `seed`. */
export function randomParametersAndData(
  seed: number,
  shape: LayerShape,
  rows: number,
  ranges: ParameterRanges = {},
): { params: Parameters; x: Float32Array } {
  const rng = mulberry32(seed);
  const params = randomParameters(rng, shape, ranges);
  return { params, x: randomArray(rng, rows * shape.inputSize) };
}

/** A set of four arrays (float64 reference parameters, moments) as float32 Parameters. */
export function toFloat32Parameters(p: Record<ParameterName, ArrayLike<number>> & Record<string, ArrayLike<number>>): Parameters {
  // every parameter the architecture declares (the dictionary's four, and e.g. jumprelu's θ)
  return Object.fromEntries(Object.entries(p).map(([name, values]) => [name, Float32Array.from(values)])) as Parameters;
}

/** The loss terms as one array, to compare with expectAllClose. */
export function termsArray(t: LossTerms): number[] {
  return [t.loss, t.reconstruction, t.weightDecay, t.sparsity];
}

/** Rows of x (n values each) picked by `indices`, in that order. */
export function gatherRows(x: Float32Array, n: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * n);
  for (let i = 0; i < indices.length; i++) out.set(x.subarray(indices[i]! * n, (indices[i]! + 1) * n), i * n);
  return out;
}
