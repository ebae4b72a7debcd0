/**
 * Following a job's event stream to its end, for the playground (./job.ts), apart from the page so
 * it can be tested without one. The stream is opened again with Last-Event-ID: at once after a
 * `reconnect` event (the server's stream reached EVENT_STREAM_MAX_MS), after `waitMs` on a drop,
 * up to `attempts` drops in a row (an event received starts the count again). An error that
 * `fatal` says will not mend itself (an HTTP answer such as the 401 of a revoked key) ends it.
 */
import { readEventStream } from '../util/event-stream.js';

export interface FollowOptions<T> {
  /** Opens the stream (with Last-Event-ID when not ""); throws on an HTTP error. */
  open: (lastEventId: string) => Promise<ReadableStream<Uint8Array>>;
  onProgress: (value: T) => void;
  fatal: (error: unknown) => boolean;
  attempts: number;
  waitMs: number;
  /** What to say when the drops used up the attempts. */
  lost: string;
  sleep?: (ms: number) => Promise<void>;
}

/** Resolves to the `end` event's value. */
export async function followStream<T>(options: FollowOptions<T>): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  let lastEventId = '';
  let drops = 0;
  for (;;) {
    let rotated = false;
    try {
      for await (const event of readEventStream(await options.open(lastEventId))) {
        lastEventId = event.lastEventId;
        drops = 0;
        if (event.type === 'reconnect') {
          rotated = true;
          break;
        }
        const value = JSON.parse(event.data) as T;
        if (event.type === 'end') return value;
        if (event.type === 'progress') options.onProgress(value);
      }
    } catch (error) {
      if (options.fatal(error) || drops + 1 >= options.attempts) throw error;
    }
    if (rotated) continue;
    drops++;
    if (drops >= options.attempts) throw new Error(options.lost);
    await sleep(options.waitMs);
  }
}
