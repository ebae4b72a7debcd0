/**
 * The answer to a request body that names a dataset which is not there (jobs, sweeps and encode
 * jobs take datasetId, validationDatasetId): 422 with a pointer to the field, not the dataset
 * routes' 404 (the request is what is wrong, not its URL).
 */
import { ApiError } from '../problem.js';

export function unknownDatasetInBody(datasetId: string, pointer = '/datasetId'): ApiError {
  return new ApiError(422, {
    type: 'dataset-not-found',
    title: 'Dataset not found',
    detail: `No dataset with id "${datasetId.slice(0, 64)}"; upload one with POST /v1/datasets.`,
    errors: [{ pointer, detail: 'no such dataset' }],
  });
}
