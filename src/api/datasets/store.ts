/**
 * Datasets in R2. Whatever form a dataset was uploaded in (CSV, JSON, raw float32), it is stored
 * once in its compact binary form: `datasets/{id}.f32`, the row-major float32 little-endian cells,
 * with the shape and the summary in customMetadata (so GET and list never read a body). Jobs read
 * the same form, so a job never parses text.
 */
import type { z } from '@hono/zod-openapi';
import type { Matrix } from '../../data/matrix.js';
import { ApiError } from '../problem.js';
import { listPage } from '../r2-list.js';
import type { DatasetSchema } from '../schemas.js';
import { DATASET_KEYS, isId, newId } from '../storage-keys.js';

export type DatasetSummary = z.infer<typeof DatasetSchema>;

/** Reads float32 cells stored by DatasetStore (or a job's inline data); null when the object is gone. */
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

/** Writes float32 cells with their shape (and any extra metadata). */
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

export class DatasetStore {
  constructor(private readonly bucket: R2Bucket) {}

  /** Stores a dataset under a new id. */
  async create(matrix: Matrix, name: string | null, format: DatasetSummary['format']): Promise<DatasetSummary> {
    const id = newId();
    const summary: DatasetSummary = {
      id,
      name,
      rows: matrix.rows,
      cols: matrix.cols,
      bytes: matrix.rows * matrix.cols * 4,
      format,
      createdAt: new Date().toISOString(),
    };
    await writeMatrixObject(this.bucket, DATASET_KEYS.key(id), matrix, {
      name: name ?? '',
      format,
      createdAt: summary.createdAt,
    });
    return summary;
  }

  /** Summary (shape, size, created) and etag of a dataset; null when there is none. */
  async head(id: string): Promise<(DatasetSummary & { etag: string }) | null> {
    if (!isId(id)) return null;
    const object = await this.bucket.head(DATASET_KEYS.key(id));
    return object ? { ...summaryOf(id, object), etag: object.etag } : null;
  }

  /** Deletes a dataset; false when there was none. */
  async delete(id: string): Promise<boolean> {
    if (!isId(id)) return false;
    if (!(await this.bucket.head(DATASET_KEYS.key(id)))) return false;
    await this.bucket.delete(DATASET_KEYS.key(id));
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
    const datasets = page.objects.map((object) => summaryOf(DATASET_KEYS.idOf(object.key), object));
    return { datasets, cursor: page.cursor };
  }
}

function summaryOf(id: string, object: R2Object): DatasetSummary {
  const meta = object.customMetadata ?? {};
  const format = meta.format === 'csv' || meta.format === 'json' ? meta.format : 'float32';
  return {
    id,
    name: meta.name ? meta.name : null,
    rows: Number(meta.rows ?? 0),
    cols: Number(meta.cols ?? 0),
    bytes: object.size,
    format,
    createdAt: meta.createdAt ?? object.uploaded.toISOString(),
  };
}

export function datasetNotFound(id: string): ApiError {
  return new ApiError(404, {
    type: 'dataset-not-found',
    title: 'Dataset not found',
    detail: `No dataset with id "${id.slice(0, 64)}".`,
  });
}
