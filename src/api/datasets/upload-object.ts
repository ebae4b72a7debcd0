/**
 * One upload in parts = one Durable Object (binding UPLOADS), keyed by the upload's id, which is
 * also the id of the dataset it becomes (docs/JOBS.md, Uploads in parts). Its storage is the
 * upload's strongly consistent state: the layout, which parts have arrived (each with its rows,
 * length, SHA-256 and column min/max) and when it expires.
 *
 * Part n is written straight to its final place, shard n of the dataset (dataset-shards/{id}/n.bin);
 * completing writes the manifest, the one step that makes the dataset exist. Every write (a part,
 * the completion) runs through one queue, so a completion sees every part answered before it.
 *
 * Two stores (this object's storage and R2) cannot be written in one step, so each two-write
 * operation first records its intent here, where a crash between the writes is found later:
 * - Completing: `status = 'completing'` (with the manifest's createdAt) is saved before the
 *   manifest is written. From then on no part is written and nothing is deleted; whoever next
 *   touches the upload (a part, complete, abort, a status read, the alarm) finishes the completion
 *   first (writes the manifest again, the same one, and saves `completed`). So once the manifest
 *   can exist, the upload can only end as that dataset.
 * - Replacing a received part: its record is deleted (and the part taken out of `received`)
 *   before the new bytes are written; the new record and `received` are saved together after.
 *   A crash between leaves the part missing (complete names it), never new bytes under the old
 *   record, so a part's stored bytes and its record always agree.
 * Labels (an upload started with `labels: true`): labels part n holds the labels of shard n's rows,
 * stored beside it (dataset-shards/{id}/n.labels.json) and recorded (`labels:n`: length, SHA-256)
 * as parts are, replaced the same way; completing needs every labels part too.
 * The paths that delete parts (abort, the expiry) also look for the manifest first, and treat an
 * upload whose manifest exists as completed (an upload left `open` by a crash before this scheme).
 *
 * Cleanup: each part (and the start) moves `expiresAt` to now + UPLOAD_EXPIRY_SECONDS and sets the
 * object's alarm there. When the alarm finds the upload still open and expired, it deletes every
 * object under the dataset's shard prefix (listed from R2, so a part whose record was never saved
 * goes too) and the upload's state. A completed upload's state is forgotten the same way; its
 * shards are the dataset's and stay.
 */
import type { z } from '@hono/zod-openapi';
import { DurableObject } from 'cloudflare:workers';
import { DataError } from '../../errors.js';
import type { Bindings } from '../env.js';
import { readLimits } from '../limits.js';
import { uploadNotFound, type UploadProblem, type UploadResult } from './upload-problems.js';
import type { UploadSchema } from '../schemas.js';
import { DATASET_KEYS, labelShardKey, shardKey } from '../storage-keys.js';
import { shardRowCount } from '../../data/shard-source.js';
import { checkLabels, encodeLabelShard, labelShardEntry, parseLabelLines, type LabelShardEntry } from './label-codec.js';
import { buildManifest, ColumnRange, summaryOf, type DatasetManifest, type DatasetSummary } from './manifest.js';
import { checkShard, shardByteLength, type ShardEntry, type ShardLayout, type ShardStats } from './shard-codec.js';
import { deleteShards, writeManifest } from './store.js';

const STATE_KEY = 'upload';
const partKey = (n: number) => `part:${n}`;
const labelsPartKey = (n: number) => `labels:${n}`;
/** Keys one storage.get may read at once. */
const GET_BATCH = 128;

export interface UploadInit {
  id: string;
  name: string | null;
  layout: ShardLayout;
  /** Whether each row carries a label, sent as labels parts (absent in uploads started before labels). */
  labelled?: boolean;
}

interface UploadState extends UploadInit {
  /** 'completing': the manifest may exist; the completion is finished before anything else (file comment). */
  status: 'open' | 'completing' | 'completed';
  createdAt: string;
  /** The manifest's createdAt, fixed when the completion starts, so writing it again writes the same manifest. */
  completedAt?: string;
  /** ms since the epoch. */
  expiresAt: number;
  /** Parts that have arrived, ascending. */
  received: number[];
  /** Labels parts that have arrived, ascending (a labelled upload). */
  labelsReceived?: number[];
  /** Bytes of the labels stored so far (bounded by MAX_DATASET_LABEL_BYTES). */
  labelBytes?: number;
}

/** What GET /v1/datasets/uploads/{id} answers. */
export type UploadView = z.infer<typeof UploadSchema>;

const ok = <T>(value: T): UploadResult<T> => ({ ok: true, value });
const refuse = (problem: UploadProblem): UploadResult<never> => ({ ok: false, problem });

export class DatasetUpload extends DurableObject<Bindings> {
  private state: UploadState | null | undefined;
  /** Every write, one after another (see the file comment). */
  private queue: Promise<unknown> = Promise.resolve();

  /** Starts the upload (idempotent for the same id) and sets its expiry alarm. */
  async create(init: UploadInit): Promise<UploadView> {
    const existing = await this.load();
    if (existing) return viewOf(existing);
    const state: UploadState = { ...init, status: 'open', createdAt: new Date().toISOString(), expiresAt: 0, received: [] };
    await this.touch(state);
    return viewOf(state);
  }

  /** The upload, or null when there is none (never started, aborted, or cleaned up). */
  async view(): Promise<UploadView | null> {
    const state = await this.serially(() => this.settled());
    return state ? viewOf(state) : null;
  }

  /** Checks part `n` and stores it as shard n, replacing an earlier copy of it. */
  async putPart(n: number, bytes: ArrayBuffer): Promise<UploadResult<UploadView>> {
    const state = await this.live();
    if (!state) return refuse(uploadNotFound());
    let stats: ShardStats;
    try {
      ({ stats } = await checkShard(state.layout, n, new Uint8Array(bytes), `part ${n}`));
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      const { row, column } = error.location;
      return refuse({
        status: 422,
        type: 'invalid-data',
        title: 'Invalid data',
        detail: `${error.message}. The parts already received are kept; send part ${n} again.`,
        extra: { part: n, ...(row !== undefined ? { row } : {}), ...(column !== undefined ? { column } : {}) },
      });
    }
    return this.serially(async () => {
      const current = await this.settled();
      if (!current) return refuse(uploadNotFound());
      if (current.status !== 'open') return refuse(alreadyCompleted(current.id));
      if (current.received.includes(n)) {
        // Replacing: the old record goes first (see the file comment), in one transaction with `received`.
        current.received = current.received.filter((m) => m !== n);
        await this.ctx.storage.transaction(async (txn) => {
          await txn.delete(partKey(n));
          await txn.put(STATE_KEY, current);
        });
      }
      await this.env.MODELS.put(shardKey(current.id, n), bytes);
      current.received = [...current.received, n].sort((a, b) => a - b);
      await this.touch(current, { [partKey(n)]: stats });
      return ok(viewOf(current));
    });
  }

  /** Checks labels part `n` (one label a line of shard n's rows) and stores it beside shard n, replacing an earlier copy. */
  async putLabels(n: number, bytes: ArrayBuffer): Promise<UploadResult<UploadView>> {
    const state = await this.live();
    if (!state) return refuse(uploadNotFound());
    const { layout } = state;
    if (!state.labelled) {
      return refuse({ status: 409, type: 'conflict', title: 'Conflict', detail: `Upload ${state.id} was started without labels: start an upload with "labels": true to send labels parts.` });
    }
    const limits = readLimits(this.env);
    const source = `labels part ${n}`;
    let stored: Uint8Array;
    try {
      if (!Number.isInteger(n) || n < 0 || n >= layout.shardCount) {
        throw new DataError(`there is no labels part ${n}; this upload has labels parts 0 … ${layout.shardCount - 1}`, { source });
      }
      const labels = parseLabelLines(new Uint8Array(bytes), shardRowCount(layout, n), source);
      checkLabels(labels, n * layout.shardRows, limits.maxLabelBytes, source);
      stored = encodeLabelShard(labels);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      const { row } = error.location;
      return refuse({
        status: 422,
        type: 'invalid-data',
        title: 'Invalid data',
        detail: `${error.message}. The parts already received are kept; send labels part ${n} again.`,
        extra: { labelsPart: n, ...(row !== undefined ? { row } : {}) },
      });
    }
    const entry = await labelShardEntry(stored);
    return this.serially(async () => {
      const current = await this.settled();
      if (!current) return refuse(uploadNotFound());
      if (current.status !== 'open') return refuse(alreadyCompleted(current.id));
      const received = current.labelsReceived ?? [];
      const previous = received.includes(n) ? ((await this.ctx.storage.get<LabelShardEntry>(labelsPartKey(n)))?.bytes ?? 0) : 0;
      const total = (current.labelBytes ?? 0) - previous + entry.bytes;
      if (total > limits.maxDatasetLabelBytes) {
        return refuse({
          status: 413,
          type: 'limit-exceeded',
          title: 'Limit exceeded',
          detail: `With labels part ${n} (${entry.bytes} bytes as stored) the upload's labels would be ${total} bytes; they exceed the limit MAX_DATASET_LABEL_BYTES = ${limits.maxDatasetLabelBytes}.`,
          extra: { limit: 'MAX_DATASET_LABEL_BYTES', value: limits.maxDatasetLabelBytes },
        });
      }
      if (received.includes(n)) {
        // Replacing: the old record goes first, as for a part (see the file comment).
        current.labelsReceived = received.filter((m) => m !== n);
        current.labelBytes = (current.labelBytes ?? 0) - previous;
        await this.ctx.storage.transaction(async (txn) => {
          await txn.delete(labelsPartKey(n));
          await txn.put(STATE_KEY, current);
        });
      }
      await this.env.MODELS.put(labelShardKey(current.id, n), stored);
      current.labelsReceived = [...(current.labelsReceived ?? []), n].sort((a, b) => a - b);
      current.labelBytes = (current.labelBytes ?? 0) + entry.bytes;
      await this.touch(current, { [labelsPartKey(n)]: entry });
      return ok(viewOf(current));
    });
  }

  /** Writes the manifest once every part is there; refuses, naming the missing parts, before. */
  async complete(): Promise<UploadResult<DatasetSummary>> {
    return this.serially(async () => {
      // A completion cut short (a crash, a failed write) is finished, and answered as this one.
      const loaded = await this.load();
      if (loaded?.status === 'completing') return ok(summaryOf(await this.finishCompletion(loaded)));
      const state = await this.live();
      if (!state) return refuse(uploadNotFound());
      const { layout } = state;
      if (state.status === 'completed') return refuse(alreadyCompleted(state.id));
      const missing = missingParts(state.received, layout.shardCount);
      const missingLabels = state.labelled ? missingParts(state.labelsReceived ?? [], layout.shardCount) : [];
      if (missing.length > 0 || missingLabels.length > 0) {
        const shown = missing.slice(0, 20);
        const shownLabels = missingLabels.slice(0, 20);
        const list = (all: number[], some: number[]) => `${some.join(', ')}${all.length > some.length ? ', …' : ''}`;
        const parts = missing.length > 0 ? [`${missing.length} of ${layout.shardCount} parts have not arrived: ${list(missing, shown)}`] : [];
        if (missingLabels.length > 0) parts.push(`${missingLabels.length} of ${layout.shardCount} labels parts have not arrived: ${list(missingLabels, shownLabels)}`);
        return refuse({
          status: 409,
          type: 'upload-incomplete',
          title: 'Upload incomplete',
          detail: `${parts.join('; ')}. Send them, then complete again.`,
          extra: { missing: shown, missingCount: missing.length, ...(state.labelled ? { missingLabels: shownLabels, missingLabelsCount: missingLabels.length } : {}) },
        });
      }
      // The intent first: from here on the upload can only end as this dataset (file comment).
      state.status = 'completing';
      state.completedAt = new Date().toISOString();
      await this.save(state);
      return ok(summaryOf(await this.finishCompletion(state)));
    });
  }

  /**
   * Writes the manifest of a completing upload from the parts' records, then saves it completed.
   * Run again after a crash it writes the same manifest (the records cannot change meanwhile).
   */
  private async finishCompletion(state: UploadState): Promise<DatasetManifest> {
    const { layout } = state;
    // The column range is merged a batch of records at a time: all of them at once could be
    // thousands of parts × columns of numbers.
    const shards: ShardEntry[] = [];
    const range = new ColumnRange(layout.cols);
    for (let start = 0; start < layout.shardCount; start += GET_BATCH) {
      const keys = Array.from({ length: Math.min(GET_BATCH, layout.shardCount - start) }, (_, i) => partKey(start + i));
      const records = await this.ctx.storage.get<ShardStats>(keys);
      for (const key of keys) {
        const record = records.get(key);
        if (!record) throw new Error(`upload ${state.id}: the record of ${key} is missing although the part was received`);
        shards.push(record);
        range.add(record);
      }
    }
    const labels = state.labelled ? await this.labelRecords(state) : undefined;
    const manifest = buildManifest(state.id, state.name, layout.type, layout, shards, range, state.completedAt ?? new Date().toISOString(), labels);
    await writeManifest(this.env.MODELS, manifest);
    state.status = 'completed';
    await this.touch(state);
    return manifest;
  }

  /** The records of every labels part, in order (a completing labelled upload has them all). */
  private async labelRecords(state: UploadState): Promise<LabelShardEntry[]> {
    const entries: LabelShardEntry[] = [];
    for (let start = 0; start < state.layout.shardCount; start += GET_BATCH) {
      const keys = Array.from({ length: Math.min(GET_BATCH, state.layout.shardCount - start) }, (_, i) => labelsPartKey(start + i));
      const records = await this.ctx.storage.get<LabelShardEntry>(keys);
      for (const key of keys) {
        const record = records.get(key);
        if (!record) throw new Error(`upload ${state.id}: the record of ${key} is missing although the labels part was received`);
        entries.push(record);
      }
    }
    return entries;
  }

  /** Aborts an open upload: its parts and its state are deleted at once. */
  async abort(): Promise<UploadResult<null>> {
    return this.serially(async () => {
      const state = await this.settled();
      if (!state) return refuse(uploadNotFound());
      if (state.status === 'completed' || (await this.completedBefore(state))) return refuse(alreadyCompleted(state.id));
      await this.forget(state, true);
      return ok(null);
    });
  }

  /** The expiry (see the file comment). The state is read again from storage: storage is the truth. */
  override async alarm(): Promise<void> {
    await this.serially(async () => {
      this.state = undefined;
      let state = await this.load();
      if (!state) return;
      // A completion cut short is finished first: its parts are the dataset's now.
      if (state.status === 'completing') state = await this.completeCutShort(state);
      if (Date.now() < state.expiresAt) {
        await this.ctx.storage.setAlarm(state.expiresAt);
        return;
      }
      const deleteParts = state.status === 'open' && !(await this.completedBefore(state));
      console.log(JSON.stringify({ event: 'upload.expired', upload: state.id, status: state.status, received: state.received.length, partsDeleted: deleteParts }));
      await this.forget(state, deleteParts);
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The state, or null when there is none or it has expired. An expired one is left to the alarm
   * (due now), which cleans up inside the queue; doing it here could wait on the queue from within it.
   */
  private async live(): Promise<UploadState | null> {
    const state = await this.load();
    if (!state || Date.now() < state.expiresAt) return state;
    await this.ctx.storage.setAlarm(Date.now());
    return null;
  }

  /**
   * The live state (live()) with a completion cut short finished first: what every operation but
   * complete itself works on, so none of them writes or deletes a part of a completing upload.
   */
  private async settled(): Promise<UploadState | null> {
    const state = await this.live();
    return state?.status === 'completing' ? this.completeCutShort(state) : state;
  }

  private async completeCutShort(state: UploadState): Promise<UploadState> {
    console.log(JSON.stringify({ event: 'upload.completion-resumed', upload: state.id }));
    await this.finishCompletion(state);
    return state;
  }

  /**
   * Whether an open upload's manifest exists all the same: completed by a version of this object
   * that saved `completed` after the manifest and was cut off between the two. Its state is then
   * put right (completed), and the caller must not delete or write its parts.
   */
  private async completedBefore(state: UploadState): Promise<boolean> {
    if (state.status !== 'open' || !(await this.env.MODELS.head(DATASET_KEYS.key(state.id)))) return false;
    console.log(JSON.stringify({ event: 'upload.found-completed', upload: state.id }));
    state.status = 'completed';
    await this.touch(state);
    return true;
  }

  /** Saves the state (and any other entries with it, in one write) as it is. */
  private async save(state: UploadState, entries: Record<string, unknown> = {}): Promise<void> {
    this.state = state;
    await this.ctx.storage.put({ ...entries, [STATE_KEY]: state });
  }

  /** Saves the state (with `entries`, in one write) with its expiry moved on, and the alarm set to it. */
  private async touch(state: UploadState, entries: Record<string, unknown> = {}): Promise<void> {
    state.expiresAt = Date.now() + readLimits(this.env).uploadExpirySeconds * 1000;
    await this.save(state, entries);
    await this.ctx.storage.setAlarm(state.expiresAt);
  }

  /** Deletes the state (and, for an open upload, every object under its shard prefix). */
  private async forget(state: UploadState, deleteParts: boolean): Promise<void> {
    if (deleteParts) await deleteShards(this.env.MODELS, state.id);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.state = null;
  }

  private async load(): Promise<UploadState | null> {
    if (this.state === undefined) this.state = (await this.ctx.storage.get<UploadState>(STATE_KEY)) ?? null;
    return this.state;
  }
}

function missingParts(arrived: readonly number[], count: number): number[] {
  const received = new Set(arrived);
  const missing: number[] = [];
  for (let n = 0; n < count; n++) if (!received.has(n)) missing.push(n);
  return missing;
}

function viewOf(state: UploadState): UploadView {
  const { shardCount, ...fields } = state.layout;
  return {
    id: state.id,
    name: state.name,
    ...fields,
    partCount: shardCount,
    partBytes: shardByteLength(state.layout, 0),
    lastPartBytes: shardByteLength(state.layout, shardCount - 1),
    received: state.received,
    missing: shardCount - state.received.length,
    labelled: state.labelled === true,
    ...(state.labelled ? { labelsReceived: state.labelsReceived ?? [], labelsMissing: shardCount - (state.labelsReceived ?? []).length } : {}),
    // (never 'completing' here but in create's answer to a repeated start: the dataset exists or will)
    status: state.status === 'open' ? 'open' : 'completed',
    createdAt: state.createdAt,
    expiresAt: new Date(state.expiresAt).toISOString(),
  };
}

function alreadyCompleted(id: string): UploadProblem {
  return {
    status: 409,
    type: 'conflict',
    title: 'Conflict',
    detail: `Upload ${id} has completed: it is dataset ${id} now (delete it with DELETE /v1/datasets/${id}).`,
  };
}
