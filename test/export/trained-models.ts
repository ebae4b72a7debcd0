/**
 * Small trained models for the export tests, one per way the input scaling can end up in a graph:
 * minmax that folds into the first layer (data from about 0, as MNIST pixels, with constant
 * columns), minmax that does not (a large offset), and normalize "none"; the sigmoid model's, and
 * relu's (RELU_CASES), whose b_dec folds into the first layer as well.
 */
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { NormalizationKind } from '../../src/model/config.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

export interface TrainedCase {
  readonly label: string;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** The training data's value range (fresh rows for checks are drawn from it). */
  readonly lo: number;
  readonly hi: number;
  readonly normalize: NormalizationKind;
  /** Columns that are constant (0) in the training data. */
  readonly constantColumns?: number;
  readonly scaling: 'folded' | 'separate' | 'none';
  /** Default sigmoid. */
  readonly architecture?: 'sigmoid' | 'relu';
}

export const CASES: readonly TrainedCase[] = [
  { label: '16 → 48, data in [0, 5)', inputSize: 16, hiddenSize: 48, lo: 0, hi: 5, normalize: 'minmax', scaling: 'folded' },
  { label: '784 → 196, pixels in [0, 255) with constant columns', inputSize: 784, hiddenSize: 196, lo: 0, hi: 255, normalize: 'minmax', constantColumns: 40, scaling: 'folded' },
  { label: '16 → 48, data in [1000, 1010)', inputSize: 16, hiddenSize: 48, lo: 1000, hi: 1010, normalize: 'minmax', scaling: 'separate' },
  { label: '16 → 48, normalize none', inputSize: 16, hiddenSize: 48, lo: 0, hi: 1, normalize: 'none', scaling: 'none' },
];

/** relu models (λ = 0.01): data straddling 0 and from 0, a large offset, normalize none; two of them bigger. */
export const RELU_CASES: readonly TrainedCase[] = [
  { label: 'relu 16 → 48, data in [-3, 3)', inputSize: 16, hiddenSize: 48, lo: -3, hi: 3, normalize: 'minmax', scaling: 'folded', architecture: 'relu' },
  { label: 'relu 784 → 196, pixels in [0, 255) with constant columns', inputSize: 784, hiddenSize: 196, lo: 0, hi: 255, normalize: 'minmax', constantColumns: 40, scaling: 'folded', architecture: 'relu' },
  { label: 'relu 16 → 48, data in [1000, 1010)', inputSize: 16, hiddenSize: 48, lo: 1000, hi: 1010, normalize: 'minmax', scaling: 'separate', architecture: 'relu' },
  { label: 'relu 16 → 48, normalize none, data in [-2, 2)', inputSize: 16, hiddenSize: 48, lo: -2, hi: 2, normalize: 'none', scaling: 'none', architecture: 'relu' },
  { label: 'relu 128 → 512, normalize none, data in [-1, 1)', inputSize: 128, hiddenSize: 512, lo: -1, hi: 1, normalize: 'none', scaling: 'none', architecture: 'relu' },
  { label: 'relu 16 → 48, normalize none, data in [1000, 1001)', inputSize: 16, hiddenSize: 48, lo: 1000, hi: 1001, normalize: 'none', scaling: 'none', architecture: 'relu' },
  { label: 'relu 16 → 48, standardize, data in [-3, 3)', inputSize: 16, hiddenSize: 48, lo: -3, hi: 3, normalize: 'standardize', scaling: 'folded', architecture: 'relu' },
  { label: 'relu 16 → 48, standardize, data in [1000, 1010)', inputSize: 16, hiddenSize: 48, lo: 1000, hi: 1010, normalize: 'standardize', scaling: 'separate', architecture: 'relu' },
];

/** Rows in the case's range (its constant columns 0), from `seed`. */
export function rowsFor(c: TrainedCase, rows: number, seed: number): { rows: number; cols: number; data: Float32Array } {
  const m = randomMatrix(mulberry32(seed), rows, c.inputSize, c.lo, c.hi);
  for (let i = 0; i < rows; i++) for (let j = 0; j < (c.constantColumns ?? 0); j++) m.data[i * c.inputSize + j] = 0;
  return m;
}

/** A model of the case trained for a few epochs (enough to move every weight off its start). */
export async function trainedModel(c: TrainedCase): Promise<SparseAutoencoder> {
  const { backend } = await loadNodeBackend('assemblyscript');
  const relu = c.architecture === 'relu' ? { architecture: 'relu' as const, sparsityWeight: 0.01 } : {};
  const model = SparseAutoencoder.create(c.inputSize, { hiddenSize: c.hiddenSize, normalize: c.normalize, ...relu }, backend, { seed: 5 });
  model.fit(rowsFor(c, 128, 1), { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 5 });
  return model;
}
