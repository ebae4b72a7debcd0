/**
 * A batch encode's durable record (what its Durable Object keeps) and its public view. Plain
 * data. The codes are written as a new dataset, `outputId`, in the datasets' own storage: shard
 * `j` of the codes (rows j·shardRows …, of `hiddenSize` columns) is written whole by slice j,
 * and the manifest last, so the codes dataset appears whole or not at all.
 */
import type { SliceBookkeeping } from '../slice-bookkeeping.js';
import type { z } from '@hono/zod-openapi';
import type { ShardEntry } from '../datasets/shard-codec.js';
import type { JobStatus } from '../jobs/record.js';
import type { EncodeJobSchema } from './schemas.js';

export type EncodeJobView = z.infer<typeof EncodeJobSchema>;

export interface EncodeJobInit {
  id: string;
  modelId: string;
  /** The model's version when the encode started: a retrain meanwhile fails the encode rather than mixing two models' codes. */
  modelVersion: number;
  datasetId: string;
  /** The id the codes dataset gets, fixed at the start so a retried last slice writes the same one. */
  outputId: string;
  name: string | null;
  rows: number;
  inputSize: number;
  hiddenSize: number;
}

export interface EncodeJobRecord extends EncodeJobInit, SliceBookkeeping {
  status: JobStatus;
  /** The next shard of the codes to write; every one before it is stored and listed in `shards`. */
  nextShard: number;
  shardCount: number;
  shardRows: number;
  shards: ShardEntry[];
  columnMin: number[];
  columnMax: number[];
}

export function encodeJobView(record: EncodeJobRecord): EncodeJobView {
  const rowsDone = Math.min(record.rows, record.nextShard * record.shardRows);
  const running = record.status === 'queued' || record.status === 'running';
  return {
    id: record.id,
    status: record.status,
    modelId: record.modelId,
    modelVersion: record.modelVersion,
    datasetId: record.datasetId,
    rows: record.rows,
    rowsDone,
    shardsDone: record.nextShard,
    shardCount: record.shardCount,
    etaSeconds: running && record.nextShard > 0 ? Math.round(((record.sliceMs / record.nextShard) * (record.shardCount - record.nextShard)) / 100) / 10 : record.status === 'succeeded' ? 0 : null,
    outputDatasetId: record.status === 'succeeded' ? record.outputId : null,
    error: record.error,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    updatedAt: record.updatedAt,
    finishedAt: record.finishedAt,
  };
}
