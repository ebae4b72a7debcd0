/**
 * Reads a `text/event-stream` body (server-sent events, as GET /v1/jobs/{id}/events sends them)
 * from a fetch Response: the playground follows a job with it, and a command-line client can.
 * EventSource would parse the stream itself, but cannot send an Authorization header, and it
 * exists only in browsers. Runtime-neutral (ReadableStream and TextDecoder only).
 */

/** One dispatched event. */
export interface ServerSentEvent {
  /** The `event:` field; "message" when the event had none. */
  readonly type: string;
  /** The `data:` lines, joined by newlines. */
  readonly data: string;
  /** The last `id:` seen so far in the stream ("" before any), as EventSource's lastEventId. */
  readonly lastEventId: string;
}

/**
 * The events of `body`, in order, by the rules of the HTML standard's event-stream parser: lines
 * end in CRLF, LF or CR (also when a chunk splits a CRLF or a UTF-8 character); a leading BOM is
 * skipped; "field: value" with one space after the colon dropped; a line starting with ":" is a
 * comment; a blank line dispatches the event if it has data. An unterminated last event is
 * dropped, as EventSource drops it. Leaving the loop early (break, throw) cancels the stream.
 *
 * @example
 * const res = await fetch(`/v1/jobs/${id}/events`, { headers: { authorization: `Bearer ${token}` } });
 * for await (const event of readEventStream(res.body!)) {
 *   if (event.type === 'end') break;
 * }
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let first = true;
  let type = '';
  let data: string[] = [];
  let lastEventId = '';
  let finished = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        finished = true;
        return;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      for (;;) {
        const at = buffer.search(/[\r\n]/);
        // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
        if (at < 0 || (buffer[at] === '\r' && at === buffer.length - 1)) break;
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + (buffer[at] === '\r' && buffer[at + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { type: type || 'message', data: data.join('\n'), lastEventId };
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id' && !value.includes('\0')) lastEventId = value;
        // "retry" and unknown fields: nothing to do for a reader that reconnects on its own terms.
      }
    }
  } finally {
    if (finished) reader.releaseLock();
    else await reader.cancel().catch(() => undefined); // the consumer left early, or the read failed
  }
}
