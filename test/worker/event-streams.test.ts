/**
 * Event streams' bounds (issue 24, item 7): a stream re-checks its key every KEY_CACHE_MS and
 * closes once it is revoked (reopening it is 401); a stream lives at most EVENT_STREAM_MAX_MS,
 * then sends `reconnect` with the last id, and a stream opened with that Last-Event-ID resumes
 * without repeating it. The job is a stand-in Durable Object binding whose status the test moves,
 * so the stream's timing does not hang on a real job's speed.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { app } from '../../src/api/app.js';
import { keyStore } from '../../src/api/keys/durable-object.js';
import { KEY_CACHE_MS } from '../../src/api/limits.js';
import { SCOPE_NAMES } from '../../src/api/scopes.js';
import { newId } from '../../src/api/storage-keys.js';
import { readEventStream, type ServerSentEvent } from '../../src/util/event-stream.js';
import { expectProblem, request, type CallOptions } from './helpers.js';

/** A job binding whose one job is as `state` says. */
function fakeJobs(state: { step: number; status: string }) {
  const view = () => ({ id: 'job', status: state.status, step: state.step, updatedAt: new Date().toISOString() });
  return { idFromName: () => ({}), get: () => ({ status: async () => view() }) };
}

const INTERVAL = { JOB_EVENTS_INTERVAL_MS: '50' };

const send = (path: string, options: CallOptions = {}, bindings: Record<string, unknown> = {}) =>
  app.request(request(path, options), undefined, { ...env, RATE_LIMITER: undefined, ...bindings });

/** Reads `res`'s events until the stream closes; `onEvent` may act on each. */
async function readAll(res: Response, onEvent: (event: ServerSentEvent, index: number) => void = () => undefined): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readEventStream(res.body!)) {
    onEvent(event, events.length);
    events.push(event);
  }
  return events;
}

describe('event streams', () => {
  it(`should close a stream within KEY_CACHE_MS (${KEY_CACHE_MS} ms) of its key being revoked elsewhere, and refuse it after`, async () => {
    const created = await send('/v1/keys', { json: { name: 'follower', scopes: ['jobs:read'] } });
    const key = (await created.json()) as { id: string; secret: string };
    const state = { step: 0, status: 'running' };
    const JOBS = fakeJobs(state);
    const ticking = setInterval(() => state.step++, 100);
    try {
      const id = newId();
      const res = await send(`/v1/jobs/${id}/events`, { token: key.secret }, { JOBS, ...INTERVAL });
      expect(res.status).toBe(200);
      let revokedAt = 0;
      const events = await readAll(res, (_event, index) => {
        if (index === 2) {
          revokedAt = Date.now();
          // Revoked in the store directly, as another isolate would: this isolate's cache still holds the key.
          void keyStore(env).revoke(key.id, { scopes: SCOPE_NAMES, models: null });
        }
      });
      // Before the fix the stream went on for as long as the job ran (here: for ever).
      expect(Date.now() - revokedAt).toBeLessThan(KEY_CACHE_MS + 1_000);
      expect(events.every((e) => e.type === 'progress')).toBe(true);
      await expectProblem(await send(`/v1/jobs/${id}/events`, { token: key.secret }, { JOBS, ...INTERVAL }), 401);
    } finally {
      clearInterval(ticking);
    }
  }, 30_000);

  it('should end a stream after EVENT_STREAM_MAX_MS with a reconnect event, and resume from Last-Event-ID without a repeat', async () => {
    const state = { step: 3, status: 'running' };
    const bindings = { JOBS: fakeJobs(state), ...INTERVAL, EVENT_STREAM_MAX_MS: '400' };
    const id = newId();
    const started = Date.now();
    const first = await readAll(await send(`/v1/jobs/${id}/events`, {}, bindings));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(first.map((e) => e.type)).toEqual(['progress', 'reconnect']);
    expect(first[1]!.lastEventId).toBe('3');
    expect(JSON.parse(first[1]!.data)).toMatchObject({ lastEventId: '3' });

    // Reopened with the last id while nothing changed: no repeat of step 3, then the next change.
    setTimeout(() => {
      state.step = 4;
    }, 150);
    const second = await readAll(await send(`/v1/jobs/${id}/events`, { headers: { 'last-event-id': '3' } }, bindings));
    expect(second.map((e) => [e.type, e.lastEventId])).toEqual([
      ['progress', '4'],
      ['reconnect', '4'],
    ]);

    // An ended job ends the stream whatever the Last-Event-ID.
    state.status = 'succeeded';
    const third = await readAll(await send(`/v1/jobs/${id}/events`, { headers: { 'last-event-id': '4' } }, bindings));
    expect(third.map((e) => e.type)).toEqual(['end']);
  }, 30_000);
});
