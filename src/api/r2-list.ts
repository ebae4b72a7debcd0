/**
 * One page of an R2 listing, shared by the model and dataset stores: objects under a prefix with
 * their custom metadata (the summaries), in key order, with an opaque cursor.
 */
import { ApiError } from './problem.js';

/**
 * Lists up to `limit` objects under `prefix`, from `cursor`. R2 refuses a cursor it did not issue:
 * that is the caller's fault (422, naming the parameter); any other failure goes to
 * `storeFailure`, which makes the store's own error (503).
 */
export async function listPage(
  bucket: R2Bucket,
  prefix: string,
  limit: number,
  cursor: string | undefined,
  storeFailure: (error: unknown) => ApiError,
): Promise<{ objects: R2Object[]; cursor: string | null }> {
  let listing: R2Objects;
  try {
    listing = await bucket.list({
      prefix,
      limit,
      include: ['customMetadata'],
      ...(cursor ? { cursor } : {}),
      // `include` is honoured at runtime (compatibility date ≥ 2022-08-04); the default
      // (oldest) workers-types do not declare it.
    } as R2ListOptions);
  } catch (error) {
    if (!cursor) throw storeFailure(error);
    throw new ApiError(422, {
      type: 'validation-failed',
      title: 'Validation failed',
      detail: 'The cursor is not one this API returned; start again without it.',
      errors: [{ parameter: 'cursor', detail: 'unknown or expired cursor' }],
    });
  }
  return { objects: listing.objects, cursor: listing.truncated ? listing.cursor : null };
}
