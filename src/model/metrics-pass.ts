/**
 * A streamed run's metrics pass (the final one over the training rows, then the held-out rows),
 * done a unit at a time so a caller with a time budget (a job's slice) can stop between units,
 * checkpoint the progress and resume it, possibly in another process. A unit is one shard of a
 * source of more than one window (folded into StreamedMetrics), or a whole source of one window
 * (metrics on its rows at once, as evaluate, bit for bit). The units run in the same order, with
 * the same sums, however the pass is cut, so its results equal an unbroken pass bit for bit.
 */
import type { ShardSource } from '../data/shard-source.js';
import { shardRowCount } from '../data/shard-source.js';
import type { Metrics } from './metrics.js';
import { StreamedMetrics, type StreamedMetricsState } from './streamed-metrics.js';
import { isMultiWindow, type ShardPreparer } from './streaming-run.js';

/** One source the pass measures: its shards, how a shard becomes model input, and its rows when already in memory. */
export interface MetricsPart {
  source: ShardSource;
  prepare: ShardPreparer;
  /** The whole source in the model's input space, when a one-window source is at hand (else null: read it). */
  inMemory: () => Promise<Float32Array | null>;
}

/** What the pass needs from the model. */
export interface MetricsOps {
  /** Metrics on rows at once (a one-window source). */
  whole(x: Float32Array, rows: number): Metrics;
  /** New empty sums. */
  sums(): StreamedMetrics;
  /** Folds rows into sums. */
  add(sums: StreamedMetrics, x: Float32Array, rows: number): void;
}

/** Where a pass is: the metrics of the parts finished, and in the current part the next shard and the sums so far. */
export interface MetricsProgress {
  finished: Metrics[];
  shard: number;
  sums: StreamedMetricsState | null;
}

export class MetricsPass {
  private readonly finished: Metrics[];
  private shard: number;
  private sums: StreamedMetrics | null;

  constructor(
    private readonly parts: readonly MetricsPart[],
    private readonly ops: MetricsOps,
    progress?: MetricsProgress,
  ) {
    if (progress && (progress.finished.length > parts.length || (progress.sums !== null && progress.finished.length === parts.length))) {
      throw new Error('metrics progress does not match the pass');
    }
    this.finished = progress ? [...progress.finished] : [];
    this.shard = progress?.shard ?? 0;
    this.sums = progress?.sums ? ops.sums().restore(progress.sums) : null;
  }

  get done(): boolean {
    return this.finished.length === this.parts.length;
  }

  /** The metrics of each part, in order (complete once done). */
  get results(): readonly Metrics[] {
    return this.finished;
  }

  /** Runs up to `maxUnits` units (at least one unless done). */
  async step(maxUnits: number): Promise<void> {
    for (let left = maxUnits; left > 0 && !this.done; left--) await this.unit(this.parts[this.finished.length]!);
  }

  progress(): MetricsProgress {
    return { finished: [...this.finished], shard: this.shard, sums: this.sums?.snapshot() ?? null };
  }

  private async unit({ source, prepare, inMemory }: MetricsPart): Promise<void> {
    if (!isMultiWindow(source)) {
      let x = await inMemory();
      if (x === null) {
        x = new Float32Array(source.rows * source.cols);
        for (let i = 0; i < source.shardCount; i++) prepare(i, await source.readShard(i), x, i * source.shardRows * source.cols);
      }
      this.finished.push(this.ops.whole(x, source.rows));
      return;
    }
    const sums = (this.sums ??= this.ops.sums());
    const i = this.shard;
    const rows = shardRowCount(source, i);
    const x = new Float32Array(rows * source.cols);
    prepare(i, await source.readShard(i), x, 0);
    this.ops.add(sums, x, rows);
    this.shard = i + 1;
    if (this.shard === source.shardCount) {
      this.finished.push(sums.result());
      this.sums = null;
      this.shard = 0;
    }
  }
}
