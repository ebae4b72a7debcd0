/**
 * The bytes of one shard of a dataset (docs/JOBS.md, Datasets): how long they must be, what they
 * stand for, and what the manifest records of them (rows, byte length, SHA-256, column min/max).
 * Shared by POST /v1/datasets, the parts of an upload (checked on arrival) and the reads of a job,
 * so a shard is judged the same way wherever it comes from.
 *
 *   float32  4 bytes a value, little-endian, row-major
 *   uint8    1 byte a value: byte b stands for b·scale + offset (rounded to float32)
 */
import { DataError } from '../../errors.js';
import { shardRowCount } from '../../data/shard-source.js';

export type StorageType = 'float32' | 'uint8';

export const BYTES_PER_VALUE: Readonly<Record<StorageType, number>> = { float32: 4, uint8: 1 };

/** The shape and encoding of a dataset's shards: everything needed to check or decode one. */
export interface ShardLayout {
  rows: number;
  cols: number;
  type: StorageType;
  /** uint8 only (1 and 0 for float32): a byte b stands for b·scale + offset. */
  scale: number;
  offset: number;
  shardRows: number;
  shardCount: number;
}

/** What a manifest records of one shard. */
export interface ShardEntry {
  rows: number;
  bytes: number;
  /** SHA-256 of the stored bytes, lower-case hex. */
  sha256: string;
}

/** A shard's entry and its per-column min/max (in the caller's scale). */
export interface ShardStats extends ShardEntry {
  min: number[];
  max: number[];
}

/** Bytes shard `index` of `layout` must have. */
export function shardByteLength(layout: ShardLayout, index: number): number {
  return shardRowCount(layout, index) * layout.cols * BYTES_PER_VALUE[layout.type];
}

/** SHA-256 of `bytes`, lower-case hex (crypto.subtle: the same in Workers and Node). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** The 256 values a uint8 byte stands for, as float32. */
function byteTable(scale: number, offset: number): Float32Array {
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = b * scale + offset;
  return table;
}

/** The float32 values (caller's scale) of a shard's bytes, whose length has been checked. */
export function decodeShard(layout: ShardLayout, bytes: Uint8Array): Float32Array {
  if (layout.type === 'uint8') {
    const table = byteTable(layout.scale, layout.offset);
    const values = new Float32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) values[i] = table[bytes[i]!]!;
    return values;
  }
  // A copy: the caller may keep it, and a view needs 4-byte alignment the input may not have.
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

/**
 * Checks the bytes of shard `index` (its exact length; for float32, every value finite) and
 * returns its decoded values with what the manifest records of it. A DataError names `source`
 * (e.g. "part 3") and the dataset row and column (1-based) of the first bad value.
 */
export async function checkShard(
  layout: ShardLayout,
  index: number,
  bytes: Uint8Array,
  source: string,
): Promise<{ values: Float32Array; stats: ShardStats }> {
  if (!Number.isInteger(index) || index < 0 || index >= layout.shardCount) {
    throw new DataError(`there is no part ${index}; this upload has parts 0 … ${layout.shardCount - 1}`, { source });
  }
  const expected = shardByteLength(layout, index);
  const rows = shardRowCount(layout, index);
  if (bytes.length !== expected) {
    throw new DataError(
      `has ${bytes.length} bytes; it must have ${expected} (${rows} rows × ${layout.cols} columns of ${layout.type})`,
      { source },
    );
  }
  const values = decodeShard(layout, bytes);
  const { cols } = layout;
  const min = new Array<number>(cols).fill(Infinity);
  const max = new Array<number>(cols).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const value = values[r * cols + c]!;
      if (!Number.isFinite(value)) {
        throw new DataError(`${Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'} is not a finite number`, {
          source,
          row: index * layout.shardRows + r + 1,
          column: c + 1,
        });
      }
      if (value < min[c]!) min[c] = value;
      if (value > max[c]!) max[c] = value;
    }
  }
  return { values, stats: { rows, bytes: bytes.length, sha256: await sha256Hex(bytes), min, max } };
}
