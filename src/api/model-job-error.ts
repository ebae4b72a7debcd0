/**
 * The error a job that runs a stored model over a dataset (a batch encode, a features job) ends
 * with, named as the synchronous routes name the same fault: the model's answer overflowing
 * float32 is `model-overflow` naming the model (as POST /v1/models/{id}/encode answers), a
 * dataset gone `dataset-not-found`, a corrupt one `invalid-data`, and storage that kept failing
 * `storage-unavailable`.
 */
import { DataError, InputError, ModelOutputError } from '../errors.js';
import { JobFailure, type JobError } from './sliced-job.js';

export function modelJobError(error: unknown, modelId: string): JobError {
  if (error instanceof ModelOutputError) error = error.forModel(modelId);
  const type =
    error instanceof JobFailure
      ? error.type
      : error instanceof ModelOutputError
        ? 'model-overflow'
        : error instanceof DataError
          ? error.problem === 'missing'
            ? 'dataset-not-found'
            : 'invalid-data'
          : error instanceof InputError
            ? 'invalid-input'
            : 'storage-unavailable';
  return { type, detail: error instanceof Error ? error.message : String(error) };
}
