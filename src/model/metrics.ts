/**
 * The metrics reported after training and by evaluate (docs/SPEC.md section 2). The loss terms come
 * from the backend (the same kernels that train); the rest is computed here from a forward pass.
 *
 * "Active" (one definition for l0, deadUnits, denseUnits and the firing frequency): a code is
 * active when it is > activeThreshold(architecture) — 0 for relu and TopK (their codes are
 * exactly 0 when off, and training's dead-unit bookkeeping calls a unit fired when a > 0), and
 * DEAD_UNIT_THRESHOLD (0.01) for sigmoid, whose codes σ(z) are never exactly 0. So a unit is dead
 * exactly when its firing frequency is 0, for every architecture.
 */
import { architectureModule } from '../architectures/registry.js';
import { SIGMOID_ACTIVE_THRESHOLD } from '../architectures/sigmoid/index.js';
import type { ArchitectureName, ForwardResult, LossTerms } from '../backends/types.js';

export interface Metrics extends LossTerms {
  /** Mean over hidden units of ρ̂_j, the unit's mean activation. */
  meanActivation: number;
  /**
   * Fraction of variance unexplained: Σ(y−x)² / Σ(x−x̄)², x̄ the per-feature mean (normalised
   * data); null when the data has no variance at all (a single row, or every column constant).
   */
  fvu: number | null;
  /** 1 − fvu; null when fvu is. */
  explainedVariance: number | null;
  /** Mean over rows of the number of active codes (see activeThreshold). */
  l0: number;
  /** Hidden units never active on the data (firing frequency 0). */
  deadUnits: number;
  /** Hidden units active on more than DENSE_UNIT_FREQUENCY of the rows. */
  denseUnits: number;
  /** Rows the metrics were computed on. */
  rows: number;
}

/** The metrics fields added after model files were first written: absent in older files' metrics. */
export type AddedMetricKeys = 'explainedVariance' | 'l0' | 'denseUnits';

/** Metrics as read from a model file: a file written before AddedMetricKeys existed lacks them. */
export type StoredMetrics = Omit<Metrics, AddedMetricKeys> & Partial<Pick<Metrics, AddedMetricKeys>>;

/** A sigmoid unit is active above this activation (and dead when it never is). */
export const DEAD_UNIT_THRESHOLD = SIGMOID_ACTIVE_THRESHOLD;

/**
 * A unit is dense when it is active on more than this fraction of the rows: the usual line for
 * "dense latents" in the SAE literature (e.g. Sun et al. 2025, "Dense SAE Latents Are Features,
 * Not Bugs", about latents firing on more than 10% of tokens).
 */
export const DENSE_UNIT_FREQUENCY = 0.1;

/** The activation a code must exceed to count as active, as its architecture's module says: 0 for relu and TopK, DEAD_UNIT_THRESHOLD for sigmoid. */
export function activeThreshold(architecture: ArchitectureName | undefined): number {
  return architectureModule(architecture).activeThreshold;
}

/**
 * Adds to `counts[j]` the rows of `hidden` ([rows×h]) where unit j is active (> threshold);
 * returns the number of active codes in all, Σ over rows of the row's L0.
 */
export function addFiringCounts(hidden: ArrayLike<number>, rows: number, h: number, threshold: number, counts: Float64Array): number {
  let active = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < h; j++) {
      if (hidden[i * h + j]! > threshold) {
        counts[j]! += 1;
        active++;
      }
    }
  }
  return active;
}

/** Per unit, the fraction of the `rows` rows it was active on, from addFiringCounts' counts. */
export function firingFrequencyOf(counts: Float64Array, rows: number): Float64Array {
  return counts.map((c) => c / rows);
}

/** deadUnits and denseUnits from the firing counts over `rows` rows. */
export function unitCounts(counts: Float64Array, rows: number): { deadUnits: number; denseUnits: number } {
  let deadUnits = 0;
  let denseUnits = 0;
  for (const c of counts) {
    if (c === 0) deadUnits++;
    if (c > DENSE_UNIT_FREQUENCY * rows) denseUnits++;
  }
  return { deadUnits, denseUnits };
}

/** Builds the metrics from the backend's loss terms and a forward pass over normalised data x. */
export function computeMetrics(
  terms: LossTerms,
  meanActivation: ArrayLike<number>,
  forward: ForwardResult,
  x: Float32Array,
  rows: number,
  inputSize: number,
  hiddenSize: number,
  architecture: ArchitectureName,
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

  const counts = new Float64Array(hiddenSize);
  const active = addFiringCounts(forward.hidden, rows, hiddenSize, activeThreshold(architecture), counts);
  const { deadUnits, denseUnits } = unitCounts(counts, rows);

  return { ...terms, meanActivation: meanOfMeans, fvu, explainedVariance: fvu === null ? null : 1 - fvu, l0: active / rows, deadUnits, denseUnits, rows };
}
