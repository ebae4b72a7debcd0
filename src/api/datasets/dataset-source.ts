/**
 * A stored dataset as a ShardSource (src/data/shard-source.ts): what a job trains on. Opening
 * reads the manifest only (shape, shard layout, column min/max); each readShard reads one shard
 * object and checks its length and SHA-256 against the manifest before decoding it. A dataset of
 * the first layout (one float32 object, datasets/{id}.f32, at most 16 MiB by the limits it was
 * stored under) is read whole at open and cut into the same shards.
 */
import { DataError } from '../../errors.js';
import type { Matrix } from '../../data/matrix.js';
import { shardRowCount, type ShardSource } from '../../data/shard-source.js';
import type { RowLabels } from '../../data/row-labels.js';
import { DATASET_KEYS, LEGACY_DATASET_KEYS, isId, labelShardKey, shardKey } from '../storage-keys.js';
import { decodeLabelShard } from './label-codec.js';
import { layoutOf, type DatasetManifest } from './manifest.js';
import { decodeShard, sha256Hex } from './shard-codec.js';
import { float32Layout, readMatrixObject } from './store.js';

/** A stored dataset's ShardSource, which can also check that every shard is there at its length. */
export interface StoredDatasetSource extends ShardSource {
  /** Each row's label, when the dataset was stored with labels (read a shard's labels at a time, checked by SHA-256). */
  readonly labels?: RowLabels;
  /**
   * Throws DataError naming the first shard that is missing or not the length its manifest says
   * (one HEAD per shard, no body read: the SHA-256 is checked as each shard is read).
   */
  checkStored(): Promise<void>;
}

/** HEADs in flight at once in checkStored. */
const HEAD_BATCH = 32;

/** The dataset `id` in `bucket` as a ShardSource; null when there is no such dataset. */
export async function openDatasetSource(bucket: R2Bucket, id: string): Promise<StoredDatasetSource | null> {
  if (!isId(id)) return null;
  const object = await bucket.get(DATASET_KEYS.key(id));
  if (object) {
    let manifest: DatasetManifest;
    try {
      manifest = JSON.parse(await object.text()) as DatasetManifest;
    } catch {
      throw new DataError('its manifest is not valid JSON: the stored dataset is corrupt', { source: `dataset ${id}` });
    }
    return manifestSource(bucket, manifest);
  }
  const legacy = await readMatrixObject(bucket, LEGACY_DATASET_KEYS.key(id));
  // (read whole and checked against its shape at open: nothing more to check)
  return legacy ? { ...matrixSource(legacy.matrix), checkStored: () => Promise.resolve() } : null;
}

function manifestSource(bucket: R2Bucket, manifest: DatasetManifest): StoredDatasetSource {
  const layout = layoutOf(manifest);
  const label = (index: number) => `dataset ${manifest.id} shard ${index}`;
  const labels = storedLabels(bucket, manifest);
  return {
    ...(labels === undefined ? {} : { labels }),
    rows: manifest.rows,
    cols: manifest.cols,
    shardRows: manifest.shardRows,
    shardCount: manifest.shards.length,
    columnMin: Float32Array.from(manifest.columnMin),
    columnMax: Float32Array.from(manifest.columnMax),
    async checkStored() {
      for (let start = 0; start < manifest.shards.length; start += HEAD_BATCH) {
        const batch = manifest.shards.slice(start, start + HEAD_BATCH);
        const heads = await Promise.all(batch.map((_, k) => bucket.head(shardKey(manifest.id, start + k))));
        for (const [k, head] of heads.entries()) {
          if (!head) throw new DataError('is missing from storage (was the dataset deleted?)', { source: label(start + k) }, 'missing');
          if (head.size !== batch[k]!.bytes) throw new DataError(`has ${head.size} bytes; its manifest says ${batch[k]!.bytes}`, { source: label(start + k) });
        }
      }
    },
    async readShard(index) {
      const entry = manifest.shards[index];
      if (!Number.isInteger(index) || !entry) {
        throw new DataError(`there is no shard ${index}; the dataset has ${manifest.shards.length}`, { source: `dataset ${manifest.id}` });
      }
      const object = await bucket.get(shardKey(manifest.id, index));
      if (!object) throw new DataError('is missing from storage (was the dataset deleted?)', { source: label(index) }, 'missing');
      const bytes = new Uint8Array(await object.arrayBuffer());
      if (bytes.length !== entry.bytes) {
        throw new DataError(`has ${bytes.length} bytes; its manifest says ${entry.bytes}`, { source: label(index) });
      }
      const sha256 = await sha256Hex(bytes);
      if (sha256 !== entry.sha256) {
        throw new DataError(`its SHA-256 ${sha256} does not match the manifest's ${entry.sha256}: the stored shard is corrupt`, {
          source: label(index),
        });
      }
      return decodeShard(layout, bytes);
    },
  };
}

/** The labels of a dataset stored with labels; undefined for one without. */
function storedLabels(bucket: R2Bucket, manifest: DatasetManifest): RowLabels | undefined {
  const entries = manifest.labels;
  if (entries === undefined) return undefined;
  const { id, rows, shardRows } = manifest;
  const readShardLabels = async (index: number): Promise<string[]> => {
    const source = `dataset ${id} shard ${index} labels`;
    const entry = entries[index];
    if (!entry) throw new DataError(`there are no labels of shard ${index}: the manifest lists ${entries.length}`, { source });
    const object = await bucket.get(labelShardKey(id, index));
    if (!object) throw new DataError('are missing from storage (was the dataset deleted?)', { source }, 'missing');
    const bytes = new Uint8Array(await object.arrayBuffer());
    if (bytes.length !== entry.bytes) throw new DataError(`have ${bytes.length} bytes; the manifest says ${entry.bytes}`, { source });
    const sha256 = await sha256Hex(bytes);
    if (sha256 !== entry.sha256) throw new DataError(`their SHA-256 ${sha256} does not match the manifest's ${entry.sha256}: the stored labels are corrupt`, { source });
    return decodeLabelShard(bytes, shardRowCount(manifest, index), source);
  };
  return {
    rows,
    // Only the shards holding a wanted row are read, one at a time.
    async labelsOf(wanted) {
      const byShard = new Map<number, number[]>();
      for (const row of wanted) {
        if (!Number.isInteger(row) || row < 0 || row >= rows) continue;
        const shard = Math.floor(row / shardRows);
        const list = byShard.get(shard);
        if (list) list.push(row);
        else byShard.set(shard, [row]);
      }
      const found = new Map<number, string>();
      for (const [shard, inShard] of [...byShard].sort((a, b) => a[0] - b[0])) {
        const labels = await readShardLabels(shard);
        for (const row of inShard) found.set(row, labels[row - shard * shardRows]!);
      }
      return found;
    },
  };
}

/** Cells in memory as a ShardSource with the layout of docs/SPEC.md §2.1 (a legacy dataset). */
function matrixSource(matrix: Matrix): ShardSource {
  const layout = float32Layout(matrix.rows, matrix.cols);
  const { cols } = matrix;
  const columnMin = new Float32Array(cols).fill(Infinity);
  const columnMax = new Float32Array(cols).fill(-Infinity);
  for (let i = 0; i < matrix.rows * cols; i++) {
    const c = i % cols;
    const value = matrix.data[i]!;
    if (value < columnMin[c]!) columnMin[c] = value;
    if (value > columnMax[c]!) columnMax[c] = value;
  }
  return {
    rows: matrix.rows,
    cols,
    shardRows: layout.shardRows,
    shardCount: layout.shardCount,
    columnMin,
    columnMax,
    readShard(index) {
      if (!Number.isInteger(index) || index < 0 || index >= layout.shardCount) {
        return Promise.reject(new DataError(`there is no shard ${index}; the dataset has ${layout.shardCount}`));
      }
      const start = index * layout.shardRows * cols;
      return Promise.resolve(matrix.data.slice(start, start + shardRowCount(layout, index) * cols));
    },
  };
}
