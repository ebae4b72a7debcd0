/**
 * The playground's job follower (src/playground/follow-job.ts) against streams rotated as the API
 * rotates them (issue 24, item 7): after `reconnect` it opens the stream again at once with
 * Last-Event-ID, however many times; drops are retried a bounded number of times in a row; an
 * HTTP error (a revoked key's 401) ends it.
 */
import { describe, expect, it } from 'vitest';
import { followStream } from '../../src/playground/follow-job.js';

const event = (type: string, id: string, data: unknown) => `event: ${type}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;

function body(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });
}

class HttpError extends Error {}

describe('followStream', () => {
  it('should reopen after each reconnect event with the last id, more times than it allows drops, and resume to the end', async () => {
    const opened: string[] = [];
    const progress: unknown[] = [];
    const streams = [
      event('progress', '1', { step: 1 }) + event('reconnect', '1', {}),
      ...Array.from({ length: 8 }, () => event('reconnect', '1', {})),
      event('progress', '2', { step: 2 }) + event('end', '3', { step: 3 }),
    ];
    const end = await followStream<{ step: number }>({
      open: async (lastEventId) => body(streams[opened.push(lastEventId) - 1]!),
      onProgress: (value) => progress.push(value),
      fatal: (error) => error instanceof HttpError,
      attempts: 3,
      waitMs: 0,
      lost: 'lost',
    });
    expect(end).toEqual({ step: 3 });
    expect(progress).toEqual([{ step: 1 }, { step: 2 }]);
    expect(opened).toEqual(['', ...Array(9).fill('1')]);
  });

  it('should give up after `attempts` drops in a row, and at once on an HTTP error', async () => {
    let opens = 0;
    await expect(
      followStream({ open: async () => (opens++, body('')), onProgress: () => undefined, fatal: () => false, attempts: 3, waitMs: 0, lost: 'lost the events' }),
    ).rejects.toThrow('lost the events');
    expect(opens).toBe(3);
    let tries = 0;
    await expect(
      followStream({
        open: async () => {
          tries++;
          throw new HttpError('401 Unauthorized: This key expired');
        },
        onProgress: () => undefined,
        fatal: (error) => error instanceof HttpError,
        attempts: 3,
        waitMs: 0,
        lost: 'lost',
      }),
    ).rejects.toThrow(/401/);
    expect(tries).toBe(1);
  });
});
