/**
 * Data that need not be in memory whole: a data set as a sequence of shards (fixed-size blocks of
 * rows), read one shard at a time. The one interface behind streamed training in the library,
 * the CLI (a file on disk) and jobs (a dataset's shards in R2); the row order of streamed
 * training over it is docs/SPEC.md's "Row order of streamed data".
 *
 * Shard `i` holds rows `i·shardRows … min((i+1)·shardRows, rows) − 1`: every shard has
 * `shardRows` rows except the last, which may have fewer (never 0).
 */
import { DataError } from '../errors.js';

export interface ShardSource {
  /** Rows and columns of the whole data set. */
  readonly rows: number;
  readonly cols: number;
  /** Rows of every shard but the last. */
  readonly shardRows: number;
  /** ⌈rows / shardRows⌉. */
  readonly shardCount: number;
  /**
   * Per-column minimum and maximum over every row (length `cols`), in the caller's scale: what
   * minmax normalisation is fitted from, without a pass over the data.
   */
  readonly columnMin: Float32Array;
  readonly columnMax: Float32Array;
  /**
   * The rows of shard `index` (0-based), row-major, `rowsOf(index) × cols` float32 values in the
   * caller's scale (a uint8 shard is decoded here). Each call returns a fresh array the caller
   * may keep or drop. Rejects with a DataError naming the shard when it cannot be read whole
   * (a missing object, a wrong length, a checksum that does not match).
   */
  readShard(index: number): Promise<Float32Array>;
}

/**
 * The rows of shard `index` as read: a DataError (named by `label`) unless `values` holds exactly
 * that shard's rows × cols numbers. Every reader of shards checks with this one.
 */
export function checkShardLength(source: ShardSource, index: number, values: Float32Array, label = 'data'): number {
  const rows = shardRowCount(source, index);
  if (values.length !== rows * source.cols) {
    throw new DataError(`shard ${index} has ${values.length} values, expected ${rows} rows × ${source.cols} columns`, { source: label });
  }
  return rows;
}

/** Throws the DataError a ShardSource's readShard gives for an index it does not have. */
export function checkShardIndex(index: number, shardCount: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= shardCount) {
    throw new DataError(`there is no shard ${index} (the data has ${shardCount})`, { source: 'data' });
  }
}

/** Rows of shard `index` of `source`. */
export function shardRowCount(source: Pick<ShardSource, 'rows' | 'shardRows'>, index: number): number {
  return Math.min(source.shardRows, source.rows - index * source.shardRows);
}

/** Float32 values in one shard: 2²⁰, 4 MiB (docs/SPEC.md §2.1). */
export const SHARD_VALUES = 2 ** 20;

/** Bytes of a shard as float32 (docs/SPEC.md §2.1): 4 MiB. */
export const SHARD_BYTES = SHARD_VALUES * 4;

/** Shards a window holds at most (docs/SPEC.md §2.1). */
export const WINDOW_SHARDS = 4;

/**
 * Rows of every shard but the last for data `cols` wide: ⌊2²⁰ / cols⌋, at least 1. Fixed by the
 * width alone (docs/SPEC.md §2.1), so a file read by the CLI and the same file stored as a
 * dataset are cut into the same shards.
 */
export function shardRowsFor(cols: number): number {
  return Math.max(1, Math.floor(SHARD_VALUES / cols));
}

/** ⌈rows / shardRows⌉: how many shards `rows` rows make. */
export function shardCountFor(rows: number, shardRows: number): number {
  return Math.ceil(rows / shardRows);
}
