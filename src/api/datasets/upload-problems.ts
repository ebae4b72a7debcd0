/**
 * How an upload's Durable Object (./upload-object.ts) refuses: plain data, because class
 * instances (ApiError) do not cross RPC; the route handlers (./uploads.ts) turn it into an
 * ApiError. A module of its own so the handlers need not import the object's platform code.
 */
import type { ProblemType } from '../problem-types.js';

/** A refusal, carried over RPC as plain data (class instances do not cross it); the route makes it an ApiError. */
export interface UploadProblem {
  status: 404 | 409 | 413 | 422 | 503;
  type: ProblemType;
  title: string;
  detail: string;
  extra?: Record<string, unknown>;
}

export type UploadResult<T> = { ok: true; value: T } | { ok: false; problem: UploadProblem };

/** No open upload with this id. */
export function uploadNotFound(): UploadProblem {
  return { status: 404, type: 'upload-not-found', title: 'Upload not found', detail: 'No open upload with this id (never started, aborted, or expired).' };
}

