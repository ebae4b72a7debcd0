/**
 * The epoch bookkeeping of a training run — fit, fitStream and a job's JobTrainer alike, so the
 * three stop at the same epoch and keep the same weights: progress, the validation losses and
 * early stopping (keeping the best epoch's weights, put back when the run stops or ends). A job
 * checkpoints it between slices (`state`) and resumes it from there (the constructor's `resume`).
 */
import type { AdamState, Parameters } from '../backends/types.js';
import type { TrainingOptions } from './config.js';
import { EarlyStopping, type EarlyStoppingState } from './early-stopping.js';

/** What early stopping keeps of the best epoch: everything the model file is made of that training changes. */
export interface KeptWeights {
  parameters: Parameters;
  optimizerState: AdamState | null;
  /** topk's dead-unit counts (null for the architectures that keep none). */
  stepsSinceFired: Uint32Array | null;
}

export interface WeightKeeper {
  take(): KeptWeights;
  put(kept: KeptWeights): void;
}

export interface TrainingProgress {
  /** 1-based epoch just finished, within this fit. */
  epoch: number;
  epochs: number;
  /** That epoch's loss (mean of its batch losses). */
  loss: number;
  /** The validation loss after that epoch (with validationSplit). */
  validationLoss?: number;
}

/** How a run ended, for finish: the epochs it ran, its validation losses and the epoch kept. */
export interface RunOutcome {
  epochsRun: number;
  validationHistory: number[];
  bestEpoch: number | null;
}

/** Where a loop is, for a checkpoint: with early stopping, its counters and the best weights so far. */
export interface EpochLoopState {
  epoch: number;
  validationHistory: number[];
  earlyStopping: EarlyStoppingState | null;
  best: KeptWeights | null;
}

export class EpochLoop {
  private epoch = 0;
  private readonly validationHistory: number[] = [];
  private readonly stopping: EarlyStopping | null;
  private best: KeptWeights | null = null;
  stopped = false;

  constructor(
    options: TrainingOptions,
    readonly validating: boolean,
    private readonly keeper: WeightKeeper,
    resume?: EpochLoopState,
  ) {
    const stopping = validating && options.patience > 0;
    this.stopping = stopping ? new EarlyStopping(options.patience, options.minDelta, resume?.earlyStopping ?? undefined) : null;
    if (resume) {
      this.epoch = resume.epoch;
      // A loop, not push(...history): spreading a long history into a call overflows the stack.
      for (const loss of resume.validationHistory) this.validationHistory.push(loss);
      this.best = stopping ? resume.best : null;
      // A state saved at the stop resumes stopped: the counters say so, nothing else need be kept.
      this.stopped = this.stopping?.exhausted ?? false;
    }
  }

  ended(loss: number, validationLoss: number | null, onProgress: ((p: TrainingProgress) => void) | undefined, epochs: number): void {
    if (this.stopped) return;
    this.epoch += 1;
    if (validationLoss !== null) this.validationHistory.push(validationLoss);
    onProgress?.({ epoch: this.epoch, epochs, loss, ...(validationLoss === null ? {} : { validationLoss }) });
    if (this.stopping === null || validationLoss === null) return;
    const verdict = this.stopping.observe(this.epoch, validationLoss);
    if (verdict === 'improved') this.best = this.keeper.take();
    else if (verdict === 'stop') this.stopped = true;
  }

  /** Epochs counted so far. */
  get epochs(): number {
    return this.epoch;
  }

  /** With early stopping, the epoch of the best validation loss so far (null before any, or without). */
  get bestEpoch(): number | null {
    return this.stopping !== null && this.best !== null ? this.stopping.bestEpochSoFar : null;
  }

  /** Everything needed to resume the loop exactly (the best weights are the loop's own copies). */
  get state(): EpochLoopState {
    return { epoch: this.epoch, validationHistory: [...this.validationHistory], earlyStopping: this.stopping?.state ?? null, best: this.best };
  }

  /** How the run ended; with early stopping, the best epoch's weights are back in the model. */
  outcome(): RunOutcome {
    const bestEpoch = this.bestEpoch;
    if (bestEpoch !== null && bestEpoch !== this.epoch) this.keeper.put(this.best!);
    return { epochsRun: this.epoch, validationHistory: [...this.validationHistory], bestEpoch };
  }
}
