/**
 * The CLI's event-stream follower (src/cli/follow-events.ts) against a server that rotates its
 * streams as the API does (issue 24, item 7): after a `reconnect` event it opens the stream again
 * at once with Last-Event-ID, passes on only progress and end events, and stops at an HTTP error
 * (a revoked key's 401) instead of retrying for ever.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/cli/api-client.js';
import { followEvents } from '../../src/cli/follow-events.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server answering the n-th request with `streams[n]` (a status and an event-stream body), and the Last-Event-ID each request sent. */
async function serve(streams: { status: number; body: string }[]) {
  const lastIds: (string | undefined)[] = [];
  server = createServer((req, res) => {
    lastIds.push(req.headers['last-event-id'] as string | undefined);
    const answer = streams[Math.min(lastIds.length - 1, streams.length - 1)]!;
    const type = answer.status === 200 ? 'text/event-stream' : 'application/problem+json';
    res.writeHead(answer.status, { 'content-type': type });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { client: new ApiClient(`http://127.0.0.1:${port}`, 'token', async () => undefined), lastIds };
}

const event = (type: string, id: string, data: unknown) => `event: ${type}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;

describe('followEvents', () => {
  it('should reopen after a reconnect event with Last-Event-ID and resume to the end', async () => {
    const { client, lastIds } = await serve([
      { status: 200, body: event('progress', '1', { step: 1 }) + event('progress', '2', { step: 2 }) + event('reconnect', '2', { lastEventId: '2' }) },
      { status: 200, body: event('reconnect', '2', { lastEventId: '2' }) },
      { status: 200, body: event('progress', '3', { step: 3 }) + event('end', '4', { step: 4, done: true }) },
    ]);
    const seen: unknown[] = [];
    const end = await followEvents<{ step: number }>(client, '/v1/jobs/x/events', (value) => seen.push(value));
    expect(end).toEqual({ step: 4, done: true });
    expect(seen).toEqual([{ step: 1 }, { step: 2 }, { step: 3 }, { step: 4, done: true }]);
    expect(lastIds).toEqual([undefined, '2', '2']);
  });

  it('should stop at a 401 on reopening (a revoked key), naming it', async () => {
    const { client } = await serve([
      { status: 200, body: event('progress', '1', { step: 1 }) },
      { status: 401, body: JSON.stringify({ type: 'urn:edge-sae:problem:unauthorized', detail: 'Invalid token.' }) },
    ]);
    await expect(followEvents(client, '/v1/jobs/x/events', () => undefined)).rejects.toThrow(/401.*Invalid token/);
  });
});
