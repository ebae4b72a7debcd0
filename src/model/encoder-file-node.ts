/**
 * Node only: an encode-only session straight from a binary model file on disk, reading the
 * encoder's weights a block of rows at a time into their kernel layout, so the process never holds
 * them twice (the file's bytes and the layout): its resident memory stays near W_enc's bytes as
 * stored (the "2304 → 65536 bf16 under 1.5× its encoder's bytes" of issue 27). The decoder's
 * weights are not read at all. What is read and how it is checked: ./encoder-pieces.ts (the
 * Worker reads the same pieces from R2 by ranges).
 *
 * @example
 * const { backend } = await loadNodeBackend('assemblyscript');
 * const session = openEncoderFile('gemma-scope-bf16.safetensors', backend);
 * const codes = session.encode(rows);
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import type { KernelBackend } from '../backends/types.js';
import { ModelFileError } from '../errors.js';
import type { EncodingSession } from './encoding-session.js';
import { encoderWeightRange, headerLengthOf, packSmallFile, parseHeaderText, planEncoderRead, readSmallFile, rowBytes, sessionOf, streamedEncoderWeight, type Fail } from './encoder-pieces.js';

export function openEncoderFile(path: string, backend: KernelBackend): EncodingSession {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const fail: Fail = (field, problem) => {
      throw new ModelFileError(field, problem, path);
    };
    const read = (position: number, length: number): Buffer => {
      // (not the shared pool: its slices may be unaligned for the typed-array views below)
      const out = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const got = readSync(fd, out, done, length - done, position + done);
        if (got === 0) fail('(header length)', `the file ends at byte ${position + done}, before the ${length} bytes wanted at ${position}`);
        done += got;
      }
      return out;
    };
    const headerLength = headerLengthOf(size >= 8 ? read(0, 8) : new Uint8Array(0), size, fail);
    const plan = planEncoderRead(parseHeaderText(read(8, headerLength), fail), headerLength, size);
    const ranges = new Map(plan.small.map(({ name, range }) => [name, range]));
    const state = readSmallFile(packSmallFile(plan, (name) => { const [from, to] = ranges.get(name)!; return read(from, to - from); }), path);

    const { begin } = encoderWeightRange(plan, state, fail);
    const row = rowBytes(state);
    const W1 = streamedEncoderWeight(state, (first, count) => read(begin + first * row, count * row), fail);
    return sessionOf(state, backend, W1, fail);
  } finally {
    closeSync(fd);
  }
}
