/** The PNG encoder: decodes (with node:zlib and a reader written from the spec) to the same pixels. */
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { base64, crc32, encodePng, zlibDeflate } from '../../src/viz/index.js';
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
  ])('should decode to the stated size and the same pixels (%i×%i, fflate and node:zlib)', (width, height) => {
    const pixels = noise(width, height);
    for (const deflate of [undefined, (b: Uint8Array) => deflateSync(b)]) {
      const png = encodePng({ width, height, pixels }, deflate ? { deflate } : {});
      const decoded = decodePng(png);
      expect([decoded.width, decoded.height]).toEqual([width, height]);
      expect(decoded.chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect(Buffer.from(decoded.pixels).equals(Buffer.from(pixels))).toBe(true);
    }
  });

  it('should deflate into a zlib stream node:zlib inflates (checking its Adler-32), large or empty', () => {
    const bytes = Uint8Array.from({ length: 200_000 }, (_, k) => k * 7);
    expect(Buffer.from(inflateSync(zlibDeflate(bytes))).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(inflateSync(zlibDeflate(new Uint8Array(0)))).length).toBe(0);
  });

  it('should compress: a smooth 300×251 image to well under its raw size', () => {
    const pixels = Uint8Array.from({ length: 300 * 251 }, (_, k) => (k % 300) >> 1);
    const png = encodePng({ width: 300, height: 251, pixels });
    expect(png.length).toBeLessThan(pixels.length / 20);
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
    for (const n of [0, 1, 2, 3, 4, 5, 100]) {
      const bytes = Uint8Array.from({ length: n }, (_, k) => (k * 37 + 11) & 0xff);
      expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
});
