/** The PNG encoder: decodes (with node:zlib and a reader written from the spec) to the same pixels. */
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32, base64, crc32, encodePng, storedZlib } from '../../src/viz/index.js';
import { decodePng } from './png-decode.js';

function noise(width: number, height: number, seed = 1): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: width * height }, (_, k) => {
    s = (s * 1103515245 + 12345) >>> 0;
    // Mix smooth gradients (Sub/Up/Paeth win) with noise (None wins), so every filter is used.
    return (k % width) * 3 + (Math.floor(k / width) % 7 === 0 ? s >>> 24 : 0);
  });
}

describe('encodePng', () => {
  it.each([
    [1, 1],
    [3, 2],
    [28, 28],
    [300, 251],
  ])('should decode to the stated size and the same pixels (%i×%i, stored and zlib)', (width, height) => {
    const pixels = noise(width, height);
    for (const deflate of [undefined, (b: Uint8Array) => deflateSync(b)]) {
      const png = encodePng({ width, height, pixels }, deflate ? { deflate } : {});
      const decoded = decodePng(png);
      expect([decoded.width, decoded.height]).toEqual([width, height]);
      expect(decoded.chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect(Buffer.from(decoded.pixels).equals(Buffer.from(pixels))).toBe(true);
    }
  });

  it('should split stored deflate blocks at 65535 bytes', () => {
    const bytes = Uint8Array.from({ length: 200_000 }, (_, k) => k * 7);
    expect(Buffer.from(inflateSync(storedZlib(bytes))).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(inflateSync(storedZlib(new Uint8Array(0)))).length).toBe(0);
  });

  it('should refuse pixels that do not match the size', () => {
    expect(() => encodePng({ width: 2, height: 2, pixels: new Uint8Array(3) })).toThrow(RangeError);
    expect(() => encodePng({ width: 0, height: 2, pixels: new Uint8Array(0) })).toThrow(RangeError);
  });
});

describe('checksums and base64', () => {
  it('should match the known values', () => {
    const text = new TextEncoder().encode('123456789');
    expect(crc32(text)).toBe(0xcbf43926);
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
    for (const n of [0, 1, 2, 3, 4, 5, 100]) {
      const bytes = Uint8Array.from({ length: n }, (_, k) => (k * 37 + 11) & 0xff);
      expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
});
