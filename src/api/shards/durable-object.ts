/**
 * EncoderShard (binding ENCODE_SHARDS): one Durable Object per column slice of one version of a
 * sharded model's encoder (docs/ENCODING.md, Sharded encoders). Its name is the model's id, the
 * object's etag and the columns, so a retrained model gets new objects and an object never serves
 * another version. It keeps its slice in memory (./slice.ts), loaded on its first call (a warm at
 * import, or the first encode), and stores nothing: a restart (eviction, a crash, a deploy) loses
 * only memory, and the next call reads the same slice from the model object again.
 *
 * Called by RPC from the Worker (./encode.ts). Answers that are the caller's fault (rows the
 * scaling overflows) and a model changed under the call come back as values, so the Worker can
 * answer them as 422 and 409; anything thrown is a failed shard, which the Worker answers 503.
 */
import { DurableObject } from 'cloudflare:workers';
import { DataError, ModelOutputError } from '../../errors.js';
import { selectSparse } from '../../model/sparse-codes.js';
import type { Bindings } from '../env.js';
import { ModelStore } from '../model-store.js';
import { encodeSlice, loadSlice, SliceError, type ShardSlice } from './slice.js';

/** Which slice: the model version and its columns. */
export interface ShardRef {
  model: string;
  etag: string;
  from: number;
  to: number;
}

export interface ShardEncodeRequest extends ShardRef {
  /** Raw rows (the caller's scale), [rows × n]. */
  inputs: Float32Array;
  rows: number;
  /** Absent: dense codes of the slice's columns. */
  selection: { top?: number | undefined; threshold?: number | undefined } | null;
}

export type ShardFailure =
  | { kind: 'changed'; detail: string }
  | { kind: 'unsupported'; detail: string }
  | { kind: 'data'; reason: string; row: number | undefined }
  | { kind: 'output'; output: string; value: number; row: number | null };

export type ShardEncodeAnswer =
  | { ok: true; dense: Float32Array }
  /** Each row's selected features of this slice, indices in the whole model's numbering. */
  | { ok: true; offsets: Uint32Array; indices: Uint32Array; values: Float32Array }
  | { ok: false; failure: ShardFailure };

/** The object name of a slice: one object per model version and columns. */
export function shardName(ref: ShardRef): string {
  return `${ref.model}@${ref.etag}:${ref.from}-${ref.to}`;
}

export class EncoderShard extends DurableObject<Bindings> {
  private loading: { name: string; slice: Promise<ShardSlice> } | null = null;

  /** Loads the slice (if not yet in memory); answers its columns and bytes. */
  async warm(ref: ShardRef): Promise<{ ok: true; columns: number; weightBytes: number } | { ok: false; failure: ShardFailure }> {
    try {
      const slice = await this.slice(ref);
      return { ok: true, columns: slice.to - slice.from, weightBytes: slice.weightBytes };
    } catch (error) {
      return { ok: false, failure: failureOf(error) };
    }
  }

  async encode(request: ShardEncodeRequest): Promise<ShardEncodeAnswer> {
    try {
      const slice = await this.slice(request);
      const codes = encodeSlice(slice, request.inputs, request.rows);
      if (request.selection === null) return { ok: true, dense: codes };
      const columns = slice.to - slice.from;
      const { top, threshold } = request.selection;
      const sparse = selectSparse({ rows: request.rows, cols: columns, data: codes }, { top: top === undefined ? undefined : Math.min(top, columns), threshold });
      for (let e = 0; e < sparse.indices.length; e++) sparse.indices[e]! += slice.from;
      return { ok: true, offsets: sparse.offsets, indices: sparse.indices, values: sparse.values };
    } catch (error) {
      return { ok: false, failure: failureOf(error) };
    }
  }

  /**
   * Drops this object as a crash would (ctx.abort): calls in flight fail, and the next call starts
   * a fresh instance that reads its slice again. For operators (POST /v1/models/{id}/shards/{k}/restart)
   * and the e2e script that kills a shard mid-request.
   */
  async restart(): Promise<void> {
    this.ctx.abort('restart requested');
  }

  private slice(ref: ShardRef): Promise<ShardSlice> {
    const name = shardName(ref);
    if (this.loading?.name !== name) {
      this.loading?.slice.then((old) => old.session.dispose(), () => undefined);
      const slice = this.read(ref);
      this.loading = { name, slice };
      // A failed read is not kept: the next call tries again.
      slice.catch(() => {
        if (this.loading?.slice === slice) this.loading = null;
      });
    }
    return this.loading!.slice;
  }

  private async read(ref: ShardRef): Promise<ShardSlice> {
    const started = Date.now();
    const head = await new ModelStore(this.env.MODELS).head(ref.model);
    if (!head || head.etag !== ref.etag) throw new SliceError('changed', `Model ${ref.model} changed (retrained or deleted) while this request read it. Retry.`);
    const slice = await loadSlice(this.env.MODELS, head, ref.from, ref.to);
    // One line a cold start: how often shards reload, and how long it takes, is what operators watch.
    console.log(JSON.stringify({ event: 'shard.loaded', model: ref.model, columns: [ref.from, ref.to], weightBytes: slice.weightBytes, ms: Date.now() - started }));
    return slice;
  }
}

/** A thrown error as an answer the Worker turns into its problem; anything else is rethrown (503 there). */
function failureOf(error: unknown): ShardFailure {
  if (error instanceof SliceError) return { kind: error.kind, detail: error.message };
  if (error instanceof ModelOutputError) return { kind: 'output', output: error.output, value: error.value, row: error.row };
  if (error instanceof DataError) return { kind: 'data', reason: error.reason, row: error.location.row };
  throw error;
}
