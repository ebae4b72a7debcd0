/**
 * Follows a server-sent event stream of the API (a job's or a sweep's events) to its `end` event:
 * each `progress` and `end` event's JSON goes to `onEvent`. The stream is opened again, with
 * `Last-Event-ID` (the last id received) so the server resumes without repeating what we have:
 * at once after a `reconnect` event (the server's stream reached EVENT_STREAM_MAX_MS), and after
 * a drop (the server restarting, a proxy timing out), since the job goes on without us and its
 * next events say where it is. An HTTP error on reopening (401 once the key is revoked) ends it.
 */
import { readEventStream } from '../util/event-stream.js';
import type { ApiClient } from './api-client.js';

/** Streams in a row that may end without one event before we give up on the server. */
const EMPTY_STREAMS_ALLOWED = 5;

/** Resolves to the `end` event's value. */
export async function followEvents<T>(client: ApiClient, path: string, onEvent: (value: T) => void): Promise<T> {
  let empty = 0;
  let lastEventId = '';
  for (;;) {
    const headers: Record<string, string> = lastEventId === '' ? {} : { 'last-event-id': lastEventId };
    const response = await client.send('GET', path, { retry: true, headers });
    let seen = false;
    try {
      for await (const event of readEventStream(response.body!)) {
        seen = true;
        lastEventId = event.lastEventId;
        if (event.type === 'reconnect') break;
        if (event.type !== 'progress' && event.type !== 'end') continue;
        const value = JSON.parse(event.data) as T;
        onEvent(value);
        if (event.type === 'end') return value;
      }
    } catch {
      // The connection dropped mid-stream: open it again below.
    }
    empty = seen ? 0 : empty + 1;
    if (empty >= EMPTY_STREAMS_ALLOWED) throw new Error(`GET ${path}: the stream ended ${empty} times in a row without an event`);
  }
}
