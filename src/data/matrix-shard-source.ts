/**
 * A ShardSource over a Matrix already in memory: for tests, and for library callers who have the
 * rows at hand but want the streamed row order (e.g. to train exactly as a job on the same data).
 */
import { ColumnScan } from './column-scan.js';
import { toMatrix, type Matrix } from './matrix.js';
import { checkShardIndex, shardRowsFor, type ShardSource } from './shard-source.js';

/**
 * `matrix` cut into shards of `shardRows` rows (default: §2.1's size for its width). Smaller
 * shards than the default only make sense in tests: the CLI and jobs always use the default.
 */
export function matrixShardSource(matrix: Matrix, shardRows = shardRowsFor(matrix.cols)): ShardSource {
  const checked = toMatrix(matrix, 'data');
  if (!Number.isInteger(shardRows) || shardRows < 1) throw new RangeError(`shardRows must be a whole number ≥ 1, got ${shardRows}`);
  const { rows, cols, data } = checked;
  const scan = new ColumnScan(cols);
  scan.add(data, 1);
  const { min: columnMin, max: columnMax } = scan;
  const shardCount = Math.ceil(rows / shardRows);
  return {
    rows,
    cols,
    shardRows,
    shardCount,
    columnMin,
    columnMax,
    async readShard(index) {
      checkShardIndex(index, shardCount);
      return data.slice(index * shardRows * cols, Math.min((index + 1) * shardRows, rows) * cols);
    },
  };
}
