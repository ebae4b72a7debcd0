/**
 * What src/sweep/local-sweep.ts and its trial worker (src/sweep/trial-worker.ts) pass each other.
 * A leaf module of types, so the sweep imports no part of the worker.
 */
import type { Metrics } from '../model/metrics.js';

/** What a finished trial reports (train --json's summary, the fields the ranking reads). */
export interface TrialSummary {
  readonly metrics: Metrics;
  readonly validationMetrics?: Metrics;
  readonly bestEpoch?: number;
  readonly epochs: number;
  readonly seconds: number;
}

/** The worker's workerData: one trial, as `edge-sae train` would take it (options by table key). */
export interface TrialSpec {
  /** The data file (CSV, .npy, .f32 with `cols`, JSON), streamed. */
  readonly data: string;
  readonly cols?: number;
  /** A file the trial validates on after every epoch (train's --validation-data). */
  readonly validationData?: string;
  /** The trial's model options and training options (the options table's keys). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly training: Readonly<Record<string, unknown>>;
  /** Where its model file goes (.safetensors: binary, else JSON). */
  readonly out: string;
}

/** A message from the worker: a progress line of the training, or its end. */
export type TrialMessage =
  | { readonly type: 'progress'; readonly epoch: number; readonly epochs: number; readonly loss: number }
  | { readonly type: 'done'; readonly summary: TrialSummary }
  | { readonly type: 'failed'; readonly code: number; readonly error: string };
