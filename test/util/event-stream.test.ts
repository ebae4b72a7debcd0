/**
 * The shared event-stream reader (src/util/event-stream.ts): the HTML standard's parsing rules,
 * chunk boundaries anywhere (inside a CRLF, inside a UTF-8 character), early exit cancelling the
 * stream, and a round trip through Hono's own SSE writer, which the jobs' events route uses.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { describe, expect, it } from 'vitest';
import { readEventStream, type ServerSentEvent } from '../../src/util/event-stream.js';

/** A body that delivers `chunks` (text or bytes) one read at a time; `cancelled` says whether the reader cancelled it. */
function body(chunks: Array<string | Uint8Array>) {
  const encoder = new TextEncoder();
  const state = { cancelled: false, pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[state.pulled++];
      if (next === undefined) controller.close();
      else controller.enqueue(typeof next === 'string' ? encoder.encode(next) : next);
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

async function all(chunks: Array<string | Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of readEventStream(body(chunks).stream)) events.push(event);
  return events;
}

describe('readEventStream', () => {
  it('should dispatch an event at each blank line, with its type, data and the last id', async () => {
    const events = await all(['event: progress\nid: 3\ndata: {"epoch":1}\n\n', 'data: plain\n\n']);
    expect(events).toEqual([
      { type: 'progress', data: '{"epoch":1}', lastEventId: '3' },
      { type: 'message', data: 'plain', lastEventId: '3' },
    ]);
  });

  it('should join data lines with newlines, skip comments and unknown fields, and keep a value without its one leading space', async () => {
    const events = await all([': a comment\nretry: 10\nfoo: bar\ndata:  two spaces\ndata:x\ndata\n\n']);
    expect(events).toEqual([{ type: 'message', data: ' two spaces\nx\n', lastEventId: '' }]);
  });

  it('should accept CRLF, LF and CR line ends, also when a chunk ends between CR and LF', async () => {
    const events = await all(['data: a\r', '\n\r', '\ndata: b\r\rdata: c\n', '\n']);
    expect(events.map((e) => e.data)).toEqual(['a', 'b', 'c']);
  });

  it('should decode a UTF-8 character split across chunks and skip a leading BOM', async () => {
    const bytes = new TextEncoder().encode('\uFEFFdata: ρ=0.1\n\n');
    const at = bytes.indexOf(0xcf) + 1; // inside the two bytes of ρ
    const events = await all([bytes.slice(0, 2), bytes.slice(2, at), bytes.slice(at)]);
    expect(events).toEqual([{ type: 'message', data: 'ρ=0.1', lastEventId: '' }]);
  });

  it('should dispatch nothing for an event without data, and drop an unterminated last event', async () => {
    expect(await all(['event: ping\n\n', 'data: cut off'])).toEqual([]);
  });

  it('should cancel the stream when the consumer stops early', async () => {
    const { stream, state } = body(['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n']);
    const seen: string[] = [];
    for await (const event of readEventStream(stream)) {
      seen.push(event.data);
      if (event.data === '1') break;
    }
    expect(seen).toEqual(['1']);
    expect(state.cancelled).toBe(true);
  });

  it('should read back what Hono\'s SSE writer (the jobs\' events route) writes, multi-line data included', async () => {
    const sent = [
      { event: 'progress', id: '7', data: JSON.stringify({ epoch: 7, loss: 0.25 }) },
      { event: 'end', id: '9', data: 'line one\nline two' },
    ];
    const app = new Hono().get('/events', (c) =>
      streamSSE(c, async (stream) => {
        for (const message of sent) await stream.writeSSE(message);
      }),
    );
    const res = await app.request('/events');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = [];
    for await (const event of readEventStream(res.body!)) events.push(event);
    expect(events).toEqual(sent.map((m) => ({ type: m.event, data: m.data, lastEventId: m.id })));
  });
});
