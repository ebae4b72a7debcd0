/**
 * Ranking a sweep's trials by one metric, lower first: the finished trials in metric order (ties
 * keep the trials' order), then those without a value for it, then the running ones, then the
 * failed ones. The best is the first finished trial with a value.
 */
import type { Metrics } from '../model/metrics.js';
import type { TrialOptions } from './grid.js';

/**
 * What a sweep ranks by. `fvu` (the fraction of variance unexplained, the default) compares
 * models whatever their penalties; `loss` includes the penalties, so it only compares trials
 * whose sparsity and weight-decay settings are the same. `validationFvu` and `validationLoss`
 * are the same on the held-out rows (trials trained with validationSplit).
 */
export const SWEEP_METRICS = ['fvu', 'loss', 'reconstruction', 'validationFvu', 'validationLoss'] as const;
export type SweepMetric = (typeof SWEEP_METRICS)[number];

export interface TrialResult {
  /** trialName(): its number and options. */
  readonly name: string;
  readonly options: TrialOptions;
  /** running: not finished yet (an API sweep's trial in progress). */
  readonly status: 'done' | 'running' | 'failed';
  /** The trained model's final metrics on its training data (done trials). */
  readonly metrics?: Metrics;
  /** Its metrics on the held-out rows (trials trained with validationSplit or a validation set). */
  readonly validationMetrics?: Metrics;
  /** With early stopping: the epoch whose weights its model kept. */
  readonly bestEpoch?: number;
  readonly epochs?: number;
  readonly seconds?: number;
  /** Where its model file was written (done trials). */
  readonly out?: string;
  /** Why it failed (failed trials), as the CLI would print it. */
  readonly error?: string;
  /** `edge-sae train`'s exit code (local sweeps' failed trials): 2 for bad input, 1 otherwise. */
  readonly exitCode?: number;
}

export interface RankedTrial extends TrialResult {
  /** 1 for the best; failed trials and those without the metric have none. */
  readonly rank: number | null;
  readonly best: boolean;
  readonly value: number | null;
}

export function metricValue(trial: TrialResult, metric: SweepMetric): number | null {
  if (trial.status !== 'done') return null;
  const held = metric === 'validationFvu' || metric === 'validationLoss';
  const metrics = held ? trial.validationMetrics : trial.metrics;
  if (metrics === undefined) return null;
  const value = metrics[held ? (metric === 'validationFvu' ? 'fvu' : 'loss') : (metric as 'fvu' | 'loss' | 'reconstruction')];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function rankTrials(trials: readonly TrialResult[], metric: SweepMetric): RankedTrial[] {
  const keyed = trials.map((trial, order) => ({ trial, order, value: metricValue(trial, metric) }));
  const group = (entry: (typeof keyed)[number]) => (entry.value !== null ? 0 : { done: 1, running: 2, failed: 3 }[entry.trial.status]);
  keyed.sort((a, b) => group(a) - group(b) || (a.value ?? 0) - (b.value ?? 0) || a.order - b.order);
  let rank = 0;
  return keyed.map(({ trial, value }) => {
    const ranked = value === null ? null : ++rank;
    return { ...trial, value, rank: ranked, best: ranked === 1 };
  });
}
