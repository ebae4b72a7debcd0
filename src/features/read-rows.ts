/** The values of a few rows of a ShardSource (the rows a result shows), reading only their shards. */
import type { ShardSource } from '../data/shard-source.js';

export async function readRows(source: ShardSource, rows: readonly number[]): Promise<Map<number, Float32Array>> {
  const out = new Map<number, Float32Array>();
  const byShard = new Map<number, number[]>();
  for (const row of rows) {
    if (!Number.isInteger(row) || row < 0 || row >= source.rows) throw new RangeError(`there is no row ${row} (the data has ${source.rows})`);
    const shard = Math.floor(row / source.shardRows);
    byShard.set(shard, [...(byShard.get(shard) ?? []), row]);
  }
  for (const [shard, wanted] of [...byShard].sort((a, b) => a[0] - b[0])) {
    const values = await source.readShard(shard);
    for (const row of wanted) {
      const i = row - shard * source.shardRows;
      out.set(row, values.slice(i * source.cols, (i + 1) * source.cols));
    }
  }
  return out;
}
