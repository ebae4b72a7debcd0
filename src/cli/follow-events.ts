/**
 * Follows a server-sent event stream of the API (a job's or a sweep's events) to its `end` event:
 * each event's JSON goes to `onEvent`, and a stream that drops (the server restarting, a proxy
 * timing out) is opened again, since the job goes on without us and its next events say where it is.
 */
import { readEventStream } from '../util/event-stream.js';
import type { ApiClient } from './api-client.js';

/** Streams in a row that may end without one event before we give up on the server. */
const EMPTY_STREAMS_ALLOWED = 5;

/** Resolves to the `end` event's value. */
export async function followEvents<T>(client: ApiClient, path: string, onEvent: (value: T) => void): Promise<T> {
  let empty = 0;
  for (;;) {
    const response = await client.send('GET', path, { retry: true });
    let seen = false;
    try {
      for await (const event of readEventStream(response.body!)) {
        seen = true;
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
