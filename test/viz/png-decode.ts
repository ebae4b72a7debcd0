/**
 * A tiny PNG reader for tests, written from the spec rather than shared with the encoder: checks
 * the signature and every chunk's CRC, inflates IDAT with node:zlib, undoes the five filters, and
 * returns 8-bit grayscale pixels.
 */
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  pixels: Uint8Array;
  chunks: string[];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function decodePng(png: Uint8Array): DecodedPng {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => png[i] === b)) throw new Error('not a PNG signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: string[] = [];
  const idat: Uint8Array[] = [];
  let width = 0, height = 0, bitDepth = 0, colorType = 0;
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (crc(png.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) throw new Error(`bad CRC in ${type}`);
    chunks.push(type);
    if (type === 'IHDR') {
      const h = new DataView(data.buffer, data.byteOffset, data.byteLength);
      [width, height, bitDepth, colorType] = [h.getUint32(0), h.getUint32(4), data[8]!, data[9]!];
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  if (chunks[0] !== 'IHDR' || chunks.at(-1) !== 'IEND') throw new Error(`chunk order ${chunks.join(',')}`);
  if (bitDepth !== 8 || colorType !== 0) throw new Error(`only 8-bit grayscale is read here, got depth ${bitDepth} type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== height * (width + 1)) throw new Error(`inflated ${raw.length} bytes, expected ${height * (width + 1)}`);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)]!;
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? pixels[y * width + x - 1]! : 0;
      const b = y > 0 ? pixels[(y - 1) * width + x]! : 0;
      const c = x > 0 && y > 0 ? pixels[(y - 1) * width + x - 1]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter];
      if (predicted === undefined) throw new Error(`unknown filter ${filter} on row ${y}`);
      pixels[y * width + x] = (raw[y * (width + 1) + 1 + x]! + predicted) & 0xff;
    }
  }
  return { width, height, bitDepth, colorType, pixels, chunks };
}
