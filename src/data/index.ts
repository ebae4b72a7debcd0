/**
 * Data parsing that runs anywhere (Node and the Worker). Reading files from disk is in
 * ./read-file.ts, which is Node only and deliberately not re-exported here.
 */
export { type Matrix, FLOAT32_MAX, isMatrix, toMatrix, matrixRow, matrixToRows, describeBadValue } from './matrix.js';
export { type CsvData, parseCsv, formatCsv, formatFloat32 } from './csv.js';
export { parseJsonData, parseJsonText, formatJsonRows } from './json.js';
export { formatNpy, isNpy, parseNpy } from './npy.js';
export { shardRowCount, shardRowsFor, SHARD_BYTES, WINDOW_SHARDS, type ShardSource } from './shard-source.js';
export { matrixShardSource } from './matrix-shard-source.js';
