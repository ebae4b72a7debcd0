/**
 * followJob of `edge-sae/client` against a local HTTP server speaking the API's event stream
 * (GET /v1/jobs/{id}/events: `progress` events, then one `end`): the events in order with the
 * token sent, a dropped stream reopened, an error answer named, an early exit closing the stream,
 * and giving up on a server that never sends an event. The real stream of wrangler dev is
 * followed by the client example of docs/API.md (test/e2e/packed-package.test.ts runs it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { followJob, type JobEvent } from '../../src/client.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server whose nth request (0-based) is answered by handlers[n] (the last one after that). */
async function serve(handlers: ((req: IncomingMessage, res: ServerResponse) => void)[]): Promise<{ base: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  server = createServer((req, res) => {
    requests.push(req);
    handlers[Math.min(requests.length - 1, handlers.length - 1)]!(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, requests };
}

const job = (epoch: number, status = 'running') => ({ id: 'j1', status, epoch, totalEpochs: 3, loss: 1 / (epoch + 1) });
const sse = (type: string, data: unknown) => `event: ${type}\nid: ${(data as { epoch: number }).epoch}\ndata: ${JSON.stringify(data)}\n\n`;
const stream = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });

async function collect(events: AsyncIterable<JobEvent>): Promise<[string, number, string][]> {
  const seen: [string, number, string][] = [];
  for await (const { type, job } of events) seen.push([type, job.epoch, job.status]);
  return seen;
}

describe('followJob', () => {
  it('should yield the progress events, then the end event, and stop; sending the token', async () => {
    const { base, requests } = await serve([
      (_req, res) => {
        stream(res);
        res.write(': keep-alive comment\n\n');
        res.write(sse('progress', job(1)));
        res.write(sse('progress', job(2)));
        res.end(sse('end', { ...job(3, 'succeeded'), lossHistory: [0.5, 0.33, 0.25] }));
      },
    ]);
    expect(await collect(followJob(base, 'j1', { token: 'secret' }))).toEqual([
      ['progress', 1, 'running'],
      ['progress', 2, 'running'],
      ['end', 3, 'succeeded'],
    ]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('/v1/jobs/j1/events'); // the base's trailing slash not doubled
    expect(requests[0]!.headers.authorization).toBe('Bearer secret');
    expect(requests[0]!.headers.accept).toBe('text/event-stream');
  });

  it('should reopen a stream that drops before its end, and go on from the events the job sends then', async () => {
    const { base, requests } = await serve([
      (_req, res) => {
        stream(res);
        res.write(sse('progress', job(1)));
        setTimeout(() => res.socket?.destroy(), 20); // the connection breaks mid-run
      },
      (_req, res) => {
        stream(res);
        res.end(sse('end', job(3, 'succeeded')));
      },
    ]);
    expect(await collect(followJob(base, 'j1', { retryDelayMs: 1 }))).toEqual([
      ['progress', 1, 'running'],
      ['end', 3, 'succeeded'],
    ]);
    expect(requests).toHaveLength(2);
  });

  it('should reject with the status and the problem\'s detail on an error answer, without retrying', async () => {
    const { base, requests } = await serve([
      (_req, res) => {
        res.writeHead(404, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'urn:edge-sae:problem:not-found', title: 'Not Found', status: 404, detail: 'No job with id j9.' }));
      },
    ]);
    await expect(collect(followJob(base, 'j9'))).rejects.toThrow('GET /v1/jobs/j9/events: 404 No job with id j9.');
    expect(requests).toHaveLength(1);
  });

  it('should close the stream when the caller stops early', async () => {
    let closed!: () => void;
    const closedNow = new Promise<void>((resolve) => (closed = resolve));
    const { base } = await serve([
      (req, res) => {
        stream(res);
        res.write(sse('progress', job(1)));
        req.socket.on('close', closed); // the stream stays open until the client goes
      },
    ]);
    for await (const event of followJob(base, 'j1')) {
      expect(event.type).toBe('progress');
      break;
    }
    await closedNow;
  });

  it('should give up after the attempts in a row that bring no event', async () => {
    const { base, requests } = await serve([(_req, res) => (stream(res), res.end())]);
    await expect(collect(followJob(base, 'j1', { attempts: 3, retryDelayMs: 1 }))).rejects.toThrow(/no event in 3 attempts in a row/);
    expect(requests).toHaveLength(3);
  });
});
