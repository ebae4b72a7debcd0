/**
 * The Worker's side of sharded encoders (docs/ENCODING.md, Sharded encoders): whether a model is
 * sharded (./plan.ts, from its stored header), the fan-out of an encode to its shards, and the
 * merge of their answers — dense codes side by side, each row's top K (or features above the
 * threshold) merged from the shards' own, in the order the unsharded encode gives.
 *
 * Every shard must answer: one that throws, is unreachable or takes longer than
 * ENCODE_SHARD_TIMEOUT_MS makes the whole encode a 503 `shard-unavailable` with Retry-After, never
 * an answer from the shards that did reply (a top-K from some shards is a wrong top-K).
 */
import type { Matrix } from '../../data/matrix.js';
import { DataError, ModelOutputError } from '../../errors.js';
import type { SparseCodes, SparseSelection } from '../../model/sparse-codes.js';
import type { Bindings } from '../env.js';
import type { Limits } from '../limits.js';
import type { StoredModel } from '../model-store.js';
import { StoredTensors } from '../models/tensor-ranges.js';
import { ApiError } from '../problem.js';
import { shardName, type EncoderShard, type ShardEncodeAnswer, type ShardFailure, type ShardRef } from './durable-object.js';
import { planShards, type ShardPlan } from './plan.js';

/** A sharded model as one request sees it: its plan and the version its shards serve. */
export interface ShardedModel {
  id: string;
  etag: string;
  plan: ShardPlan;
}

/**
 * Plans per isolate, by id and budget (a request's ENCODE_SHARD_BYTES), trusted for
 * MODEL_CACHE_REVALIDATE_MS as the model cache is: a sharded model's warm encode reads no storage.
 * `sharded: null` records a model that is not sharded (its encode goes through the model cache).
 */
const plans = new Map<string, { sharded: ShardedModel | null; at: number }>();
const PLAN_ENTRIES = 256;

const planKey = (id: string, budget: number) => `${id}|${budget}`;

function remember(id: string, budget: number, sharded: ShardedModel | null): void {
  plans.delete(planKey(id, budget));
  plans.set(planKey(id, budget), { sharded, at: Date.now() });
  while (plans.size > PLAN_ENTRIES) plans.delete(plans.keys().next().value!);
}

/** Records that this isolate just stored `id` and it is not sharded (so its next encode reads nothing). */
export function rememberUnsharded(id: string, limits: Limits): void {
  remember(id, limits.encodeShardBytes, null);
}

/** Forgets a model's plans (this isolate deleted or replaced it). */
export function forgetPlans(id: string): void {
  for (const key of [...plans.keys()]) if (key.startsWith(`${id}|`)) plans.delete(key);
}

/** For tests. */
export function clearShardPlans(): void {
  plans.clear();
}

/**
 * What an encode of `id` goes to: a fresh plan from this isolate's memory, else one read from
 * `head()` (R2 metadata; the header only when the model is larger than the budget). `head` is
 * the metadata read when one was made, for the unsharded path to reuse; null `sharded` = unsharded.
 */
export async function encodeTarget(
  bucket: R2Bucket,
  limits: Limits,
  id: string,
  head: () => Promise<StoredModel>,
): Promise<{ sharded: ShardedModel | null; head?: StoredModel }> {
  const budget = limits.encodeShardBytes;
  const known = plans.get(planKey(id, budget));
  if (known && Date.now() - known.at < limits.modelCacheRevalidateMs) return { sharded: known.sharded };
  const stored = await head();
  const sharded = await shardedModel(bucket, stored, budget);
  remember(id, budget, sharded);
  return { sharded, head: stored };
}

/**
 * The shard plan of a stored model, or null. A model whose inference bytes fit the budget is not
 * sharded without reading anything more (its encoder is part of those bytes); a larger one's
 * header is read (cached per isolate by etag) for its encoder's dtype and shape.
 */
export async function shardedModel(bucket: R2Bucket, head: StoredModel, budget: number): Promise<ShardedModel | null> {
  if (head.inferenceBytes === null || head.inferenceBytes <= budget) return null;
  const tensors = await StoredTensors.open(bucket, head);
  const weight = tensors?.entry('encoder.weight');
  if (!tensors || !weight || weight.shape.length !== 2) return null;
  let architecture: unknown;
  try {
    architecture = (JSON.parse(tensors.header.metadata.config ?? '{}') as { architecture?: unknown }).architecture;
  } catch {
    return null; // the unsharded path names the bad config
  }
  const [n, h] = weight.shape as [number, number];
  const plan = planShards(n, h, weight.dtype === 'F32' ? 4 : 2, String(architecture), budget);
  return plan ? { id: head.summary.id, etag: head.etag, plan } : null;
}

/** The references of a model's shards, in column order. */
export function shardRefs(model: ShardedModel): ShardRef[] {
  return model.plan.shards.map(({ from, to }) => ({ model: model.id, etag: model.etag, from, to }));
}

function stubOf(env: Bindings, ref: ShardRef) {
  return env.ENCODE_SHARDS.get(env.ENCODE_SHARDS.idFromName(shardName(ref)));
}

function unavailable(id: string, k: number, count: number, why: string): ApiError {
  return new ApiError(503, {
    type: 'shard-unavailable',
    title: 'Service Unavailable',
    detail: `Shard ${k + 1} of ${count} of model ${id} ${why}; no partial answer is given. Retry later (the shard reloads its slice from storage).`,
    headers: { 'retry-after': '1' },
    extra: { shard: k, shards: count },
  });
}

/** `call` within `ms`, else the shard's 503. */
async function within<T>(ms: number, call: () => Promise<T>, fail: (why: string) => ApiError): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail(`did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      call().catch((error: unknown) => {
        console.error('edge-sae: an encoder shard failed', error);
        throw fail('failed');
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A shard's failure as the Worker's error. */
function failure(id: string, f: ShardFailure): Error {
  switch (f.kind) {
    case 'changed':
      return new ApiError(409, { type: 'conflict', detail: f.detail });
    case 'unsupported':
      return new ApiError(422, { type: 'validation-failed', title: 'Validation failed', detail: f.detail });
    case 'data':
      return new DataError(f.reason, { source: 'data', ...(f.row !== undefined ? { row: f.row } : {}) });
    case 'output':
      return new ModelOutputError(f.output, f.value, f.row, id);
  }
}

/** Loads every shard's slice (at import, or by an operator); a shard that fails to load is reported, not thrown. */
export async function warmShards(env: Bindings, limits: Limits, model: ShardedModel): Promise<{ loaded: number; failed: number }> {
  const refs = shardRefs(model);
  const results = await Promise.allSettled(
    refs.map((ref, k) =>
      within(limits.encodeShardTimeoutMs, () => stubOf(env, ref).warm(ref) as Promise<Awaited<ReturnType<EncoderShard['warm']>>>, (why) => unavailable(model.id, k, refs.length, why)).then((answer) => {
        if (!answer.ok) throw failure(model.id, answer.failure);
      }),
    ),
  );
  const failed = results.filter((r) => r.status === 'rejected');
  for (const r of failed) console.error('edge-sae: warming an encoder shard failed', (r as PromiseRejectedResult).reason);
  return { loaded: results.length - failed.length, failed: failed.length };
}

/** Restarts shard k (its object drops its memory; the next call reloads it). */
export async function restartShard(env: Bindings, model: ShardedModel, k: number): Promise<void> {
  const ref = shardRefs(model)[k]!;
  try {
    await stubOf(env, ref).restart();
  } catch {
    // ctx.abort() fails the call that asked for it: that is the restart having happened.
  }
}

/**
 * Encodes raw rows (checked against the model's width by the caller) on every shard, merged:
 * dense codes [rows × h], or each row's selected features.
 */
export async function encodeSharded(
  env: Bindings,
  limits: Limits,
  model: ShardedModel,
  matrix: Matrix,
  selection: SparseSelection | null,
): Promise<{ dense: Matrix } | { sparse: SparseCodes }> {
  const refs = shardRefs(model);
  const inputs = matrix.data;
  const answers = await Promise.all(
    refs.map((ref, k) =>
      within(
        limits.encodeShardTimeoutMs,
        () => stubOf(env, ref).encode({ ...ref, inputs, rows: matrix.rows, selection: selection === null ? null : { top: selection.top, threshold: selection.threshold } }) as Promise<ShardEncodeAnswer>,
        (why) => unavailable(model.id, k, refs.length, why),
      ),
    ),
  );
  for (const answer of answers) if (!answer.ok) throw failure(model.id, answer.failure);
  const ok = answers as Extract<ShardEncodeAnswer, { ok: true }>[];
  const { hiddenSize: h } = model.plan;
  if (selection === null) return { dense: concatenate(ok.map((a) => ('dense' in a ? a.dense : new Float32Array(0))), refs, matrix.rows, h) };
  return { sparse: mergeSelected(ok as Extract<ShardEncodeAnswer, { offsets: Uint32Array }>[], matrix.rows, h, selection.top) };
}

/** Dense codes of the slices side by side: [rows × h]. */
export function concatenate(parts: Float32Array[], refs: readonly { from: number; to: number }[], rows: number, h: number): Matrix {
  const data = new Float32Array(rows * h);
  parts.forEach((part, k) => {
    const { from, to } = refs[k]!;
    const width = to - from;
    if (part.length !== rows * width) throw new Error(`shard ${k} answered ${part.length} codes for ${rows} rows × ${width} columns`);
    for (let i = 0; i < rows; i++) data.set(part.subarray(i * width, (i + 1) * width), i * h + from);
  });
  return { rows, cols: h, data };
}

/**
 * Each row's features from the shards' own selections: every shard lists its row's features by
 * value descending, then index ascending (selectSparse's order), indices distinct across shards, so
 * the row's global order is the merge of those lists, cut at `top`. A shard's own top K holds every
 * one of its features that can be in the global top K, so the merge is the unsharded selection exactly.
 */
export function mergeSelected(parts: { offsets: Uint32Array; indices: Uint32Array; values: Float32Array }[], rows: number, h: number, top: number | undefined): SparseCodes {
  const offsets = new Uint32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const at = new Array<number>(parts.length);
  for (let i = 0; i < rows; i++) {
    let total = 0;
    parts.forEach((part, k) => {
      at[k] = part.offsets[i]!;
      total += part.offsets[i + 1]! - part.offsets[i]!;
    });
    const take = Math.min(total, top ?? total);
    for (let e = 0; e < take; e++) {
      let best = -1;
      for (let k = 0; k < parts.length; k++) {
        const part = parts[k]!;
        if (at[k]! >= part.offsets[i + 1]!) continue;
        if (best < 0) {
          best = k;
          continue;
        }
        const v = part.values[at[k]!]!;
        const b = parts[best]!.values[at[best]!]!;
        if (v > b || (v === b && part.indices[at[k]!]! < parts[best]!.indices[at[best]!]!)) best = k;
      }
      indices.push(parts[best]!.indices[at[best]!]!);
      values.push(parts[best]!.values[at[best]!]!);
      at[best]!++;
    }
    offsets[i + 1] = offsets[i]! + take;
  }
  return { rows, cols: h, offsets, indices: Uint32Array.from(indices), values: Float32Array.from(values) };
}
