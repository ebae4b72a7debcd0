/**
 * One page of an R2 listing, shared by the model and dataset stores: objects under a prefix with
 * their custom metadata (the summaries), in key order, with an opaque cursor.
 *
 * The cursor is ours, not R2's: the key of the page's last object (after the prefix), in
 * base64url. The next page lists `startAfter` it. So a cursor can be checked — one that does not
 * decode to a key of this listing is a 422 naming it, where R2's own cursors would be taken on
 * trust (and the local simulator answers a forged one with an empty page) — and it never expires.
 */
import { ApiError } from './problem.js';

/** A key after the prefix: an id (lower-case base32) and what follows it (".json", "/manifest.json"). */
const KEY_AFTER_PREFIX = /^[a-z2-7]{32}[a-z0-9._/-]{0,200}$/;

const badCursor = () =>
  new ApiError(422, {
    type: 'validation-failed',
    title: 'Validation failed',
    detail: 'The cursor is not one this API returned; start again without it.',
    errors: [{ parameter: 'cursor', detail: 'not a cursor of this listing' }],
  });

function encodeCursor(rest: string): string {
  return btoa(rest).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw badCursor();
  let rest: string;
  try {
    rest = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
  } catch {
    throw badCursor();
  }
  if (!KEY_AFTER_PREFIX.test(rest) || encodeCursor(rest) !== cursor) throw badCursor();
  return rest;
}

/**
 * Lists up to `limit` objects under `prefix`, after `cursor`. A cursor this API did not issue is
 * the caller's fault (422, naming the parameter); a storage failure goes to `storeFailure`,
 * which makes the store's own error (503).
 */
export async function listPage(
  bucket: R2Bucket,
  prefix: string,
  limit: number,
  cursor: string | undefined,
  storeFailure: (error: unknown) => ApiError,
): Promise<{ objects: R2Object[]; cursor: string | null }> {
  const startAfter = cursor ? prefix + decodeCursor(cursor) : undefined;
  let listing: R2Objects;
  try {
    listing = await bucket.list({
      prefix,
      limit,
      include: ['customMetadata'],
      ...(startAfter ? { startAfter } : {}),
      // `include` is honoured at runtime (compatibility date ≥ 2022-08-04); the default
      // (oldest) workers-types do not declare it.
    } as R2ListOptions);
  } catch (error) {
    throw storeFailure(error);
  }
  const last = listing.objects.at(-1);
  return { objects: listing.objects, cursor: listing.truncated && last ? encodeCursor(last.key.slice(prefix.length)) : null };
}
