/**
 * A job's durable record (what its Durable Object keeps in storage) and the public view of it
 * (what GET /v1/jobs/{id} and the events stream answer). Plain data, no platform code.
 */
import type { z } from '@hono/zod-openapi';
import type { ModelConfig, TrainingOptions } from '../../model/config.js';
import type { Metrics } from '../../model/metrics.js';
import type { JobSchema } from '../schemas.js';
import type { SliceBookkeeping } from '../slice-bookkeeping.js';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type JobView = z.infer<typeof JobSchema>;

/** What POST /v1/jobs hands the job's Durable Object. */
export interface JobInit {
  id: string;
  name: string | null;
  datasetId: string | null;
  /** R2 key whose presence says the data still exists: a dataset's manifest (or its one object, in the first layout), or the job's own inline data. */
  dataKey: string;
  /** The dataset it validates on after every epoch instead of a split, and its manifest's key (whose presence says it still exists); null without one (and absent in records of older jobs). */
  validationDatasetId?: string | null;
  validationDataKey?: string | null;
  rows: number;
  cols: number;
  config: ModelConfig;
  training: TrainingOptions;
  totalSteps: number;
}

export interface JobRecord extends JobInit, SliceBookkeeping {
  status: JobStatus;
  backend: string | null;
  epoch: number;
  step: number;
  loss: number | null;
  lossHistory: number[];
  /** Optimizer steps the next slice runs (sized to JOB_SLICE_MS). */
  stepsPerSlice: number;
  modelId: string | null;
  /** The trained model's metrics on its training data, once succeeded (absent in records of older jobs). */
  metrics?: Metrics | null;
  /** With validation (validationSplit or a validation dataset): the validation loss of every finished epoch, and the held-out rows' metrics once succeeded. */
  validationHistory?: number[];
  validationMetrics?: Metrics | null;
  /** With patience: the epoch of the best validation loss so far (the one the model keeps), and whether early stopping ended the run (absent in older records). */
  bestEpoch?: number | null;
  stoppedEarly?: boolean;
  /** The id the model will be stored under, fixed at creation so a retried last slice overwrites rather than duplicates it. */
  resultModelId: string;
}

export function isTerminal(status: JobStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

/** The public view; `withHistory` false leaves out the loss history (progress events). */
export function viewOf(record: JobRecord, withHistory = true): JobView {
  const running = record.status === 'running' || record.status === 'queued';
  const eta =
    running && record.step > 0 && record.sliceMs > 0
      ? Math.round(((record.sliceMs / record.step) * (record.totalSteps - record.step)) / 100) / 10
      : record.status === 'succeeded'
        ? 0
        : null;
  return {
    id: record.id,
    name: record.name,
    status: record.status,
    datasetId: record.datasetId,
    validationDatasetId: record.validationDatasetId ?? null,
    rows: record.rows,
    cols: record.cols,
    hiddenSize: record.config.hiddenSize,
    backend: record.backend,
    epoch: record.epoch,
    totalEpochs: record.training.epochs,
    step: record.step,
    totalSteps: record.totalSteps,
    loss: record.loss,
    ...(withHistory ? { lossHistory: record.lossHistory } : {}),
    validationLoss: record.validationHistory?.at(-1) ?? null,
    ...(withHistory && record.validationHistory?.length ? { validationHistory: record.validationHistory } : {}),
    etaSeconds: eta,
    slices: record.slices,
    modelId: record.modelId,
    metrics: record.metrics ?? null,
    validationMetrics: record.validationMetrics ?? null,
    bestEpoch: record.bestEpoch ?? null,
    stoppedEarly: record.stoppedEarly ?? false,
    error: record.error,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    updatedAt: record.updatedAt,
    finishedAt: record.finishedAt,
  };
}
