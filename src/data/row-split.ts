/**
 * Held-out rows for validation (the `validationSplit` option): row i of the data (0-based, in
 * stored order) is held out when a seeded hash of its index falls below the fraction. The choice
 * depends on the seed, the fraction and the row's index only, not on how the data is stored or
 * cut, so the library on a Matrix, the CLI on a file and a job on a dataset hold out the same rows.
 *
 * The kept (training) rows and the held-out rows are each a data set of their own, in stored
 * order: a Matrix for data in memory, a ShardSource view for streamed data (shards of the same
 * shardRows, read by filtering the underlying shards, so nothing is read twice into memory).
 * The per-column min and max of both views are the whole data's (what minmax is fitted from
 * without a pass): a held-out row's values may set the scaling's range, nothing more.
 */
import type { Matrix } from './matrix.js';
import { checkShardIndex, shardRowCount, type ShardSource } from './shard-source.js';

/** Whether row `row` is held out (murmur3's 32-bit finaliser of the index, xor the seed). */
export function isHeldOut(row: number, seed: number, fraction: number): boolean {
  if (fraction <= 0) return false;
  let h = Math.imul(row ^ 0x9e3779b9, 0x85ebca6b) ^ seed;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32 < fraction;
}

/** How many of `rows` rows are kept for training (not held out): one pass of hashes, no data read. */
export function keptRowCount(rows: number, seed: number, fraction: number): number {
  let held = 0;
  for (let i = 0; i < rows; i++) if (isHeldOut(i, seed, fraction)) held++;
  return rows - held;
}

/** The kept and the held-out rows of `matrix`, each in stored order (copies). */
export function splitMatrix(matrix: Matrix, fraction: number, seed: number): { train: Matrix; validation: Matrix } {
  const { rows, cols, data } = matrix;
  let held = 0;
  for (let i = 0; i < rows; i++) if (isHeldOut(i, seed, fraction)) held++;
  const train = new Float32Array((rows - held) * cols);
  const validation = new Float32Array(held * cols);
  let t = 0;
  let v = 0;
  for (let i = 0; i < rows; i++) {
    const row = data.subarray(i * cols, (i + 1) * cols);
    if (isHeldOut(i, seed, fraction)) validation.set(row, cols * v++);
    else train.set(row, cols * t++);
  }
  return { train: { rows: rows - held, cols, data: train }, validation: { rows: held, cols, data: validation } };
}

/**
 * The kept and the held-out rows of `source` as ShardSources. Counting them takes one pass of
 * hashes over the row indices (no data is read); a view's shard is read from the underlying
 * shards it spans, filtered.
 */
export function splitSource(source: ShardSource, fraction: number, seed: number): { train: ShardSource; validation: ShardSource } {
  const perShard = { train: new Float64Array(source.shardCount), validation: new Float64Array(source.shardCount) };
  for (let s = 0; s < source.shardCount; s++) {
    const first = s * source.shardRows;
    const count = shardRowCount(source, s);
    let held = 0;
    for (let i = first; i < first + count; i++) if (isHeldOut(i, seed, fraction)) held++;
    perShard.validation[s] = held;
    perShard.train[s] = count - held;
  }
  return {
    train: filteredView(source, perShard.train, (row) => !isHeldOut(row, seed, fraction)),
    validation: filteredView(source, perShard.validation, (row) => isHeldOut(row, seed, fraction)),
  };
}

function filteredView(source: ShardSource, keptPerShard: Float64Array, keep: (row: number) => boolean): ShardSource {
  const { cols, shardRows } = source;
  // before[s]: kept rows in the underlying shards before s, so a view shard finds where it starts.
  const before = new Float64Array(source.shardCount + 1);
  for (let s = 0; s < source.shardCount; s++) before[s + 1] = before[s]! + keptPerShard[s]!;
  const rows = before[source.shardCount]!;
  const shardCount = Math.ceil(rows / shardRows);
  return {
    rows,
    cols,
    shardRows,
    shardCount,
    columnMin: source.columnMin,
    columnMax: source.columnMax,
    async readShard(index) {
      checkShardIndex(index, shardCount);
      const start = index * shardRows;
      const wanted = Math.min(shardRows, rows - start);
      const out = new Float32Array(wanted * cols);
      // The underlying shard holding the view's row `start`: the last s with before[s] ≤ start.
      let s = 0;
      while (before[s + 1]! <= start) s++;
      let skip = start - before[s]!;
      let filled = 0;
      for (; filled < wanted && s < source.shardCount; s++) {
        const values = await source.readShard(s);
        const first = s * shardRows;
        const count = shardRowCount(source, s);
        for (let r = 0; r < count && filled < wanted; r++) {
          if (!keep(first + r)) continue;
          if (skip > 0) {
            skip--;
            continue;
          }
          out.set(values.subarray(r * cols, (r + 1) * cols), filled * cols);
          filled++;
        }
      }
      return out;
    },
  };
}
