/**
 * The training loop, as a resumable object: an epoch is one pass over the data in batches of
 * `batchSize` rows in a seeded shuffled order (0, or a batch as large as the data, = the whole
 * data in stored order, one step). Its whole position fits in a few numbers, so a run can stop
 * after any step and resume later (a checkpoint) with exactly the same arithmetic.
 */
import type { BackendSession, LossConfig, LossTerms, OptimizerConfig } from '../backends/types.js';
import { TrainingDivergedError } from '../errors.js';
import { SeededRandom } from './random.js';
import { CONSTANT_SCHEDULE, lossAt, optimizerAt, type LearningRateSchedule } from './schedule.js';

/** Where a run is: everything, besides the session's parameters and optimizer state, needed to resume. */
export interface TrainingPosition {
  /** Epochs finished so far in this run. */
  epoch: number;
  /** Batches finished in the current epoch. */
  batch: number;
  /** The shuffle generator's state at the start of the current epoch. */
  epochRngState: number;
  /** Σ of the batch losses so far in the current epoch. */
  epochLossSum: number;
}

export interface EpochResult {
  /** 1-based epoch number within this run. */
  epoch: number;
  /** Mean of the epoch's batch losses, each measured before its update. */
  loss: number;
  /** The last batch's loss terms. */
  terms: LossTerms;
}

/**
 * Counts a step's loss into `position` (TrainingRun's and StreamingRun's bookkeeping): throws
 * TrainingDivergedError for a non-finite loss; at the epoch's last batch moves to the next epoch,
 * whose row generator state is `rng`'s now, and returns the finished epoch.
 */
export function recordStep(position: TrainingPosition, terms: LossTerms, batchesPerEpoch: number, rng: SeededRandom): EpochResult | null {
  if (!Number.isFinite(terms.loss)) {
    throw new TrainingDivergedError(position.epoch + 1, `the batch loss became ${terms.loss}`);
  }
  position.epochLossSum += terms.loss;
  position.batch += 1;
  if (position.batch < batchesPerEpoch) return null;
  position.epoch += 1;
  const finished = { epoch: position.epoch, loss: position.epochLossSum / batchesPerEpoch, terms };
  position.batch = 0;
  position.epochLossSum = 0;
  position.epochRngState = rng.getState();
  return finished;
}

export class TrainingRun {
  private readonly rows: number;
  private readonly batchSize: number;
  private readonly batchesPerEpoch: number;
  private position: TrainingPosition;
  private permutation: Uint32Array | null = null;
  private rng: SeededRandom;

  constructor(
    private readonly session: BackendSession,
    rows: number,
    private readonly loss: LossConfig,
    private readonly optimizer: OptimizerConfig,
    private readonly epochs: number,
    batchSize: number,
    shuffleSeed: number,
    position?: TrainingPosition,
    /** The learning rate step by step (schedule.ts); by default the optimizer's own throughout. */
    private readonly schedule: LearningRateSchedule = CONSTANT_SCHEDULE,
  ) {
    this.rows = rows;
    // A batch as large as the data is the full batch: no shuffle, since the sum is the same.
    this.batchSize = batchSize === 0 || batchSize >= rows ? rows : batchSize;
    this.batchesPerEpoch = Math.ceil(rows / this.batchSize);
    this.position = position ? { ...position } : { epoch: 0, batch: 0, epochRngState: shuffleSeed >>> 0, epochLossSum: 0 };
    this.rng = SeededRandom.fromState(this.position.epochRngState);
  }

  get done(): boolean {
    return this.position.epoch >= this.epochs;
  }

  get totalEpochs(): number {
    return this.epochs;
  }

  /** Steps until the current epoch ends (a run that validates each epoch stops there). */
  get stepsLeftInEpoch(): number {
    return this.batchesPerEpoch - this.position.batch;
  }

  /** A copy of the current position, to checkpoint. */
  getPosition(): TrainingPosition {
    return { ...this.position };
  }

  /**
   * Runs up to `maxSteps` optimizer steps (never past the last epoch) and returns the epochs
   * that finished in them. Throws TrainingDivergedError when a batch loss is not finite; the
   * step that saw it has not been applied.
   */
  runSteps(maxSteps: number): EpochResult[] {
    const finished: EpochResult[] = [];
    for (let s = 0; s < maxSteps && !this.done; s++) {
      const step = this.position.epoch * this.batchesPerEpoch + this.position.batch;
      const optimizer = optimizerAt(this.optimizer, this.schedule, step, this.epochs * this.batchesPerEpoch);
      const terms = this.session.trainStep(this.nextBatch(), lossAt(this.loss, step), optimizer);
      const epoch = recordStep(this.position, terms, this.batchesPerEpoch, this.rng);
      if (epoch) {
        finished.push(epoch);
        this.permutation = null;
      }
    }
    return finished;
  }

  /** Runs one whole epoch (or the rest of the current one). */
  runEpoch(): EpochResult | undefined {
    return this.runSteps(this.batchesPerEpoch - this.position.batch)[0];
  }

  private nextBatch(): Uint32Array | null {
    if (this.batchSize === this.rows) return null;
    if (this.permutation === null) {
      // The epoch's order is drawn at its start, so a resumed run redraws the same order.
      this.rng = SeededRandom.fromState(this.position.epochRngState);
      this.permutation = new Uint32Array(this.rows);
      for (let i = 0; i < this.rows; i++) this.permutation[i] = i;
      this.rng.shuffle(this.permutation);
    }
    const start = this.position.batch * this.batchSize;
    return this.permutation.subarray(start, Math.min(start + this.batchSize, this.rows));
  }
}
