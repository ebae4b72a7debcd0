/**
 * What one job slice spent its wall time on, for its `job.slice` log line: loading the run (after
 * a restart or eviction: the checkpoint, the backend), shard reads (an R2 get, the SHA-256 check
 * and the decode of each), the pieces of compute between yields, and the writes at its end (the
 * checkpoint to R2, the record, or the finished model). A slice over its budget says which of
 * them took the time (docs/JOBS.md, Answering while running).
 */
import type { ShardSource } from '../../data/shard-source.js';

export interface SliceStats {
  /** Building the run from the checkpoint (0 when it was live in memory). */
  loadMs: number;
  /** Shards read during the slice, and the wall time of those reads. */
  reads: number;
  readMs: number;
  /** Pieces of compute (yields + 1), and the longest (shard reads in it included). */
  pieces: number;
  longestPieceMs: number;
  /** The checkpoint's R2 put, or the model's save on the last slice. */
  writeMs: number;
  /** The record's put to the object's storage. */
  recordMs: number;
}

export function emptySliceStats(): SliceStats {
  return { loadMs: 0, reads: 0, readMs: 0, pieces: 0, longestPieceMs: 0, writeMs: 0, recordMs: 0 };
}

/** `source`, counting each read and its wall time into `stats()` (the current slice's). */
export function timedShardSource(source: ShardSource, stats: () => SliceStats): ShardSource {
  return {
    rows: source.rows,
    cols: source.cols,
    shardRows: source.shardRows,
    shardCount: source.shardCount,
    columnMin: source.columnMin,
    columnMax: source.columnMax,
    async readShard(index) {
      const start = Date.now();
      try {
        return await source.readShard(index);
      } finally {
        const current = stats();
        current.reads += 1;
        current.readMs += Date.now() - start;
      }
    },
  };
}
