/**
 * What src/sweep/local-sweep.ts and its trial worker (src/sweep/trial-worker.ts) pass each other.
 * A leaf module of types, so the sweep imports no part of the worker (which runs the CLI's main,
 * and so would close the cycle cli/main → cli/sweep → sweep/local-sweep → trial-worker → cli/main).
 */

/** The worker's workerData: the `edge-sae train` arguments of one trial. */
export interface TrialWorkerData {
  readonly argv: readonly string[];
}

/** A message from the worker: a progress line of the training, or its end. */
export type TrialMessage =
  | { readonly type: 'progress'; readonly epoch: number; readonly epochs: number; readonly loss: number }
  | { readonly type: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string };
