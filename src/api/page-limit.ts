/**
 * The page size of a list route (models, datasets, keys, the audit trail): the query's `limit`, or
 * the route's default, refused with a 422 naming the parameter beyond MAX_LIST_LIMIT.
 */
import { ApiError } from './problem.js';

export function pageLimit(limit: number | undefined, defaultSize: number, maxListLimit: number): number {
  const size = limit ?? defaultSize;
  if (size > maxListLimit) {
    throw new ApiError(422, {
      type: 'validation-failed',
      title: 'Validation failed',
      detail: `limit = ${size} exceeds MAX_LIST_LIMIT = ${maxListLimit}.`,
      errors: [{ parameter: 'limit', detail: `at most ${maxListLimit}` }],
    });
  }
  return size;
}
