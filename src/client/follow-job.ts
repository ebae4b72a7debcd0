/**
 * Following a training job's events from the typed client (`followJob` of `edge-sae/client`):
 * GET /v1/jobs/{id}/events is a server-sent stream (docs/JOBS.md): a `progress` event with the job
 * whenever it changes, then one `end` event with the whole job. EventSource cannot send the
 * Authorization header, and hono's client does not parse event streams, so this reads the stream
 * itself (src/util/event-stream.ts, runtime-neutral: Node, browsers, Workers). A stream that drops
 * (a restart, a proxy's timeout) is opened again: the job goes on without us, and its next event
 * says where it is.
 */
import type { z } from '@hono/zod-openapi';
import type { JobSchema } from '../api/schemas.js';
import { readEventStream } from '../util/event-stream.js';

/** A training job as the API answers it (GET /v1/jobs/{id}; progress events leave out the histories). */
export type Job = z.infer<typeof JobSchema>;

/** One event of a job's stream: its kind and the job at that moment. */
export interface JobEvent {
  /** `progress` while it is queued or runs; `end` once, when it has succeeded, failed or been cancelled. */
  type: 'progress' | 'end';
  job: Job;
}

export interface FollowOptions {
  /** A bearer token that may read jobs (`jobs:read`). */
  token?: string;
  /** Headers sent with every request (the token's Authorization header wins). */
  headers?: Record<string, string>;
  /** The fetch to use (default: the global fetch). */
  fetch?: typeof fetch;
  /** Stops following (the iteration then rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Attempts in a row that bring no event before giving up (default 5). */
  attempts?: number;
  /** Milliseconds to wait before reopening a dropped stream, times the attempt (default 500). */
  retryDelayMs?: number;
}

/**
 * The events of job `jobId` at `baseUrl`, in order, ending after the `end` event (whose job is
 * the finished one, with its lossHistory). Leaving the loop early closes the stream. Rejects on an
 * answer that is not a stream (the job does not exist: 404; the token may not read it: 401/403),
 * naming the status and the problem's detail, and after `attempts` reopened streams in a row
 * without an event.
 *
 * @example
 * for await (const { type, job } of followJob('http://127.0.0.1:8787', id, { token })) {
 *   console.log(type, job.status, job.epoch, job.loss);
 * }
 */
export async function* followJob(baseUrl: string, jobId: string, options: FollowOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/jobs/${encodeURIComponent(jobId)}/events`;
  const doFetch = options.fetch ?? fetch;
  const headers = { accept: 'text/event-stream', ...options.headers, ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) };
  const attempts = options.attempts ?? 5;
  let empty = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    let response: Response | undefined;
    try {
      response = await doFetch(url, { headers, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // The server is not answering (restarting, say): try again below.
    }
    if (response && !response.ok) throw new Error(`GET /v1/jobs/${jobId}/events: ${response.status} ${await problemDetail(response)}`);
    let seen = false;
    if (response?.body) {
      const events = readEventStream(response.body);
      try {
        for (;;) {
          let next: IteratorResult<{ type: string; data: string }>;
          try {
            next = await events.next();
          } catch (error) {
            if (options.signal?.aborted) throw error;
            break; // the connection dropped mid-stream: open it again
          }
          if (next.done) break;
          if (next.value.type !== 'progress' && next.value.type !== 'end') continue; // a kind this client does not know
          seen = true;
          const type = next.value.type;
          yield { type, job: JSON.parse(next.value.data) as Job };
          if (type === 'end') return;
        }
      } finally {
        await events.return(undefined); // cancels the stream when the caller left early
      }
    }
    empty = seen ? 0 : empty + 1;
    if (empty >= attempts) throw new Error(`GET /v1/jobs/${jobId}/events: no event in ${empty} attempts in a row; is the server at ${baseUrl} up?`);
    await sleep((options.retryDelayMs ?? 500) * Math.max(1, empty), options.signal);
  }
}

/** A problem+json answer's detail (or title), else the status text. */
async function problemDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string };
    return problem.detail ?? problem.title ?? text;
  } catch {
    return text || response.statusText;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });
}
