/**
 * A features job's durable record (what its Durable Object keeps: small, the statistics gathered
 * so far are in R2, ./store.ts) and its public view.
 */
import type { SliceBookkeeping } from '../slice-bookkeeping.js';
import type { z } from '@hono/zod-openapi';
import type { FeatureStatsOptions, FeatureStatsPhase } from '../../features/feature-stats.js';
import type { JobStatus } from '../jobs/record.js';
import type { FeatureJobSchema } from './schemas.js';

export type FeatureJobView = z.infer<typeof FeatureJobSchema>;

export interface FeatureJobInit {
  id: string;
  modelId: string;
  /** The model's version when the job started: a retrain meanwhile fails the job. */
  modelVersion: number;
  datasetId: string;
  rows: number;
  hiddenSize: number;
  options: Partial<FeatureStatsOptions>;
  /** Whether labels were sent (stored beside the state). */
  labelled: boolean;
  /** Whether the dataset carries labels of its own (used when none were sent; absent in jobs started before). */
  datasetLabelled?: boolean;
}

export interface FeatureJobRecord extends FeatureJobInit, SliceBookkeeping {
  status: JobStatus;
  phase: FeatureStatsPhase;
  step: number;
  steps: number;
}

export function featureJobView(record: FeatureJobRecord): FeatureJobView {
  const running = record.status === 'queued' || record.status === 'running';
  return {
    id: record.id,
    status: record.status,
    modelId: record.modelId,
    modelVersion: record.modelVersion,
    datasetId: record.datasetId,
    rows: record.rows,
    labels: record.labelled ? 'sent' : record.datasetLabelled ? 'dataset' : 'none',
    phase: record.phase,
    step: record.step,
    steps: record.steps,
    etaSeconds: running && record.step > 0 ? Math.round(((record.sliceMs / record.step) * (record.steps - record.step)) / 100) / 10 : record.status === 'succeeded' ? 0 : null,
    error: record.error,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    updatedAt: record.updatedAt,
    finishedAt: record.finishedAt,
  };
}
