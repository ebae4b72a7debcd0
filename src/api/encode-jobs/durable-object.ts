/**
 * One batch encode = one Durable Object, driven by its alarm like a training job
 * (../jobs/durable-object.ts): each alarm writes one shard of the codes — it reads the input
 * rows that shard covers (a few of the dataset's shards), encodes them with the model, checks
 * and stores the shard, then saves the record and schedules the next alarm. A shard is written
 * whole under a fixed key before the record says it is done, so a slice repeated after a kill
 * overwrites the same object: no row is skipped or written twice. The manifest comes last.
 */
import { DurableObject } from 'cloudflare:workers';
import { DataError, InputError, ModelOutputError } from '../../errors.js';
import type { ShardSource } from '../../data/shard-source.js';
import { shardCountFor, shardRowsFor } from '../../data/shard-source.js';
import { SparseAutoencoder } from '../../model/sparse-autoencoder.js';
import { loadWorkerBackend } from '../backends.js';
import { openDatasetSource } from '../datasets/dataset-source.js';
import { buildManifest, ColumnRange } from '../datasets/manifest.js';
import { checkShard, type ShardLayout } from '../datasets/shard-codec.js';
import { deleteShards, writeManifest } from '../datasets/store.js';
import type { Bindings } from '../env.js';
import { isTerminal } from '../jobs/record.js';
import { ModelStore } from '../model-store.js';
import { shardKey } from '../storage-keys.js';
import { encodeJobView, type EncodeJobInit, type EncodeJobRecord, type EncodeJobView } from './record.js';

const RECORD_KEY = 'encode-job';
const MAX_FAILURES = 3;

class EncodeFailure extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class EncodeJob extends DurableObject<Bindings> {
  private record: EncodeJobRecord | null | undefined;
  private live: { model: SparseAutoencoder; source: ShardSource; cached: { index: number; values: Float32Array } | null } | null = null;
  private sliceInProgress = false;

  async start(init: EncodeJobInit): Promise<EncodeJobView> {
    const existing = await this.load();
    if (existing) return encodeJobView(existing);
    const now = new Date().toISOString();
    const shardRows = shardRowsFor(init.hiddenSize);
    const record: EncodeJobRecord = {
      ...init,
      status: 'queued',
      nextShard: 0,
      shardRows,
      shardCount: shardCountFor(init.rows, shardRows),
      shards: [],
      columnMin: new Array<number>(init.hiddenSize).fill(Infinity),
      columnMax: new Array<number>(init.hiddenSize).fill(-Infinity),
      slices: 0,
      sliceMs: 0,
      failures: 0,
      error: null,
      createdAt: now,
      startedAt: null,
      updatedAt: now,
      finishedAt: null,
    };
    await this.save(record);
    await this.ctx.storage.setAlarm(Date.now());
    return encodeJobView(record);
  }

  async status(): Promise<EncodeJobView | null> {
    const record = await this.load();
    if (!record) return null;
    // Never a hang: an unfinished encode always has a slice scheduled or running.
    if (!isTerminal(record.status) && !this.sliceInProgress && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now());
    }
    return encodeJobView(record);
  }

  async cancel(): Promise<EncodeJobView | null> {
    const record = await this.load();
    if (!record) return null;
    if (isTerminal(record.status)) return encodeJobView(record);
    record.status = 'cancelled';
    record.finishedAt = new Date().toISOString();
    await this.save(record);
    await this.ctx.storage.deleteAlarm();
    this.drop();
    await deleteShards(this.env.MODELS, record.outputId);
    return encodeJobView(record);
  }

  /** For tests: forget the loaded model and source, as an eviction would; the next slice reloads them. */
  drop(): void {
    this.live?.model.dispose();
    this.live = null;
  }

  override async alarm(): Promise<void> {
    const record = await this.load();
    if (!record || isTerminal(record.status)) return;
    this.sliceInProgress = true;
    try {
      await this.runSlice(record);
    } catch (error) {
      await this.handleError(record, error);
    } finally {
      this.sliceInProgress = false;
    }
  }

  private async runSlice(record: EncodeJobRecord): Promise<void> {
    const started = Date.now();
    if (record.status === 'queued') {
      record.status = 'running';
      record.startedAt = new Date(started).toISOString();
    }
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
      throw error instanceof DataError ? new EncodeFailure('invalid-data', `the model's codes are not finite numbers: ${error.message}`) : error;
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
    record.slices += 1;
    record.sliceMs += Date.now() - started;
    record.failures = 0;
    await this.save(record);
    if (record.status === 'running') await this.ctx.storage.setAlarm(Date.now());
  }

  /** The model (at the version the encode started with) and the dataset, loaded once per object life. */
  private async ensureLive(record: EncodeJobRecord) {
    if (this.live) return this.live;
    const stored = await new ModelStore(this.env.MODELS).get(record.modelId);
    if (!stored) throw new EncodeFailure('model-not-found', `The model ${record.modelId} was deleted during the encode.`);
    if (stored.summary.version !== record.modelVersion) {
      throw new EncodeFailure('conflict', `The model ${record.modelId} was retrained during the encode (version ${record.modelVersion} → ${stored.summary.version}); the codes would mix two models. Start a new encode.`);
    }
    const source = await openDatasetSource(this.env.MODELS, record.datasetId);
    if (!source) throw new EncodeFailure('dataset-not-found', `The dataset ${record.datasetId} was deleted during the encode.`);
    const { backend } = await loadWorkerBackend('auto');
    this.live = { model: SparseAutoencoder.fromBytes(stored.bytes, backend, `model ${record.modelId}`), source, cached: null };
    return this.live;
  }

  /** Rows `first … first + count − 1` of the dataset, from the shards they lie in (the last one kept for the next slice). */
  private async inputRows(live: NonNullable<EncodeJob['live']>, first: number, count: number, cols: number): Promise<Float32Array> {
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

  private async handleError(record: EncodeJobRecord, error: unknown): Promise<void> {
    this.drop();
    const known = error instanceof EncodeFailure || error instanceof InputError;
    if (!known) {
      record.failures += 1;
      console.error(JSON.stringify({ event: 'encode-job.error', job: record.id, failures: record.failures, error: String(error) }));
      if (record.failures < MAX_FAILURES) {
        await this.save(record);
        await this.ctx.storage.setAlarm(Date.now() + 1000 * 2 ** record.failures);
        return;
      }
    }
    // The model's answer overflowed float32 (finite but extreme values): said as the encode route says it.
    if (error instanceof ModelOutputError) error = error.forModel(record.modelId);
    const type = error instanceof EncodeFailure ? error.type : error instanceof ModelOutputError ? 'model-overflow' : error instanceof DataError ? (error.problem === 'missing' ? 'dataset-not-found' : 'invalid-data') : error instanceof InputError ? 'invalid-input' : 'storage-unavailable';
    record.status = 'failed';
    record.error = { type, detail: error instanceof Error ? error.message : String(error) };
    record.finishedAt = new Date().toISOString();
    await this.save(record);
    await deleteShards(this.env.MODELS, record.outputId).catch(() => undefined);
    console.log(JSON.stringify({ event: 'encode-job.failed', job: record.id, error: record.error }));
  }

  private async load(): Promise<EncodeJobRecord | null> {
    if (this.record === undefined) this.record = (await this.ctx.storage.get<EncodeJobRecord>(RECORD_KEY)) ?? null;
    return this.record;
  }

  private async save(record: EncodeJobRecord): Promise<void> {
    record.updatedAt = new Date().toISOString();
    this.record = record;
    await this.ctx.storage.put(RECORD_KEY, record);
  }
}
