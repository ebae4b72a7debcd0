/**
 * The fields every sliced job object records about its run (training jobs, batch encodes, features
 * jobs; kept by ./sliced-job.ts): how many slices it took and their wall time, failures in a row,
 * the error it ended with, and when.
 */
export interface SliceBookkeeping {
  slices: number;
  /** Σ of the slices' measured wall time, ms. */
  sliceMs: number;
  /** Unexpected failures in a row (storage trouble…); the job fails after a few. */
  failures: number;
  error: { type: string; detail: string } | null;
  createdAt: string;
  startedAt: string | null;
  updatedAt: string;
  finishedAt: string | null;
}
