/**
 * The server side of the API's event streams (GET /v1/jobs/{id}/events, /v1/sweeps/{id}/events):
 * each event is a snapshot of the thing followed, sent when it changed, and `end` once it ended.
 *
 * Bounded in time and by the key (docs/API.md, Event streams):
 * - every KEY_CACHE_MS the stream asks the key store whether its key still works (auth.ts,
 *   `stillAuthorized`) and closes when it does not: a revoked or expired key stops receiving
 *   events within KEY_CACHE_MS + JOB_EVENTS_INTERVAL_MS, and its reconnect gets 401;
 * - a stream lives at most EVENT_STREAM_MAX_MS: then it sends a `reconnect` event (its `id` the
 *   last event's) and closes, and the client opens it again with `Last-Event-ID`;
 * - a stream opened with `Last-Event-ID` does not repeat the snapshot the client has (the same
 *   id): it resumes with the next change, or `end`.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { stillAuthorized } from './auth.js';
import type { AppEnv } from './env.js';
import { KEY_CACHE_MS, readLimits } from './limits.js';

export interface Snapshot {
  /** The followed thing has ended: this is the `end` event, and the last. */
  ended: boolean;
  /** The event's id: what a client sends back as Last-Event-ID. */
  id: string;
  /** The event's data (JSON). */
  data: string;
  /** What decides whether it changed (the data without fields that move on their own, such as a timestamp). */
  compare: string;
}

/** The route descriptions' words for what every stream does. */
export const STREAM_BOUNDS =
  'Every event has an `id`. A stream lasts at most EVENT_STREAM_MAX_MS: then it sends a `reconnect` event and closes; open it again with the header `Last-Event-ID` (the last id received) to resume without a repeat. The key is checked again every KEY_CACHE_MS: once it is revoked or expired the stream closes, and reopening it is 401.';

/** Streams `read()`'s snapshots every JOB_EVENTS_INTERVAL_MS, starting with `first`, within the bounds above. */
export function snapshotStream(c: Context<AppEnv>, first: Snapshot, read: () => Promise<Snapshot>): Response {
  const limits = readLimits(c.env);
  const resumeFrom = c.req.header('last-event-id') ?? null;
  return streamSSE(c, async (stream) => {
    let aborted = false;
    stream.onAbort(() => {
      aborted = true;
    });
    const started = Date.now();
    let checkedAt = started;
    let last: string | null = null;
    let lastId = resumeFrom;
    let snapshot = first;
    for (let round = 0; !aborted; round++) {
      if (snapshot.ended) {
        await stream.writeSSE({ event: 'end', id: snapshot.id, data: snapshot.data });
        return;
      }
      if (snapshot.compare !== last) {
        last = snapshot.compare;
        if (!(round === 0 && snapshot.id === resumeFrom)) {
          await stream.writeSSE({ event: 'progress', id: snapshot.id, data: snapshot.data });
          lastId = snapshot.id;
        }
      }
      if (Date.now() - started >= limits.eventStreamMaxMs) {
        const data = JSON.stringify({ reason: `This stream has lasted EVENT_STREAM_MAX_MS = ${limits.eventStreamMaxMs} ms; reconnect with Last-Event-ID.`, lastEventId: lastId });
        await stream.writeSSE({ event: 'reconnect', data, ...(lastId === null ? {} : { id: lastId }) });
        return;
      }
      await stream.sleep(limits.jobEventsIntervalMs);
      if (Date.now() - checkedAt >= KEY_CACHE_MS) {
        checkedAt = Date.now();
        if (!(await stillAuthorized(c))) return;
      }
      snapshot = await read();
    }
  });
}
