/**
 * The checks on a job's (or a sweep's) validationDatasetId, at submit: a stored, complete dataset
 * of the training data's width, and not beside a validation split (the library refuses the two
 * together, naming training.validationSplit). Each refusal is a 422 naming the field, before
 * anything is stored.
 */
import { ConfigError } from '../../errors.js';
import { DatasetStore, type DatasetHead } from '../datasets/store.js';
import { ApiError } from '../problem.js';
import { unknownDatasetInBody } from './dataset-reference.js';

const POINTER = '/validationDatasetId';

/**
 * The validation dataset's head, checked against the training data's `cols` and the request's
 * validationSplit. An upload in parts has no manifest until it completes, so an incomplete one is
 * not found, as for datasetId.
 */
export async function checkValidationDataset(bucket: R2Bucket, id: string, cols: number, validationSplit: number, splitField = 'training.validationSplit'): Promise<DatasetHead> {
  const dataset = await new DatasetStore(bucket).head(id);
  if (!dataset) throw unknownDatasetInBody(id, POINTER);
  if (dataset.cols !== cols) {
    throw new ApiError(422, {
      type: 'invalid-input',
      title: 'Invalid input',
      detail: `The validation dataset's rows have ${dataset.cols} columns, but the training data's have ${cols}: validationDatasetId must have the training data's width.`,
      errors: [{ pointer: POINTER, detail: `${dataset.cols} columns, not ${cols}` }],
    });
  }
  checkNotBesideSplit(validationSplit, splitField);
  return dataset;
}

/**
 * A validation dataset replaces the split: both at once is refused, as the library refuses it,
 * naming the field that gave the split (a sweep's shorthand is `validationSplit`).
 */
function checkNotBesideSplit(validationSplit: number, field = 'training.validationSplit'): void {
  if (validationSplit > 0) {
    throw new ConfigError(field, `is ${validationSplit}, but validationDatasetId was given too: validate on the dataset or on a split of the training rows, not both`);
  }
}
