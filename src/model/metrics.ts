/**
 * The metrics reported after training and by evaluate (docs/SPEC.md section 2). The loss terms come
 * from the backend (the same kernels that train); the rest is computed here from a forward pass.
 */
import type { ForwardResult, LossTerms } from '../backends/types.js';

export interface Metrics extends LossTerms {
  /** Mean over hidden units of ρ̂_j, the unit's mean activation. */
  meanActivation: number;
  /**
   * Fraction of variance unexplained: Σ(y−x)² / Σ(x−x̄)², x̄ the per-feature mean (normalised
   * data); null when the data has no variance at all (a single row, or every column constant).
   */
  fvu: number | null;
  /** Hidden units whose activation never exceeds DEAD_UNIT_THRESHOLD on the data. */
  deadUnits: number;
  /** Rows the metrics were computed on. */
  rows: number;
}

export const DEAD_UNIT_THRESHOLD = 0.01;

/** Builds the metrics from the backend's loss terms and a forward pass over normalised data x. */
export function computeMetrics(
  terms: LossTerms,
  meanActivation: ArrayLike<number>,
  forward: ForwardResult,
  x: Float32Array,
  rows: number,
  inputSize: number,
  hiddenSize: number,
): Metrics {
  let meanOfMeans = 0;
  for (let j = 0; j < hiddenSize; j++) meanOfMeans += meanActivation[j]!;
  meanOfMeans /= hiddenSize;

  const featureMean = new Float64Array(inputSize);
  for (let i = 0; i < rows; i++) for (let j = 0; j < inputSize; j++) featureMean[j]! += x[i * inputSize + j]!;
  for (let j = 0; j < inputSize; j++) featureMean[j]! /= rows;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < inputSize; j++) {
      const k = i * inputSize + j;
      residual += (forward.output[k]! - x[k]!) ** 2;
      total += (x[k]! - featureMean[j]!) ** 2;
    }
  }
  const fvu = total > 0 ? residual / total : null;

  const peak = new Float32Array(hiddenSize);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < hiddenSize; j++) peak[j] = Math.max(peak[j]!, forward.hidden[i * hiddenSize + j]!);
  }
  let deadUnits = 0;
  for (let j = 0; j < hiddenSize; j++) if (peak[j]! <= DEAD_UNIT_THRESHOLD) deadUnits++;

  return { ...terms, meanActivation: meanOfMeans, fvu, deadUnits, rows };
}
