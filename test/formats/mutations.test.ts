/**
 * Every reader on corrupted copies of the fixtures (bytes flipped, cut, overwritten with extreme
 * values): each either reads the file or throws TensorFileError; never another error (a
 * RangeError from a typed array, a TypeError), which would be a crash the API answers 500.
 */
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { TensorFileError } from '../../src/errors.js';
import { toFloat64 } from '../../src/formats/convert.js';
import { readNpz } from '../../src/formats/npy.js';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { readTorchCheckpoint } from '../../src/formats/torch-checkpoint.js';
import { openZip } from '../../src/formats/zip.js';
import { fixture } from './fixtures.js';

const READERS: [string, (bytes: Uint8Array) => unknown][] = [
  ['weights.safetensors', (bytes) => [...readSafetensors(bytes).tensors.values()].map((t) => toFloat64(t))],
  ['params.npz', (bytes) => [...readNpz(bytes).values()].map((t) => toFloat64(t))],
  ['params-compressed.npz', (bytes) => [...readNpz(bytes).values()].map((t) => toFloat64(t))],
  ['dtypes.pt', (bytes) => [...readTorchCheckpoint(bytes).tensors.values()].map((t) => toFloat64(t))],
  ['openai-topk.pt', (bytes) => readTorchCheckpoint(bytes)],
];

/** A corruption: at a position (a fraction of the length), one of a few edits. */
const corruption = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  kind: fc.constantFrom('flip', 'cut', 'max', 'zero', 'small'),
  value: fc.integer({ min: 0, max: 255 }),
});

function corrupt(good: Uint8Array, edits: { at: number; kind: string; value: number }[]): Uint8Array {
  let bytes = good.slice();
  for (const { at, kind, value } of edits) {
    const k = Math.min(bytes.length - 1, Math.floor(at * bytes.length));
    if (k < 0) break;
    if (kind === 'cut') bytes = bytes.slice(0, k);
    else if (kind === 'flip') bytes[k] = bytes[k]! ^ (1 << (value & 7));
    else if (kind === 'small') bytes[k] = value;
    else bytes.fill(kind === 'max' ? 0xff : 0, k, Math.min(bytes.length, k + 4)); // a length or offset gone extreme
  }
  return bytes;
}

/** The members of a checkpoint, so its pickle can be corrupted and the zip rebuilt around it (CRCs right). */
function members(name: string): Record<string, Uint8Array> {
  const archive = openZip(fixture(name));
  return Object.fromEntries([...archive.members.keys()].map((member) => [member, archive.read(member).slice()]));
}

describe('readers on corrupted files', () => {
  it.each(['dtypes.pt', 'openai-topk.pt', 'dictionary-learning-topk.pt'])('should read %s with a corrupted pickle or refuse it with a TensorFileError', (name) => {
    const files = members(name);
    const pickleName = Object.keys(files).find((member) => member.endsWith('/data.pkl'))!;
    fc.assert(
      fc.property(fc.array(corruption, { minLength: 1, maxLength: 3 }), (edits) => {
        const bytes = zipSync({ ...files, [pickleName]: corrupt(files[pickleName]!, edits) }, { level: 0 });
        try {
          const { tensors } = readTorchCheckpoint(bytes);
          for (const tensor of tensors.values()) toFloat64(tensor);
        } catch (error) {
          if (!(error instanceof TensorFileError)) throw error;
        }
      }),
      { numRuns: 400, seed: 27 },
    );
  });

  it.each(['params.npz', 'dtypes.pt'])("should read %s with a corrupted zip directory or refuse it with a TensorFileError", (name) => {
    const good = fixture(name);
    // The end records and the central directory: the last 15% of these small zips.
    const tail = fc.record({ at: fc.double({ min: 0.85, max: 1, noNaN: true }), kind: fc.constantFrom('flip', 'max', 'zero', 'small'), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.array(tail, { minLength: 1, maxLength: 3 }), (edits) => {
        try {
          const archive = openZip(corrupt(good, edits));
          for (const member of archive.members.keys()) archive.read(member);
        } catch (error) {
          if (!(error instanceof TensorFileError)) throw error;
        }
      }),
      { numRuns: 400, seed: 28 },
    );
  });

  it.each(READERS)('should read %s or refuse it with a TensorFileError, never crash', (name, read) => {
    const good = fixture(name);
    fc.assert(
      fc.property(fc.array(corruption, { minLength: 1, maxLength: 3 }), (edits) => {
        try {
          read(corrupt(good, edits));
        } catch (error) {
          if (!(error instanceof TensorFileError)) throw error;
          expect(error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400, seed: 26 },
    );
  });
});
