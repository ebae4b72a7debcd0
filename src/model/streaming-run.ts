/**
 * The training loop over data that is not in memory whole (docs/SPEC.md §2.1): a ShardSource read
 * a window of at most WINDOW_SHARDS shards at a time. Data of one window trains exactly as
 * TrainingRun does in memory (it is a TrainingRun over the concatenated shards); more windows
 * follow §2.1's order: each epoch a shard permutation from its own generator, each window's rows
 * shuffled by the one row generator of the run, batches consecutive over the epoch's row
 * sequence (a batch may span windows). The position is TrainingPosition, so a run resumes from a
 * checkpoint exactly, mid-epoch included, by replaying index permutations only.
 *
 * Shards are read asynchronously; the steps themselves are synchronous calls on the session.
 * In memory at once: the window's rows (at most WINDOW_SHARDS shards) plus the fewer than
 * batchSize rows of a batch that spans into the next window — once on the host and once in the
 * session's training data.
 */
import type { BackendSession, LossConfig, OptimizerConfig } from '../backends/types.js';
import { checkShardLength, shardRowCount, WINDOW_SHARDS, type ShardSource } from '../data/shard-source.js';
import { ConfigError } from '../errors.js';
import { SeededRandom, shuffleSeed } from './random.js';
import { CONSTANT_SCHEDULE, lossAt, optimizerAt, type LearningRateSchedule } from './schedule.js';
import { recordStep, TrainingRun, type EpochResult, type TrainingPosition } from './training-run.js';

/** Maps shard `index`'s rows (the caller's scale) into the model's input space, written into `out` from element `offset`. */
export type ShardPreparer = (index: number, rows: Float32Array, out: Float32Array, offset: number) => void;

/** The seed of epoch `epoch`'s shard permutation: (seed + 0x9E3779B9·(epoch + 1)) mod 2³². */
export function shardOrderSeed(seed: number, epoch: number): number {
  return (seed + Math.imul(0x9e3779b9, epoch + 1)) >>> 0;
}

/** Epoch `epoch`'s shard order (§2.1): Fisher–Yates of 0 … shardCount−1 by its own generator. */
export function shardOrder(shardCount: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(shardCount);
  for (let i = 0; i < shardCount; i++) order[i] = i;
  new SeededRandom(shardOrderSeed(seed, epoch)).shuffle(order);
  return order;
}

/** Whether `source` is streamed in more than one window (then batchSize 0 is refused). */
export function isMultiWindow(source: Pick<ShardSource, 'shardCount'>): boolean {
  return source.shardCount > WINDOW_SHARDS;
}

/** Rows in one step of a streamed run: batchSize, or all rows when one window takes a full batch. */
export function streamedBatchRows(source: Pick<ShardSource, 'rows' | 'shardCount'>, batchSize: number): number {
  return batchSize === 0 || batchSize >= source.rows ? source.rows : batchSize;
}

/** Optimizer steps in one epoch of a streamed run. */
export function streamedStepsPerEpoch(source: Pick<ShardSource, 'rows' | 'shardCount'>, batchSize: number): number {
  return Math.ceil(source.rows / streamedBatchRows(source, batchSize));
}

/**
 * Throws ConfigError (training.batchSize) when `source` takes more than one window and
 * `batchSize` is 0 (the whole data in one step) or larger than a window's rows: what a streamed
 * run cannot do. Shared by the run and by whoever checks a request before starting one.
 */
export function checkStreamable(source: Pick<ShardSource, 'rows' | 'shardRows' | 'shardCount'>, batchSize: number): void {
  if (!isMultiWindow(source)) return;
  const windowRows = WINDOW_SHARDS * source.shardRows;
  if (batchSize === 0) {
    throw new ConfigError(
      'training.batchSize',
      `must be ≥ 1 for data of ${source.rows} rows streamed in windows of ${windowRows} rows: 0 (the whole data in one step) needs the data in memory whole`,
    );
  }
  if (batchSize > windowRows) {
    throw new ConfigError('training.batchSize', `must be at most ${windowRows} (the rows of one window of streamed data), got ${batchSize}`);
  }
}

interface WindowPlan {
  /** Shards of the window, in the epoch's order. */
  readonly shards: readonly number[];
  /** Epoch row position of the window's first row, and one past its last. */
  readonly start: number;
  readonly end: number;
}

/** The window loaded in the session: [carried rows | window rows], and the window's row shuffle. */
interface LoadedWindow {
  readonly index: number;
  /** Host copy of what the session holds, (carried + window rows) × cols, normalised. */
  readonly data: Float32Array;
  /** Carried rows at the front of `data`: epoch positions carryStart … plan.start − 1. */
  readonly carried: number;
  readonly carryStart: number;
  /** permutation[r] = the window row (stored order) at epoch position plan.start + r. */
  readonly permutation: Uint32Array;
}

export class StreamingRun {
  private readonly cols: number;
  private readonly batchSize: number;
  private readonly batchesPerEpoch: number;
  private position: TrainingPosition;
  /** The one-window case: today's in-memory run, over the data once it is read. */
  private inMemory: { run: TrainingRun; data: Float32Array } | null = null;
  private plan: WindowPlan[] | null = null;
  /** Row generator, positioned after the permutations of windows 0 … drawnWindows − 1 of this epoch. */
  private rng: SeededRandom;
  private drawnWindows = 0;
  private lastPermutation: Uint32Array | null = null;
  private window: LoadedWindow | null = null;
  /** Shards of the window being read (the previous window already dropped). */
  private loading: readonly number[] = [];

  /**
   * `seed` is the run's training seed: it seeds the shard orders, and its shuffleSeed the row
   * generator (as TrainingRun). Throws ConfigError (training.batchSize) when the data takes more
   * than one window and batchSize is 0 or larger than a window's rows.
   */
  constructor(
    private readonly session: BackendSession,
    private readonly source: ShardSource,
    private readonly prepare: ShardPreparer,
    private readonly loss: LossConfig,
    private readonly optimizer: OptimizerConfig,
    private readonly epochs: number,
    batchSize: number,
    private readonly seed: number,
    position?: TrainingPosition,
    /** The learning rate step by step (schedule.ts); by default the optimizer's own throughout. */
    private readonly schedule: LearningRateSchedule = CONSTANT_SCHEDULE,
  ) {
    this.cols = source.cols;
    checkStreamable(source, batchSize);
    this.batchSize = streamedBatchRows(source, batchSize);
    this.batchesPerEpoch = Math.ceil(source.rows / this.batchSize);
    this.position = position ? { ...position } : { epoch: 0, batch: 0, epochRngState: shuffleSeed(seed), epochLossSum: 0 };
    this.rng = SeededRandom.fromState(this.position.epochRngState);
  }

  get done(): boolean {
    return (this.inMemory?.run.done ?? false) || this.getPosition().epoch >= this.epochs;
  }

  get totalEpochs(): number {
    return this.epochs;
  }

  get stepsPerEpoch(): number {
    return this.batchesPerEpoch;
  }

  /** Steps until the current epoch ends (a run that validates each epoch stops there). */
  get stepsLeftInEpoch(): number {
    return this.inMemory ? this.inMemory.run.stepsLeftInEpoch : this.batchesPerEpoch - this.position.batch;
  }

  /**
   * Steps that can run on the rows already held, without reading a shard (Infinity once data of
   * one window is read; 0 when the next step reads). A job's slice ends before a window's read it
   * has no time left for (src/api/jobs/durable-object.ts), rather than run past its budget.
   */
  get stepsBeforeRead(): number {
    if (this.done) return 0;
    if (!isMultiWindow(this.source)) return this.inMemory ? Number.POSITIVE_INFINITY : 0;
    if (this.window === null || this.plan === null) return 0;
    const start = this.position.batch * this.batchSize;
    if (start < this.window.carryStart) return 0;
    const room = this.plan[this.window.index]!.end - start;
    if (room <= 0) return 0;
    // The batches that end inside the window: the whole ones, and the epoch's short last one when it is there.
    const whole = Math.floor(room / this.batchSize);
    const steps = whole + (start + room === this.source.rows && room % this.batchSize !== 0 ? 1 : 0);
    return Math.min(steps, this.batchesPerEpoch - this.position.batch);
  }

  /** A copy of the current position, to checkpoint. */
  getPosition(): TrainingPosition {
    return this.inMemory ? this.inMemory.run.getPosition() : { ...this.position };
  }

  /** Shards whose rows the run holds or is reading now (its window), for the memory bound's tests. */
  get heldShards(): readonly number[] {
    if (this.inMemory) return Array.from({ length: this.source.shardCount }, (_, i) => i);
    return this.window && this.plan ? this.plan[this.window.index]!.shards : this.loading;
  }

  /** The whole normalised data, when it is one window and has been read (metrics reuse it). */
  get inMemoryData(): Float32Array | null {
    return this.inMemory?.data ?? null;
  }

  /**
   * Runs up to `maxSteps` optimizer steps (never past the last epoch), reading the shards they
   * need, and returns the epochs that finished in them. Throws TrainingDivergedError when a batch
   * loss is not finite (that step has not been applied), and whatever readShard rejects with.
   */
  async runSteps(maxSteps: number): Promise<EpochResult[]> {
    if (this.done) return [];
    if (!isMultiWindow(this.source)) return (await this.oneWindow()).runSteps(maxSteps);
    const finished: EpochResult[] = [];
    for (let s = 0; s < maxSteps && !this.done; s++) {
      const indices = await this.nextBatch();
      const step = this.position.epoch * this.batchesPerEpoch + this.position.batch;
      const optimizer = optimizerAt(this.optimizer, this.schedule, step, this.epochs * this.batchesPerEpoch);
      const terms = this.session.trainStep(indices, lossAt(this.loss, step), optimizer);
      // Every window of the epoch has been drawn by its last batch, so the generator is at the next epoch's start.
      const epoch = recordStep(this.position, terms, this.batchesPerEpoch, this.rng);
      if (epoch) {
        finished.push(epoch);
        this.plan = null;
        this.window = null;
        this.drawnWindows = 0;
      }
    }
    return finished;
  }

  private async oneWindow(): Promise<TrainingRun> {
    if (this.inMemory === null) {
      const data = new Float32Array(this.source.rows * this.cols);
      await this.readInto(data, 0, Array.from({ length: this.source.shardCount }, (_, i) => i));
      this.session.setTrainingData(data, this.source.rows);
      const run = new TrainingRun(this.session, this.source.rows, this.loss, this.optimizer, this.epochs, this.batchSize, shuffleSeed(this.seed), this.position, this.schedule);
      this.inMemory = { run, data };
    }
    return this.inMemory.run;
  }

  /** The session row indices of the next batch: epoch positions batch·B … min(batch·B + B, rows) − 1. */
  private async nextBatch(): Promise<Uint32Array> {
    const start = this.position.batch * this.batchSize;
    const end = Math.min(start + this.batchSize, this.source.rows);
    const plan = this.epochPlan();
    if (this.window === null || start < this.window.carryStart || start >= plan[this.window.index]!.end) {
      await this.load(plan.findIndex((w) => start < w.end), start, null);
    }
    // A batch that runs past the window carries its rows so far into the next one.
    while (end > plan[this.window!.index]!.end) await this.load(this.window!.index + 1, start, this.window);
    const window = this.window!;
    const windowStart = plan[window.index]!.start;
    const indices = new Uint32Array(end - start);
    for (let g = start; g < end; g++) {
      indices[g - start] = g < windowStart ? g - window.carryStart : window.carried + window.permutation[g - windowStart]!;
    }
    return indices;
  }

  /** The epoch's windows: consecutive groups of WINDOW_SHARDS shards of its shard order. */
  private epochPlan(): WindowPlan[] {
    if (this.plan === null) {
      const order = shardOrder(this.source.shardCount, this.seed, this.position.epoch);
      const plan: WindowPlan[] = [];
      let start = 0;
      for (let i = 0; i < order.length; i += WINDOW_SHARDS) {
        const shards = Array.from(order.subarray(i, i + WINDOW_SHARDS));
        const rows = shards.reduce((sum, shard) => sum + shardRowCount(this.source, shard), 0);
        plan.push({ shards, start, end: start + rows });
        start += rows;
      }
      this.plan = plan;
      this.rng = SeededRandom.fromState(this.position.epochRngState);
      this.drawnWindows = 0;
    }
    return this.plan;
  }

  /**
   * Loads window `index` into the session, with the rows of `previous` from epoch position
   * `carryStart` on carried in front of it (or nothing carried when `previous` is null).
   */
  private async load(index: number, carryStart: number, previous: LoadedWindow | null): Promise<void> {
    const plan = this.epochPlan()[index]!;
    const permutation = this.permutationOf(index);
    let carried = 0;
    let carry: Float32Array | null = null;
    if (previous !== null) {
      const before = this.epochPlan()[previous.index]!;
      carried = before.end - carryStart;
      carry = new Float32Array(carried * this.cols);
      for (let g = carryStart; g < before.end; g++) {
        const row = g < before.start ? g - previous.carryStart : previous.carried + previous.permutation[g - before.start]!;
        carry.set(previous.data.subarray(row * this.cols, (row + 1) * this.cols), (g - carryStart) * this.cols);
      }
    }
    // Drop the old window before reading the new one, so at most one window is ever held.
    this.window = null;
    this.loading = plan.shards;
    const rows = carried + plan.end - plan.start;
    const data = new Float32Array(rows * this.cols);
    if (carry !== null) data.set(carry);
    carry = null;
    await this.readInto(data, carried, plan.shards);
    this.session.setTrainingData(data, rows);
    this.window = { index, data, carried, carryStart, permutation };
    this.loading = [];
  }

  /** The row shuffle of window `index`, drawing (or replaying) the windows before it first. */
  private permutationOf(index: number): Uint32Array {
    const plan = this.epochPlan();
    if (index < this.drawnWindows - 1) {
      // An earlier window again (a resume that moved back): replay the epoch from its start.
      this.rng = SeededRandom.fromState(this.position.epochRngState);
      this.drawnWindows = 0;
    }
    while (this.drawnWindows <= index) {
      const w = plan[this.drawnWindows]!;
      const permutation = new Uint32Array(w.end - w.start);
      for (let i = 0; i < permutation.length; i++) permutation[i] = i;
      this.rng.shuffle(permutation);
      this.lastPermutation = permutation;
      this.drawnWindows += 1;
    }
    return this.lastPermutation!;
  }

  /** Reads `shards` and writes their prepared rows, concatenated, into `target` from row `firstRow`. */
  private async readInto(target: Float32Array, firstRow: number, shards: readonly number[]): Promise<void> {
    let row = firstRow;
    const offsets = shards.map((shard) => {
      const at = row;
      row += shardRowCount(this.source, shard);
      return at;
    });
    // Read concurrently (a remote source gains); each shard is prepared into place as it arrives.
    await Promise.all(
      shards.map(async (shard, i) => {
        const raw = await this.source.readShard(shard);
        checkShardLength(this.source, shard, raw);
        this.prepare(shard, raw, target, offsets[i]! * this.cols);
      }),
    );
  }
}
