/**
 * Datasets in R2 (docs/JOBS.md, Datasets). A dataset is a manifest (datasets/{id}.json,
 * ./manifest.ts) plus its shards (dataset-shards/{id}/{i}.bin, ./shard-codec.ts), each object
 * written whole and the manifest last. Whatever form a dataset was uploaded in (CSV, JSON, raw
 * float32, uint8 parts), it is stored in its compact binary form, so a job never parses text.
 *
 * Datasets stored before shards (datasets/{id}.f32: all the float32 cells in one object, the
 * shape in customMetadata) are still listed, read and deleted: ./dataset-source.ts reads them
 * as one layout more. Nothing writes that layout any more.
 */
import { shardCountFor, shardRowsFor } from '../../data/shard-source.js';
import type { Matrix } from '../../data/matrix.js';
import { ApiError } from '../problem.js';
import { listPage } from '../r2-list.js';
import { DATASET_KEYS, LEGACY_DATASET_KEYS, isId, labelShardKey, newId, shardKey, shardPrefix } from '../storage-keys.js';
import { encodeLabelShard, labelShardEntry, type LabelShardEntry } from './label-codec.js';
import { buildManifest, ColumnRange, summaryOf, type DatasetManifest, type DatasetSummary } from './manifest.js';
import { checkShard, type ShardEntry, type ShardLayout } from './shard-codec.js';

export type { DatasetSummary } from './manifest.js';

/** Reads float32 cells stored by writeMatrixObject (a job's inline data, a legacy dataset); null when gone. */
export async function readMatrixObject(bucket: R2Bucket, key: string): Promise<{ matrix: Matrix; etag: string } | null> {
  const object = await bucket.get(key);
  if (!object) return null;
  const rows = Number(object.customMetadata?.rows);
  const cols = Number(object.customMetadata?.cols);
  const buffer = await object.arrayBuffer();
  if (!(rows > 0 && cols > 0) || buffer.byteLength !== rows * cols * 4) {
    throw new Error(`stored data ${key} does not match its shape ${rows} × ${cols}`);
  }
  return { matrix: { rows, cols, data: new Float32Array(buffer) }, etag: object.etag };
}

/** Writes float32 cells with their shape (and any extra metadata): a job's inline data. */
export async function writeMatrixObject(
  bucket: R2Bucket,
  key: string,
  matrix: Matrix,
  metadata: Record<string, string> = {},
): Promise<void> {
  const bytes = new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.rows * matrix.cols * 4);
  await bucket.put(key, bytes, {
    httpMetadata: { contentType: 'application/octet-stream' },
    customMetadata: { ...metadata, rows: String(matrix.rows), cols: String(matrix.cols) },
  });
}

/** The float32 shard layout of `rows × cols` (docs/SPEC.md §2.1 fixes shardRows). */
export function float32Layout(rows: number, cols: number): ShardLayout {
  const shardRows = shardRowsFor(cols);
  return { rows, cols, type: 'float32', scale: 1, offset: 0, shardRows, shardCount: shardCountFor(rows, shardRows) };
}

/** Writes a manifest: the step that makes a dataset exist. */
export async function writeManifest(bucket: R2Bucket, manifest: DatasetManifest): Promise<void> {
  await bucket.put(DATASET_KEYS.key(manifest.id), JSON.stringify(manifest), {
    httpMetadata: { contentType: 'application/json' },
    customMetadata: { summary: JSON.stringify(summaryOf(manifest)) },
  });
}

/** Deletes every shard object of a dataset (or part of its upload), page by page. */
export async function deleteShards(bucket: R2Bucket, datasetId: string): Promise<void> {
  for (;;) {
    const page = await bucket.list({ prefix: shardPrefix(datasetId), limit: 1000 });
    if (page.objects.length === 0) return;
    await bucket.delete(page.objects.map((object) => object.key));
    if (!page.truncated) return;
  }
}

/** A stored dataset's summary, and the key whose presence says it exists (what a job watches). */
export interface DatasetHead extends DatasetSummary {
  key: string;
}

export class DatasetStore {
  constructor(private readonly bucket: R2Bucket) {}

  /**
   * Stores a dataset of float32 cells (checked by the caller) under a new id: shards (and, with
   * `labels`, one label a row, checked by the caller, beside each shard), then the manifest.
   */
  async create(matrix: Matrix, name: string | null, format: DatasetSummary['format'], labels?: readonly string[]): Promise<DatasetSummary> {
    if (labels !== undefined && labels.length !== matrix.rows) throw new Error(`${labels.length} labels for ${matrix.rows} rows`);
    const id = newId();
    const layout = float32Layout(matrix.rows, matrix.cols);
    const all = new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.rows * matrix.cols * 4);
    const shards: ShardEntry[] = [];
    const labelShards: LabelShardEntry[] = [];
    const range = new ColumnRange(layout.cols);
    const shardBytes = layout.shardRows * layout.cols * 4;
    for (let i = 0; i < layout.shardCount; i++) {
      const bytes = all.subarray(i * shardBytes, Math.min((i + 1) * shardBytes, all.length));
      const { stats } = await checkShard(layout, i, bytes, `shard ${i}`);
      shards.push(stats);
      range.add(stats);
      await this.bucket.put(shardKey(id, i), bytes.slice());
      if (labels !== undefined) {
        const stored = encodeLabelShard(labels.slice(i * layout.shardRows, (i + 1) * layout.shardRows));
        labelShards.push(await labelShardEntry(stored));
        await this.bucket.put(labelShardKey(id, i), stored);
      }
    }
    const manifest = buildManifest(id, name, format, layout, shards, range, new Date().toISOString(), labels === undefined ? undefined : labelShards);
    await writeManifest(this.bucket, manifest);
    return summaryOf(manifest);
  }

  /** Summary and key of a dataset (either layout); null when there is none. */
  async head(id: string): Promise<DatasetHead | null> {
    if (!isId(id)) return null;
    const manifest = await this.bucket.head(DATASET_KEYS.key(id));
    if (manifest) return { ...manifestSummary(manifest), key: manifest.key };
    const legacy = await this.bucket.head(LEGACY_DATASET_KEYS.key(id));
    return legacy ? { ...legacySummary(id, legacy), key: legacy.key } : null;
  }

  /** Deletes a dataset: its manifest first (so it is gone at once), then its shards; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const found = await this.head(id);
    if (!found) return false;
    await this.bucket.delete(found.key);
    await deleteShards(this.bucket, id);
    return true;
  }

  /** One page of summaries in id order. */
  async list(limit: number, cursor: string | undefined): Promise<{ datasets: DatasetSummary[]; cursor: string | null }> {
    const page = await listPage(this.bucket, DATASET_KEYS.prefix, limit, cursor, (error) => {
      console.error('edge-sae: dataset storage failed while listing', error);
      return new ApiError(503, {
        type: 'storage-unavailable',
        title: 'Service Unavailable',
        detail: 'The dataset store failed while listing. Retry later.',
        headers: { 'retry-after': '1' },
      });
    });
    const datasets = page.objects.map((object) =>
      object.key.endsWith('.json') ? manifestSummary(object) : legacySummary(LEGACY_DATASET_KEYS.idOf(object.key), object),
    );
    return { datasets, cursor: page.cursor };
  }
}

function manifestSummary(object: R2Object): DatasetSummary {
  const summary = JSON.parse(object.customMetadata?.summary ?? '{}') as DatasetSummary;
  // (a dataset stored before labels has no `labelled` in its metadata)
  return { ...summary, labelled: summary.labelled ?? false };
}

/** The summary of a dataset of the first layout (one float32 object). */
function legacySummary(id: string, object: R2Object): DatasetSummary {
  const meta = object.customMetadata ?? {};
  const format = meta.format === 'csv' || meta.format === 'json' ? meta.format : 'float32';
  const rows = Number(meta.rows ?? 0);
  const cols = Number(meta.cols ?? 0);
  const layout = float32Layout(rows, Math.max(1, cols));
  return {
    id,
    name: meta.name ? meta.name : null,
    rows,
    cols,
    bytes: object.size,
    format,
    type: 'float32',
    scale: 1,
    offset: 0,
    shardRows: layout.shardRows,
    shardCount: layout.shardCount,
    createdAt: meta.createdAt ?? object.uploaded.toISOString(),
    labelled: false,
  };
}

export function datasetNotFound(id: string): ApiError {
  return new ApiError(404, {
    type: 'dataset-not-found',
    title: 'Dataset not found',
    detail: `No dataset with id "${id.slice(0, 64)}".`,
  });
}
