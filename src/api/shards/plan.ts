/**
 * Which models are sharded and how (docs/ENCODING.md, Sharded encoders): a model whose encoder
 * (W_enc, b_enc and a per-unit threshold, in W_enc's stored dtype) takes more than
 * ENCODE_SHARD_BYTES is split by feature columns into N slices, each at most that many bytes, one
 * Durable Object each. Pure: the same plan from a stored header (the Worker) or a model state (import).
 *
 * Slice boundaries are multiples of 16 columns: the encode kernels lay W_enc out in 16-column
 * panels and compute each column from its own panel alone, so a slice's codes are bit for bit the
 * unsharded codes of those columns (test/worker/shards.test.ts checks it).
 */

/** Columns a slice boundary is a multiple of: one kernel panel (src/backends/assemblyscript/encoder-kernels.ts). */
export const SHARD_COLUMN_ALIGN = 16;

/**
 * Architectures whose codes are a per-unit function of their own column's pre-activation (and its
 * own or a shared threshold), so a column slice computes them alone. topk is not (a row's k largest
 * range over every column), gated has no encode-only session.
 */
export const SHARDABLE_ARCHITECTURES: ReadonlySet<string> = new Set(['relu', 'jumprelu', 'batchtopk', 'matryoshka', 'sigmoid']);

/** One shard: feature columns [from, to). */
export interface ShardRange {
  from: number;
  to: number;
}

export interface ShardPlan {
  inputSize: number;
  hiddenSize: number;
  /** Bytes of one W_enc value as stored: 4 (F32) or 2 (BF16). */
  valueBytes: number;
  shards: ShardRange[];
}

/** Bytes one feature column of the encoder takes: its W_enc column, its b_enc and its threshold (float32). */
export function columnBytes(inputSize: number, valueBytes: number): number {
  return inputSize * valueBytes + 4 + 4;
}

/**
 * The shards of an encoder, or null when it fits one isolate's budget (or cannot be sharded).
 * Each slice holds at most `budget` bytes, except that a slice is never narrower than one panel.
 */
export function planShards(inputSize: number, hiddenSize: number, valueBytes: number, architecture: string, budget: number): ShardPlan | null {
  if (!SHARDABLE_ARCHITECTURES.has(architecture)) return null;
  const perColumn = columnBytes(inputSize, valueBytes);
  if (perColumn * hiddenSize <= budget) return null;
  // Widest slice within the budget, in whole panels; then the panels spread evenly over as few
  // slices as that allows (no thin last slice): each is at most `widest` panels.
  const widest = Math.max(1, Math.floor(budget / perColumn / SHARD_COLUMN_ALIGN));
  const panels = Math.ceil(hiddenSize / SHARD_COLUMN_ALIGN);
  const count = Math.ceil(panels / widest);
  const shards: ShardRange[] = [];
  for (let k = 0; k < count; k++) {
    const from = Math.min(hiddenSize, Math.round((panels * k) / count) * SHARD_COLUMN_ALIGN);
    const to = Math.min(hiddenSize, Math.round((panels * (k + 1)) / count) * SHARD_COLUMN_ALIGN);
    if (to > from) shards.push({ from, to });
  }
  return { inputSize, hiddenSize, valueBytes, shards };
}
