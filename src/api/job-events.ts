/**
 * A sliced job's event stream (GET /v1/jobs/{id}/events, GET /v1/feature-jobs/{id}/events): a
 * `progress` event with the job's view whenever it changed (so one for each slice the stream's
 * polls see: a slice moves its `step`), its id the job's step, then one `end` event with the job
 * once it succeeded, failed or was cancelled (its `status` says which), and the stream closes.
 * The view is what the job's Durable Object answers to status() (src/api/sliced-job.ts); the
 * stream's bounds (key re-checks, reconnect with Last-Event-ID) are ./snapshot-stream.ts's.
 */
import type { Context } from 'hono';
import type { AppEnv } from './env.js';
import { isTerminal, type JobStatus } from './jobs/record.js';
import { snapshotStream, type Snapshot } from './snapshot-stream.js';

/** What a job's view must have for its stream. */
export interface FollowedJob {
  status: JobStatus;
  step: number;
  updatedAt: string;
}

/**
 * Streams job views from `read`, starting with `first`. `read(true)` is asked once, for the `end`
 * event (a training job's whole view with its histories); `read(false)` for every poll.
 */
export async function jobEventStream<V extends FollowedJob>(c: Context<AppEnv>, first: V, read: (whole: boolean) => Promise<V | null>): Promise<Response> {
  let view = first;
  const snapshot = async (): Promise<Snapshot> => {
    if (isTerminal(view.status)) return { ended: true, id: String(view.step), data: JSON.stringify((await read(true)) ?? view), compare: '' };
    return { ended: false, id: String(view.step), data: JSON.stringify(view), compare: JSON.stringify({ ...view, updatedAt: undefined }) };
  };
  return snapshotStream(c, await snapshot(), async () => {
    view = (await read(false)) ?? view;
    return snapshot();
  });
}
