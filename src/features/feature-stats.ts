/**
 * Feature statistics over a data set (issue 29), streamed shard by shard over a ShardSource in
 * bounded memory and resumable: what SAELens' sparsity file, SAEDashboard's feature pages and
 * Neuronpedia show for each feature, computed on the CPU that encodes.
 *
 * Three phases, each cut into steps (a job runs some steps, saves `state()`, and a later slice
 * resumes from it; the result is the same bit for bit as one run):
 *  1. "scan" (a step: one shard): each feature's active count (> the architecture's
 *     activeThreshold, as the metrics count), sum and max of its codes, and its top-N rows (a
 *     bounded heap: value descending, ties to the smaller row).
 *  2. "samples" (a step: one shard, encoded again): now that each feature's max is known, its
 *     activation histogram (`bins` equal bins over (threshold, max]) and SAEDashboard's interval
 *     samples: (threshold, max] cut into `intervals` equal intervals, and in each up to
 *     `perInterval` of its rows drawn uniformly without replacement, deterministically from
 *     `seed` (the rows with the smallest keys sampleKey(seed, feature, row): order-independent).
 *  3. "neighbours" (a step: a block of features): each feature's nearest features by decoder
 *     cosine, a block of decoder rows at a time (never the h × h matrix).
 * Memory: h × (top + intervals × perInterval + bins + neighbours) numbers, plus one shard and its codes.
 */
import type { SparseAutoencoder } from '../model/sparse-autoencoder.js';
import { activeThreshold } from '../model/metrics.js';
import { checkShardLength, type ShardSource } from '../data/shard-source.js';
import { ConfigError, DataError } from '../errors.js';
import { FLOAT32_MAX } from '../data/matrix.js';
import type { RowLabels } from '../data/row-labels.js';
import { neighbourBlock, rowNorms } from './neighbours.js';
import { offer, ranked, sampleKey, type Entry } from './ranked.js';

export interface FeatureStatsOptions {
  /** Top rows kept per feature (default 20, SAEDashboard's top_acts_group_size). */
  top: number;
  /** Bins of each feature's activation histogram (default 20). */
  bins: number;
  /** Intervals the interval samples are drawn from (default 10, SAEDashboard's n_quantiles). */
  intervals: number;
  /** Rows sampled from each interval (default 5, SAEDashboard's quantile_group_size). */
  perInterval: number;
  /** Nearest features by decoder cosine kept per feature (default 5). */
  neighbours: number;
  /** Features per neighbours step (default 256). */
  neighbourBlock: number;
  /** Seed of the interval samples (default 0). */
  seed: number;
}

export const DEFAULT_FEATURE_STATS_OPTIONS: FeatureStatsOptions = { top: 20, bins: 20, intervals: 10, perInterval: 5, neighbours: 5, neighbourBlock: 256, seed: 0 };

const LIMITS: Record<keyof FeatureStatsOptions, [number, number]> = {
  top: [0, 1000],
  bins: [1, 200],
  intervals: [0, 100],
  perInterval: [0, 100],
  neighbours: [0, 100],
  neighbourBlock: [1, 65536],
  seed: [0, 2 ** 32 - 1],
};

/** The options with defaults filled in; a ConfigError naming an option out of range. */
export function resolveFeatureStatsOptions(options: Partial<FeatureStatsOptions> = {}): FeatureStatsOptions {
  const out = { ...DEFAULT_FEATURE_STATS_OPTIONS };
  for (const key of Object.keys(options) as (keyof FeatureStatsOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Object.hasOwn(LIMITS, key)) throw new ConfigError(`features.${String(key)}`, 'is not an option of feature statistics');
    const [lo, hi] = LIMITS[key];
    if (!Number.isInteger(value) || value < lo || value > hi) throw new ConfigError(`features.${key}`, `must be a whole number from ${lo} to ${hi}, got ${String(value)}`);
    out[key] = value;
  }
  return out;
}

export type FeatureStatsPhase = 'scan' | 'samples' | 'neighbours' | 'done';

/** Everything a run has gathered: plain JSON (numbers, arrays), saved between slices. */
export interface FeatureStatsState {
  version: 1;
  options: FeatureStatsOptions;
  rows: number;
  cols: number;
  hiddenSize: number;
  threshold: number;
  phase: FeatureStatsPhase;
  /** The next shard (scan, samples) or the next block (neighbours). */
  next: number;
  counts: number[];
  sums: number[];
  max: number[];
  /** Per feature, a heap of [row, value]. */
  top: Entry[][];
  /** Per feature, `bins` counts (filled in the samples phase). */
  histogram: number[][];
  /** Per feature, active rows in each of the `intervals` intervals (filled in the samples phase). */
  intervalCounts: number[][];
  /** Per feature and interval, a heap of [row, key, value] (smallest keys kept). */
  samples: Entry[][][];
  /** Per feature, [index, cosine] best first. */
  neighbours: Entry[][];
}

export interface FeatureRow {
  row: number;
  value: number;
  label?: string;
}

export interface FeatureSummary {
  index: number;
  /** Fraction of rows where the code is active (> activeThreshold), as the metrics count. */
  frequency: number;
  /** Mean code over every row (the metrics' ρ̂_j). */
  meanActivation: number;
  /** Largest code over every row. */
  maxActivation: number;
  /** Counts of active codes in `counts.length` equal bins over (min, max]; empty counts for a feature never active. */
  histogram: { min: number; max: number; counts: number[] };
  /** The top rows, largest value first (ties: smaller row first). */
  top: FeatureRow[];
  /** Interval samples, highest interval first (as SAEDashboard lists them): rows drawn from (lower, upper]. */
  quantileSamples: { lower: number; upper: number; count: number; rows: FeatureRow[] }[];
  /** Nearest features by decoder cosine, nearest first. */
  neighbours: { index: number; cosine: number }[];
}

export interface FeatureStatsResult {
  rows: number;
  hiddenSize: number;
  /** What active means: a code > this. */
  activeThreshold: number;
  options: FeatureStatsOptions;
  features: FeatureSummary[];
}

export type { RowLabels };

/**
 * Bin of `value` in `bins` equal bins over (lo, hi]: ⌈(v − lo) / (hi − lo) · bins⌉ − 1, clamped
 * to [0, bins − 1]. The one definition the statistics and their reference use.
 */
export function binOf(value: number, lo: number, hi: number, bins: number): number {
  if (!(hi > lo)) return bins - 1;
  const b = Math.ceil(((value - lo) / (hi - lo)) * bins) - 1;
  return b < 0 ? 0 : b >= bins ? bins - 1 : b;
}

/** A feature statistics run over `source` with `model`: step it, save it, resume it. */
export class FeatureStatsRun {
  private readonly s: FeatureStatsState;
  private w2: Float32Array | null = null;
  private norms: Float64Array | null = null;

  private constructor(
    private readonly model: SparseAutoencoder,
    private readonly source: ShardSource,
    state: FeatureStatsState,
  ) {
    this.s = state;
  }

  /** A new run (nothing read yet). */
  static start(model: SparseAutoencoder, source: ShardSource, options: Partial<FeatureStatsOptions> = {}): FeatureStatsRun {
    checkFits(model, source);
    const resolved = resolveFeatureStatsOptions(options);
    const h = model.hiddenSize;
    const state: FeatureStatsState = {
      version: 1,
      options: resolved,
      rows: source.rows,
      cols: source.cols,
      hiddenSize: h,
      threshold: activeThreshold(model.config.architecture),
      phase: 'scan',
      next: 0,
      counts: new Array<number>(h).fill(0),
      sums: new Array<number>(h).fill(0),
      // −FLOAT32_MAX, not −Infinity: the state stays JSON (codes are finite float32, so any row replaces it).
      max: new Array<number>(h).fill(-FLOAT32_MAX),
      top: Array.from({ length: h }, () => []),
      histogram: Array.from({ length: h }, () => new Array<number>(resolved.bins).fill(0)),
      intervalCounts: Array.from({ length: h }, () => new Array<number>(resolved.intervals).fill(0)),
      samples: Array.from({ length: h }, () => Array.from({ length: resolved.intervals }, () => [])),
      neighbours: [],
    };
    return new FeatureStatsRun(model, source, state);
  }

  /** A run carrying on from a saved state (a DataError if it is not a state of this model and data). */
  static resume(model: SparseAutoencoder, source: ShardSource, saved: FeatureStatsState): FeatureStatsRun {
    checkFits(model, source);
    if (saved?.version !== 1 || saved.rows !== source.rows || saved.cols !== source.cols || saved.hiddenSize !== model.hiddenSize) {
      throw new DataError(`the saved feature statistics are of other data or another model (${saved?.rows} rows × ${saved?.cols}, h = ${saved?.hiddenSize}; here ${source.rows} × ${source.cols}, h = ${model.hiddenSize})`, { source: 'features state' });
    }
    return new FeatureStatsRun(model, source, structuredClone(saved));
  }

  get done(): boolean {
    return this.s.phase === 'done';
  }

  /** Steps done and steps in all: what a job's progress reports. */
  get progress(): { phase: FeatureStatsPhase; step: number; steps: number } {
    const shards = this.source.shardCount;
    const blocks = this.neighbourSteps();
    const before = this.s.phase === 'scan' ? 0 : this.s.phase === 'samples' ? shards : this.s.phase === 'neighbours' ? 2 * shards : 2 * shards + blocks;
    return { phase: this.s.phase, step: before + (this.s.phase === 'done' ? 0 : this.s.next), steps: 2 * shards + blocks };
  }

  /** A deep copy of everything gathered so far (JSON: save it, resume from it). */
  state(): FeatureStatsState {
    return structuredClone(this.s);
  }

  /** One step: a shard of the scan or samples phase, or a block of neighbours. */
  async step(): Promise<void> {
    const s = this.s;
    if (s.phase === 'scan' || s.phase === 'samples') {
      const index = s.next;
      const raw = await this.source.readShard(index);
      const rows = checkShardLength(this.source, index, raw);
      const codes = this.model.encode({ rows, cols: this.source.cols, data: raw }).data;
      const firstRow = index * this.source.shardRows;
      if (s.phase === 'scan') this.scan(codes, rows, firstRow);
      else this.sample(codes, rows, firstRow);
      s.next += 1;
      if (s.next === this.source.shardCount) {
        s.phase = s.phase === 'scan' ? 'samples' : 'neighbours';
        s.next = 0;
        if (s.phase === 'neighbours' && this.neighbourSteps() === 0) s.phase = 'done';
      }
    } else if (s.phase === 'neighbours') {
      const { neighbours: k, neighbourBlock: size } = s.options;
      const h = s.hiddenSize;
      const n = this.model.outputSize; // a decoder row: d_out values for a transcoder
      this.w2 ??= this.model.getParameters().W2;
      this.norms ??= rowNorms(this.w2, h, n);
      const first = s.next * size;
      s.neighbours.push(...neighbourBlock(this.w2, h, n, this.norms, first, Math.min(h, first + size), k));
      s.next += 1;
      if (s.next === this.neighbourSteps()) {
        s.phase = 'done';
        s.next = 0;
      }
    }
  }

  /** Steps until done. */
  async run(): Promise<void> {
    while (!this.done) await this.step();
  }

  /** The statistics (once done); labels of the rows shown when `labels` is given. */
  async result(labels?: RowLabels): Promise<FeatureStatsResult> {
    if (!this.done) throw new Error(`feature statistics are not finished (phase ${this.s.phase})`);
    if (labels !== undefined && labels.rows !== this.s.rows) {
      throw new DataError(`the labels have ${labels.rows} rows but the data has ${this.s.rows}`, { source: 'labels' });
    }
    const result = summarise(this.s);
    if (labels !== undefined) await attachLabels(result, labels);
    return result;
  }

  private neighbourSteps(): number {
    const { neighbours, neighbourBlock: size } = this.s.options;
    return neighbours === 0 || this.s.hiddenSize < 2 ? 0 : Math.ceil(this.s.hiddenSize / size);
  }

  private scan(codes: Float32Array, rows: number, firstRow: number): void {
    const { counts, sums, max, top, threshold } = this.s;
    const h = this.s.hiddenSize;
    const k = this.s.options.top;
    for (let i = 0; i < rows; i++) {
      const row = firstRow + i;
      for (let j = 0; j < h; j++) {
        const v = codes[i * h + j]!;
        sums[j]! += v;
        if (v > max[j]!) max[j] = v;
        if (v > threshold) {
          counts[j]! += 1;
          offer(top[j]!, k, row, v);
        }
      }
    }
  }

  private sample(codes: Float32Array, rows: number, firstRow: number): void {
    const { max, histogram, intervalCounts, samples, threshold } = this.s;
    const { bins, intervals, perInterval, seed } = this.s.options;
    const h = this.s.hiddenSize;
    for (let i = 0; i < rows; i++) {
      const row = firstRow + i;
      for (let j = 0; j < h; j++) {
        const v = codes[i * h + j]!;
        if (!(v > threshold)) continue;
        histogram[j]![binOf(v, threshold, max[j]!, bins)]! += 1;
        if (intervals === 0) continue;
        const q = binOf(v, threshold, max[j]!, intervals);
        intervalCounts[j]![q]! += 1;
        offer(samples[j]![q]!, perInterval, row, sampleKey(seed, j, row), false, v);
      }
    }
  }
}

/** Feature statistics of `source` in one go (FeatureStatsRun stepped to the end). */
export async function featureStats(model: SparseAutoencoder, source: ShardSource, options: Partial<FeatureStatsOptions> & { labels?: RowLabels } = {}): Promise<FeatureStatsResult> {
  const { labels, ...rest } = options;
  const run = FeatureStatsRun.start(model, source, rest);
  await run.run();
  return run.result(labels);
}

function checkFits(model: SparseAutoencoder, source: ShardSource): void {
  if (source.cols !== model.inputSize) throw new DataError(`the data has ${source.cols} columns but the model takes ${model.inputSize}`, { source: 'data' });
  if (source.rows < 1) throw new DataError('no data: there are no rows', { source: 'data' });
}

/** The result from a finished state; each row's value is looked up from where it was kept. */
function summarise(s: FeatureStatsState): FeatureStatsResult {
  const { threshold, options } = s;
  const features: FeatureSummary[] = [];
  for (let j = 0; j < s.hiddenSize; j++) {
    const max = s.max[j]!;
    const active = s.counts[j]! > 0;
    const top = ranked(s.top[j]!).map(([row, value]) => ({ row, value }));
    const quantileSamples: FeatureSummary['quantileSamples'] = [];
    if (active) {
      for (let q = options.intervals - 1; q >= 0; q--) {
        const lower = threshold + ((max - threshold) * q) / options.intervals;
        const upper = q === options.intervals - 1 ? max : threshold + ((max - threshold) * (q + 1)) / options.intervals;
        const heap = s.samples[j]![q]!;
        const rows = ranked(heap, false).map(([row, , value]) => ({ row, value: value! })).sort((a, b) => a.row - b.row);
        quantileSamples.push({ lower, upper, count: s.intervalCounts[j]![q]!, rows });
      }
    }
    features.push({
      index: j,
      frequency: s.counts[j]! / s.rows,
      meanActivation: s.sums[j]! / s.rows,
      maxActivation: max,
      histogram: { min: threshold, max: active ? max : threshold, counts: active ? [...s.histogram[j]!] : [] },
      top,
      quantileSamples,
      neighbours: (s.neighbours[j] ?? []).map(([index, cosine]) => ({ index, cosine })),
    });
  }
  return { rows: s.rows, hiddenSize: s.hiddenSize, activeThreshold: threshold, options: { ...options }, features };
}

async function attachLabels(result: FeatureStatsResult, labels: RowLabels): Promise<void> {
  const wanted = new Set<number>();
  for (const f of result.features) {
    for (const r of f.top) wanted.add(r.row);
    for (const q of f.quantileSamples) for (const r of q.rows) wanted.add(r.row);
  }
  const found = await labels.labelsOf([...wanted].sort((a, b) => a - b));
  for (const f of result.features) {
    for (const r of f.top) r.label = found.get(r.row) ?? '';
    for (const q of f.quantileSamples) for (const r of q.rows) r.label = found.get(r.row) ?? '';
  }
}
