/**
 * One upload in parts = one Durable Object (binding UPLOADS), keyed by the upload's id, which is
 * also the id of the dataset it becomes (docs/JOBS.md, Uploads in parts). Its storage is the
 * upload's strongly consistent state: the layout, which parts have arrived (each with its rows,
 * length, SHA-256 and column min/max) and when it expires.
 *
 * Part n is written straight to its final place, shard n of the dataset (dataset-shards/{id}/n.bin);
 * completing writes the manifest, the one step that makes the dataset exist. Every write (a part,
 * the completion) runs through one queue, so a part's R2 object and its record always come from
 * the same bytes, and a completion sees every part that was answered before it.
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
import { shardKey } from '../storage-keys.js';
import { buildManifest, ColumnRange, summaryOf, type DatasetSummary } from './manifest.js';
import { checkShard, shardByteLength, type ShardEntry, type ShardLayout, type ShardStats } from './shard-codec.js';
import { deleteShards, writeManifest } from './store.js';

const STATE_KEY = 'upload';
const partKey = (n: number) => `part:${n}`;
/** Keys one storage.get may read at once. */
const GET_BATCH = 128;

export interface UploadInit {
  id: string;
  name: string | null;
  layout: ShardLayout;
}

interface UploadState extends UploadInit {
  status: 'open' | 'completed';
  createdAt: string;
  /** ms since the epoch. */
  expiresAt: number;
  /** Parts that have arrived, ascending. */
  received: number[];
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
    const state = await this.live();
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
      const current = await this.live();
      if (!current) return refuse(uploadNotFound());
      if (current.status !== 'open') return refuse(alreadyCompleted(current.id));
      await this.env.MODELS.put(shardKey(current.id, n), bytes);
      await this.ctx.storage.put(partKey(n), stats);
      if (!current.received.includes(n)) current.received = [...current.received, n].sort((a, b) => a - b);
      await this.touch(current);
      return ok(viewOf(current));
    });
  }

  /** Writes the manifest once every part is there; refuses, naming the missing parts, before. */
  async complete(): Promise<UploadResult<DatasetSummary>> {
    return this.serially(async () => {
      const state = await this.live();
      if (!state) return refuse(uploadNotFound());
      const { layout } = state;
      if (state.status === 'completed') return refuse(alreadyCompleted(state.id));
      const missing = missingParts(state);
      if (missing.length > 0) {
        const shown = missing.slice(0, 20);
        return refuse({
          status: 409,
          type: 'upload-incomplete',
          title: 'Upload incomplete',
          detail: `${missing.length} of ${layout.shardCount} parts have not arrived: ${shown.join(', ')}${missing.length > shown.length ? ', …' : ''}. Send them, then complete again.`,
          extra: { missing: shown, missingCount: missing.length },
        });
      }
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
      const manifest = buildManifest(state.id, state.name, layout.type, layout, shards, range, new Date().toISOString());
      await writeManifest(this.env.MODELS, manifest);
      state.status = 'completed';
      await this.touch(state);
      return ok(summaryOf(manifest));
    });
  }

  /** Aborts an open upload: its parts and its state are deleted at once. */
  async abort(): Promise<UploadResult<null>> {
    return this.serially(async () => {
      const state = await this.live();
      if (!state) return refuse(uploadNotFound());
      if (state.status === 'completed') return refuse(alreadyCompleted(state.id));
      await this.forget(state, true);
      return ok(null);
    });
  }

  /** The expiry (see the file comment). The state is read again from storage: storage is the truth. */
  override async alarm(): Promise<void> {
    await this.serially(async () => {
      this.state = undefined;
      const state = await this.load();
      if (!state) return;
      if (Date.now() < state.expiresAt) {
        await this.ctx.storage.setAlarm(state.expiresAt);
        return;
      }
      console.log(JSON.stringify({ event: 'upload.expired', upload: state.id, status: state.status, received: state.received.length }));
      await this.forget(state, state.status === 'open');
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

  /** Saves the state with its expiry moved on, and the alarm set to it. */
  private async touch(state: UploadState): Promise<void> {
    state.expiresAt = Date.now() + readLimits(this.env).uploadExpirySeconds * 1000;
    this.state = state;
    await this.ctx.storage.put(STATE_KEY, state);
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

function missingParts(state: UploadState): number[] {
  const received = new Set(state.received);
  const missing: number[] = [];
  for (let n = 0; n < state.layout.shardCount; n++) if (!received.has(n)) missing.push(n);
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
    status: state.status,
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
