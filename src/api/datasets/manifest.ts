/**
 * A dataset's manifest (datasets/{id}.json in R2): its shape, storage type, shard layout, each
 * shard's rows, length and SHA-256, and the per-column min/max. Written last, after every shard,
 * so a dataset exists whole or not at all. Its summary (what GET and list answer) is also the
 * object's customMetadata, so neither reads a body.
 */
import type { z } from '@hono/zod-openapi';
import type { DatasetSchema } from '../schemas.js';
import type { LabelShardEntry } from './label-codec.js';
import type { ShardEntry, ShardLayout, ShardStats } from './shard-codec.js';

export type DatasetSummary = z.infer<typeof DatasetSchema>;

/** The layout's fields but shardCount (which `shards` gives), and what else the manifest records. */
export interface DatasetManifest extends Omit<ShardLayout, 'shardCount'> {
  version: 1;
  id: string;
  name: string | null;
  format: DatasetSummary['format'];
  createdAt: string;
  shards: ShardEntry[];
  columnMin: number[];
  columnMax: number[];
  /** Each shard's labels (one per row, ./label-codec.ts), in shard order; absent when the dataset has none. */
  labels?: LabelShardEntry[];
}

/** Per-column min/max over shards, merged one shard at a time (so a caller need not hold them all). */
export class ColumnRange {
  readonly min: number[];
  readonly max: number[];

  constructor(cols: number) {
    this.min = new Array<number>(cols).fill(Infinity);
    this.max = new Array<number>(cols).fill(-Infinity);
  }

  add(shard: Pick<ShardStats, 'min' | 'max'>): void {
    for (let c = 0; c < this.min.length; c++) {
      if (shard.min[c]! < this.min[c]!) this.min[c] = shard.min[c]!;
      if (shard.max[c]! > this.max[c]!) this.max[c] = shard.max[c]!;
    }
  }
}

/** The manifest of a dataset whose shards (in order) are `shards`, with column range `range`. */
export function buildManifest(
  id: string,
  name: string | null,
  format: DatasetSummary['format'],
  layout: ShardLayout,
  shards: readonly ShardEntry[],
  range: ColumnRange,
  createdAt: string,
  labels?: readonly LabelShardEntry[],
): DatasetManifest {
  return {
    version: 1,
    id,
    name,
    rows: layout.rows,
    cols: layout.cols,
    type: layout.type,
    scale: layout.scale,
    offset: layout.offset,
    shardRows: layout.shardRows,
    format,
    createdAt,
    shards: shards.map(({ rows, bytes, sha256 }) => ({ rows, bytes, sha256 })),
    columnMin: range.min,
    columnMax: range.max,
    ...(labels === undefined ? {} : { labels: labels.map(({ bytes, sha256 }) => ({ bytes, sha256 })) }),
  };
}

export function layoutOf(manifest: DatasetManifest): ShardLayout {
  const { rows, cols, type, scale, offset, shardRows } = manifest;
  return { rows, cols, type, scale, offset, shardRows, shardCount: manifest.shards.length };
}

export function summaryOf(manifest: DatasetManifest): DatasetSummary {
  return {
    id: manifest.id,
    name: manifest.name,
    rows: manifest.rows,
    cols: manifest.cols,
    bytes: manifest.shards.reduce((sum, shard) => sum + shard.bytes, 0),
    format: manifest.format,
    type: manifest.type,
    scale: manifest.scale,
    offset: manifest.offset,
    shardRows: manifest.shardRows,
    shardCount: manifest.shards.length,
    createdAt: manifest.createdAt,
    labelled: manifest.labels !== undefined,
  };
}
