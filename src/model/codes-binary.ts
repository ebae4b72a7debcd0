/**
 * The binary form of encode's answers (`Accept: application/octet-stream`), for many rows: no JSON
 * numbers to print and parse. Little-endian throughout, every field 4-byte aligned. A 16-byte header:
 *
 * | bytes | field |
 * |---|---|
 * | 0–3 | magic, ASCII: `ESSC` (sparse codes) or `ESDC` (dense codes) |
 * | 4–7 | u32 rows |
 * | 8–11 | u32 h (features a row's indices range over; a dense row's width) |
 * | 12–15 | u32 entries: sparse, the total count of (index, value) pairs; dense, 0 |
 *
 * Sparse, after the header: u32 count[rows] (each row's pairs), u32 index[entries], f32 value[entries],
 * the rows one after another, each in the answer's order (value descending, ties by index).
 * Dense, after the header: f32 code[rows × h], row-major.
 * docs/API.md, "Binary answers", describes the same; src/api/openapi.ts points there.
 */
import { DataError } from '../errors.js';
import type { Matrix } from '../data/matrix.js';
import type { SparseCodes } from './sparse-codes.js';

export const SPARSE_MAGIC = 'ESSC';
export const DENSE_MAGIC = 'ESDC';
const HEADER_BYTES = 16;

function header(view: DataView, magic: string, rows: number, cols: number, entries: number): void {
  for (let i = 0; i < 4; i++) view.setUint8(i, magic.charCodeAt(i));
  view.setUint32(4, rows, true);
  view.setUint32(8, cols, true);
  view.setUint32(12, entries, true);
}

/** Sparse codes in the binary form. */
export function sparseCodesToBytes(sparse: SparseCodes): Uint8Array<ArrayBuffer> {
  const { rows, cols, offsets, indices, values } = sparse;
  const entries = indices.length;
  const bytes = new Uint8Array(HEADER_BYTES + 4 * rows + 8 * entries);
  const view = new DataView(bytes.buffer);
  header(view, SPARSE_MAGIC, rows, cols, entries);
  let at = HEADER_BYTES;
  for (let i = 0; i < rows; i++, at += 4) view.setUint32(at, offsets[i + 1]! - offsets[i]!, true);
  for (let e = 0; e < entries; e++, at += 4) view.setUint32(at, indices[e]!, true);
  for (let e = 0; e < entries; e++, at += 4) view.setFloat32(at, values[e]!, true);
  return bytes;
}

/** Dense codes in the binary form. */
export function denseCodesToBytes(codes: Matrix): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(HEADER_BYTES + 4 * codes.rows * codes.cols);
  const view = new DataView(bytes.buffer);
  header(view, DENSE_MAGIC, codes.rows, codes.cols, 0);
  for (let e = 0, at = HEADER_BYTES; e < codes.data.length; e++, at += 4) view.setFloat32(at, codes.data[e]!, true);
  return bytes;
}

function magicOf(bytes: Uint8Array): string {
  return bytes.length < 4 ? '' : String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
}

/** Reads either binary form: sparse codes (ESSC) or a dense matrix (ESDC); throws DataError naming what is wrong. */
export function codesFromBytes(bytes: Uint8Array, source = 'body'): { sparse: SparseCodes } | { dense: Matrix } {
  if (bytes.length < HEADER_BYTES) throw new DataError(`${source}: ${bytes.length} bytes is shorter than the 16-byte header of the binary codes form`, { source });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = magicOf(bytes);
  const rows = view.getUint32(4, true);
  const cols = view.getUint32(8, true);
  const entries = view.getUint32(12, true);
  if (magic === DENSE_MAGIC) {
    const expected = HEADER_BYTES + 4 * rows * cols;
    if (bytes.length !== expected) throw new DataError(`${source}: a dense block of ${rows} × ${cols} takes ${expected} bytes; got ${bytes.length}`, { source });
    const data = new Float32Array(rows * cols);
    for (let e = 0; e < data.length; e++) data[e] = view.getFloat32(HEADER_BYTES + 4 * e, true);
    return { dense: { rows, cols, data } };
  }
  if (magic !== SPARSE_MAGIC) throw new DataError(`${source}: the binary codes form starts with "${SPARSE_MAGIC}" or "${DENSE_MAGIC}"`, { source });
  const expected = HEADER_BYTES + 4 * rows + 8 * entries;
  if (bytes.length !== expected) throw new DataError(`${source}: ${rows} rows with ${entries} entries take ${expected} bytes; got ${bytes.length}`, { source });
  const offsets = new Uint32Array(rows + 1);
  let at = HEADER_BYTES;
  for (let i = 0; i < rows; i++, at += 4) offsets[i + 1] = offsets[i]! + view.getUint32(at, true);
  if (offsets[rows] !== entries) throw new DataError(`${source}: the row counts add up to ${offsets[rows]}, not the header's ${entries} entries`, { source });
  const indices = new Uint32Array(entries);
  for (let e = 0; e < entries; e++, at += 4) indices[e] = view.getUint32(at, true);
  const values = new Float32Array(entries);
  for (let e = 0; e < entries; e++, at += 4) values[e] = view.getFloat32(at, true);
  return { sparse: { rows, cols, offsets, indices, values } };
}
