/**
 * A sweep's stored record (R2, `sweeps/{id}.json`: written when it starts and when it is
 * cancelled, never on its trials' progress — each trial's job keeps its own state) and the view
 * of it the API answers: each trial's job status joined in, ranked by the sweep's metric.
 * Plain data, no platform code.
 */
import type { z } from '@hono/zod-openapi';
import type { TrialOptions } from '../../sweep/grid.js';
import { rankTrials, type SweepMetric, type TrialResult } from '../../sweep/ranking.js';
import { isTerminal, type JobView } from '../jobs/record.js';
import type { SweepSchema } from './schemas.js';

export type SweepView = z.infer<typeof SweepSchema>;

export interface SweepRecord {
  id: string;
  name: string | null;
  datasetId: string;
  /** The dataset every trial validates on (absent in records of older sweeps). */
  validationDatasetId?: string | null;
  metric: SweepMetric;
  createdAt: string;
  cancelledAt: string | null;
  trials: Array<{
    name: string;
    options: TrialOptions;
    /** null: refused before it started (its options, a limit); `error` says why. */
    jobId: string | null;
    totalEpochs: number;
    error: { type: string; detail: string } | null;
  }>;
}

/** The view of `record` with each trial's job (null: not started, or its job is gone). */
export function sweepView(record: SweepRecord, jobs: ReadonlyArray<JobView | null>): SweepView {
  const trials = record.trials.map((trial, i) => {
    const job = jobs[i] ?? null;
    const status = job?.status ?? ('failed' as const);
    const error = trial.error ?? job?.error ?? (job === null ? { type: 'job-not-found', detail: 'The trial\'s job is gone.' } : null);
    return {
      name: trial.name,
      options: { ...trial.options },
      jobId: trial.jobId,
      status,
      epoch: job?.epoch ?? 0,
      totalEpochs: job?.totalEpochs ?? trial.totalEpochs,
      loss: job?.loss ?? null,
      metrics: job?.metrics ?? null,
      validationMetrics: job?.validationMetrics ?? null,
      bestEpoch: job?.bestEpoch ?? null,
      stoppedEarly: job?.stoppedEarly ?? false,
      modelId: job?.modelId ?? null,
      error,
    };
  });
  const results: TrialResult[] = trials.map((t) => ({
    name: t.name,
    options: t.options,
    status: t.status === 'succeeded' ? 'done' : isTerminal(t.status) ? 'failed' : 'running',
    ...(t.metrics ? { metrics: t.metrics } : {}),
    ...(t.validationMetrics ? { validationMetrics: t.validationMetrics } : {}),
  }));
  const ranked = rankTrials(results, record.metric);
  const byName = new Map(trials.map((t) => [t.name, t]));
  const ordered = ranked.map((r) => ({ ...byName.get(r.name)!, rank: r.rank, best: r.best, value: r.value }));
  const running = trials.some((t) => !isTerminal(t.status));
  return {
    id: record.id,
    name: record.name,
    datasetId: record.datasetId,
    validationDatasetId: record.validationDatasetId ?? null,
    metric: record.metric,
    status: running ? 'running' : record.cancelledAt !== null ? 'cancelled' : 'finished',
    best: ordered.find((t) => t.best)?.name ?? null,
    trials: ordered,
    createdAt: record.createdAt,
  };
}
