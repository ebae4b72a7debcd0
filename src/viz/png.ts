/**
 * A minimal PNG encoder for 8-bit grayscale images, runtime-neutral (no Node imports), so the
 * Worker and the CLI share it. The image data is deflated by fflate (zlib format, RFC 1950), which
 * runs in both; the chunk layout, the row filters and the CRC are the few lines a grayscale PNG
 * needs, written here rather than pulling in a general image library.
 *
 * see: PNG specification (ISO/IEC 15948), sections 5 (datastream), 9 (filtering), 10 (zlib)
 */
import { zlibSync } from 'fflate';
import { PictureError } from './picture-error.js';

/** An 8-bit grayscale image, row-major: `pixels[y * width + x]`, 0 = black, 255 = white. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

/** Compresses bytes into a zlib stream (RFC 1950), e.g. `zlib.deflateSync` in Node. */
export type ZlibDeflate = (bytes: Uint8Array) => Uint8Array;

export interface PngOptions {
  /** Defaults to `zlibDeflate` (fflate, level 9). */
  deflate?: ZlibDeflate;
}

/**
 * fflate's zlib stream at level 9: the filtered rows of a filter grid are small (a 784→196
 * model's grid is 407×407), so the slowest level costs little and gives the smallest picture.
 */
export const zlibDeflate: ZlibDeflate = (bytes) => zlibSync(bytes, { level: 9 });

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Encodes a grayscale image as PNG bytes.
 *
 * @example
 * const png = encodePng({ width: 2, height: 1, pixels: Uint8Array.of(0, 255) });
 */
export function encodePng(image: GrayImage, options: PngOptions = {}): Uint8Array {
  const { width, height, pixels } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new PictureError('content', `PNG size must be positive integers, got ${width}×${height}`);
  }
  if (pixels.length !== width * height) {
    throw new PictureError('content', `PNG pixels: expected ${width * height} bytes for ${width}×${height}, got ${pixels.length}`);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: grayscale
  // compression 0, filter method 0, no interlace: the remaining bytes stay 0
  const deflate = options.deflate ?? zlibDeflate;
  return concat([
    Uint8Array.from(SIGNATURE),
    chunk('IHDR', header),
    chunk('IDAT', deflate(filterRows(image))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * Each scanline with its filter byte in front; the filter (None, Sub, Up, Average, Paeth) is
 * chosen per row by the smallest sum of absolute differences, the spec's suggested heuristic.
 */
export function filterRows({ width, height, pixels }: GrayImage): Uint8Array {
  const out = new Uint8Array(height * (width + 1));
  const candidate = new Uint8Array(width);
  const best = new Uint8Array(width);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * width, (y + 1) * width);
    const up = y > 0 ? pixels.subarray((y - 1) * width, y * width) : null;
    let bestType = 0;
    let bestScore = Infinity;
    for (let type = 0; type < 5; type++) {
      let score = 0;
      for (let x = 0; x < width; x++) {
        const a = x > 0 ? row[x - 1]! : 0;
        const b = up ? up[x]! : 0;
        const c = up && x > 0 ? up[x - 1]! : 0;
        const predicted = type === 0 ? 0 : type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const value = (row[x]! - predicted) & 0xff;
        candidate[x] = value;
        score += value < 128 ? value : 256 - value;
      }
      if (score < bestScore) {
        bestScore = score;
        bestType = type;
        best.set(candidate);
      }
    }
    const offset = y * (width + 1);
    out[offset] = bestType;
    out.set(best, offset + 1);
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, polynomial 0xEDB88320), the PNG chunk checksum (fflate does not export its own). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of bytes (for data: URIs), without relying on btoa or Buffer. */
export function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]! + BASE64[(n >>> 6) & 63]! + BASE64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${BASE64[n >>> 18]}${BASE64[(n >>> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${BASE64[n >>> 18]}${BASE64[(n >>> 12) & 63]}${BASE64[(n >>> 6) & 63]}=`;
  }
  return out;
}
