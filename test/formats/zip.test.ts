/**
 * The zip reader: numpy's zips (stored and deflated, zip64 extra fields: numpy forces them) read;
 * truncated, lying and overlapping zips refused before anything is inflated, naming the member.
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { TensorFileError } from '../../src/errors.js';
import { crc32Of, openZip } from '../../src/formats/zip.js';
import { fixture } from './fixtures.js';

const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** A zip of these members (deflated at level 9, or stored at level 0). */
function zip(members: Record<string, Uint8Array>, level: 0 | 9 = 9): Uint8Array {
  return zipSync(members, { level, mtime: new Date('2000-01-01T00:00:00Z') });
}

/** Offsets of every record with this signature. */
function records(bytes: Uint8Array, signature: number): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let k = 0; k + 4 <= bytes.length; k++) if (view.getUint32(k, true) === signature) out.push(k);
  return out;
}

function refusal(bytes: Uint8Array, read?: string): TensorFileError {
  try {
    const archive = openZip(bytes, 'a.zip');
    if (read) archive.read(read);
  } catch (error) {
    expect(error).toBeInstanceOf(TensorFileError);
    return error as TensorFileError;
  }
  throw new Error('read');
}

const zeros = new Uint8Array(100_000);
const text = new TextEncoder().encode('weights '.repeat(50));

describe('openZip', () => {
  it("should read numpy's stored and deflated members (with zip64 extra fields)", () => {
    const stored = openZip(fixture('params.npz'));
    const deflated = openZip(fixture('params-compressed.npz'));
    expect([...stored.members.keys()]).toEqual([...deflated.members.keys()]);
    for (const name of stored.members.keys()) {
      expect(stored.members.get(name)!.method).toBe('stored');
      expect(deflated.members.get(name)!.method).toBe('deflate');
      expect(Array.from(deflated.read(name))).toEqual(Array.from(stored.read(name)));
    }
  });

  it('should read what fflate writes, and check the CRC-32', () => {
    const archive = openZip(zip({ 'a/zeros': zeros, 'a/text': text }));
    expect(archive.read('a/zeros')).toEqual(zeros);
    expect(new TextDecoder().decode(archive.read('a/text'))).toBe('weights '.repeat(50));
    expect(crc32Of(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
  });

  it('should refuse a truncated zip at every length, without reading anything', () => {
    const whole = zip({ 'a/text': text });
    for (const length of [0, 10, whole.length >> 1, whole.length - 1]) {
      expect(refusal(whole.subarray(0, length)).field).toBe('(end of central directory)');
    }
  });

  it('should refuse a deflated member declaring more than deflate can expand to, before inflating', () => {
    const bytes = zip({ big: zeros });
    const central = records(bytes, CENTRAL)[0]!;
    new DataView(bytes.buffer).setUint32(central + 24, 0xfffffff0, true); // declares ≈ 4 GB
    const error = refusal(bytes);
    expect(error.field).toBe('big');
    expect(error.message).toMatch(/declares 4294967280 bytes uncompressed from \d+ compressed, more than deflate can expand to/);
  });

  it('should refuse a member that inflates to more, or less, than it declares', () => {
    for (const declared of [50_000, 110_000]) {
      const bytes = zip({ z: zeros });
      new DataView(bytes.buffer).setUint32(records(bytes, CENTRAL)[0]! + 24, declared, true);
      const error = refusal(bytes, 'z');
      expect(error.field).toBe('z');
      expect(error.message).toMatch(declared < 100_000 ? /inflates to more than the 50000 bytes it declares/ : /inflates to 100000 bytes, not the 110000 it declares/);
    }
  });

  it('should refuse corrupt data by its CRC-32, and a stored member whose sizes differ', () => {
    const bytes = zip({ t: text }, 0);
    const local = records(bytes, LOCAL)[0]!;
    bytes[local + 34] = bytes[local + 34]! ^ 0xff; // a byte of the data (after the 30-byte header and the 1-byte name)
    expect(refusal(bytes, 't').message).toMatch(/^a\.zip: t: its CRC-32 is 0x[0-9a-f]{8}, the directory says 0x[0-9a-f]{8}/);
    const sizes = zip({ t: text }, 0);
    new DataView(sizes.buffer).setUint32(records(sizes, CENTRAL)[0]! + 24, 10, true);
    expect(refusal(sizes).message).toMatch(/t: is stored, yet declares 10 bytes uncompressed and 400 compressed/);
  });

  it('should refuse members that overlap (the overlapping-member zip bomb), encryption and other methods', () => {
    // Member a's data is itself a zip whose first record is a local header of b; the outer
    // directory's entry for b points there, so b's bytes lie inside a's.
    const inner = zip({ b: text }, 0);
    const bytes = zip({ a: inner, b: text }, 0);
    const [first, second] = records(bytes, CENTRAL).slice(-2); // the outer directory's (the inner zip has its own)
    const view = new DataView(bytes.buffer);
    expect(() => openZip(bytes.slice())).not.toThrow(); // well-formed before the edit
    view.setUint32(second! + 42, view.getUint32(first! + 42, true) + 30 + 1, true);
    expect(refusal(bytes).message).toMatch(/^a\.zip: (a|b): its bytes overlap those of (a|b)$/);
    const encrypted = zip({ a: text }, 0);
    new DataView(encrypted.buffer).setUint16(records(encrypted, CENTRAL)[0]! + 8, 1, true);
    expect(refusal(encrypted).message).toMatch(/a: is encrypted/);
    const method = zip({ a: text }, 0);
    new DataView(method.buffer).setUint16(records(method, CENTRAL)[0]! + 10, 14, true);
    expect(refusal(method).message).toMatch(/a: is compressed with method 14; only stored \(0\) and deflate \(8\) are read/);
  });
});
