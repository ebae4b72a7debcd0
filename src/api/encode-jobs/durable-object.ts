/**
 * One batch encode = one Durable Object, driven by its alarm like a training job
 * (../jobs/durable-object.ts): each alarm writes one shard of the codes — it reads the input
 * rows that shard covers (a few of the dataset's shards), encodes them with the model, checks
 * and stores the shard, then saves the record and schedules the next alarm. A shard is written
 * whole under a fixed key before the record says it is done, so a slice repeated after a kill
 * overwrites the same object: no row is skipped or written twice. The manifest comes last.
 * The record's life, status, cancel and failure handling are every sliced job's (../sliced-job.ts).
 */
import { DataError } from '../../errors.js';
import type { ShardSource } from '../../data/shard-source.js';
import { shardCountFor, shardRowsFor } from '../../data/shard-source.js';
import { SparseAutoencoder } from '../../model/sparse-autoencoder.js';
import { loadWorkerBackend } from '../backends.js';
import { openDatasetSource } from '../datasets/dataset-source.js';
import { buildManifest, ColumnRange } from '../datasets/manifest.js';
import { checkShard, type ShardLayout } from '../datasets/shard-codec.js';
import { deleteShards, writeManifest } from '../datasets/store.js';
import { modelJobError } from '../model-job-error.js';
import { ModelStore } from '../model-store.js';
import { JobFailure, SlicedJob, type JobError } from '../sliced-job.js';
import { shardKey } from '../storage-keys.js';
import { encodeJobView, type EncodeJobInit, type EncodeJobRecord, type EncodeJobView } from './record.js';

interface Live {
  model: SparseAutoencoder;
  source: ShardSource;
  /** The input shard the last slice read last (the next slice's rows start in it). */
  cached: { index: number; values: Float32Array } | null;
}

export class EncodeJob extends SlicedJob<EncodeJobInit, EncodeJobRecord, EncodeJobView> {
  protected readonly kind = 'encode-job';
  private live: Live | null = null;

  protected initialRecord(init: EncodeJobInit) {
    const shardRows = shardRowsFor(init.hiddenSize);
    return {
      ...init,
      nextShard: 0,
      shardRows,
      shardCount: shardCountFor(init.rows, shardRows),
      shards: [],
      columnMin: new Array<number>(init.hiddenSize).fill(Infinity),
      columnMax: new Array<number>(init.hiddenSize).fill(-Infinity),
    };
  }

  protected view(record: EncodeJobRecord): EncodeJobView {
    return encodeJobView(record);
  }

  /** Forgets the loaded model and source (as an eviction would; tests call it): the next slice reloads them. */
  drop(): void {
    this.live?.model.dispose();
    this.live = null;
  }

  protected async runSlice(record: EncodeJobRecord): Promise<void> {
    const started = this.beginSlice(record);
    const live = await this.ensureLive(record);
    if (record.status !== 'running') return;
    const j = record.nextShard;
    const first = j * record.shardRows;
    const rows = Math.min(record.shardRows, record.rows - first);
    const input = await this.inputRows(live, first, rows, record.inputSize);
    const codes = live.model.encode({ rows, cols: record.inputSize, data: input });
    const layout: ShardLayout = { rows: record.rows, cols: record.hiddenSize, type: 'float32', scale: 1, offset: 0, shardRows: record.shardRows, shardCount: record.shardCount };
    const bytes = new Uint8Array(codes.data.buffer, codes.data.byteOffset, rows * record.hiddenSize * 4);
    // The same check as every stored shard: its length, finite values, its SHA-256 and column range.
    const { stats } = await checkShard(layout, j, bytes, `codes shard ${j}`).catch((error: unknown) => {
      throw error instanceof DataError ? new JobFailure('invalid-data', `the model's codes are not finite numbers: ${error.message}`) : error;
    });
    await this.env.MODELS.put(shardKey(record.outputId, j), bytes.slice());
    if ((await this.load())?.status !== 'running') return; // cancelled meanwhile: cancel() cleaned up
    record.shards[j] = { rows: stats.rows, bytes: stats.bytes, sha256: stats.sha256 };
    for (let c = 0; c < record.hiddenSize; c++) {
      record.columnMin[c] = Math.min(record.columnMin[c]!, stats.min[c]!);
      record.columnMax[c] = Math.max(record.columnMax[c]!, stats.max[c]!);
    }
    record.nextShard = j + 1;
    if (record.nextShard === record.shardCount) {
      const range = new ColumnRange(record.hiddenSize);
      range.add({ min: record.columnMin, max: record.columnMax });
      await writeManifest(this.env.MODELS, buildManifest(record.outputId, record.name, 'codes', layout, record.shards, range, new Date().toISOString()));
      record.status = 'succeeded';
      record.finishedAt = new Date().toISOString();
      this.drop();
    }
    await this.endSlice(record, Date.now() - started);
  }

  /** The model (at the version the encode started with) and the dataset, loaded once per object life. */
  private async ensureLive(record: EncodeJobRecord): Promise<Live> {
    if (this.live) return this.live;
    const stored = await new ModelStore(this.env.MODELS).get(record.modelId);
    if (!stored) throw new JobFailure('model-not-found', `The model ${record.modelId} was deleted during the encode.`);
    if (stored.summary.version !== record.modelVersion) {
      throw new JobFailure('conflict', `The model ${record.modelId} was retrained during the encode (version ${record.modelVersion} → ${stored.summary.version}); the codes would mix two models. Start a new encode.`);
    }
    const source = await openDatasetSource(this.env.MODELS, record.datasetId);
    if (!source) throw new JobFailure('dataset-not-found', `The dataset ${record.datasetId} was deleted during the encode.`);
    const { backend } = await loadWorkerBackend('auto');
    this.live = { model: SparseAutoencoder.fromBytes(stored.bytes, backend, `model ${record.modelId}`), source, cached: null };
    return this.live;
  }

  /** Rows `first … first + count − 1` of the dataset, from the shards they lie in (the last one kept for the next slice). */
  private async inputRows(live: Live, first: number, count: number, cols: number): Promise<Float32Array> {
    const out = new Float32Array(count * cols);
    const per = live.source.shardRows;
    for (let row = first; row < first + count; ) {
      const index = Math.floor(row / per);
      if (live.cached?.index !== index) live.cached = { index, values: await live.source.readShard(index) };
      const from = row - index * per;
      const take = Math.min(first + count - row, per - from);
      out.set(live.cached.values.subarray(from * cols, (from + take) * cols), (row - first) * cols);
      row += take;
    }
    return out;
  }

  /** The codes written so far: an encode that did not succeed leaves no codes dataset. */
  protected async cleanUp(record: EncodeJobRecord): Promise<void> {
    await deleteShards(this.env.MODELS, record.outputId);
  }

  protected errorOf(error: unknown, record: EncodeJobRecord): JobError {
    return modelJobError(error, record.modelId);
  }
}
