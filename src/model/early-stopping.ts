/**
 * Early stopping on the validation loss (options patience and minDelta): an epoch improves when
 * its validation loss is below the best so far by more than minDelta; after `patience` epochs in
 * a row without an improvement the run stops, and the model goes back to the best epoch's weights
 * (and optimizer state), as Keras' EarlyStopping with restore_best_weights does.
 */
import { ConfigError } from '../errors.js';
import type { TrainingOptions } from './config.js';

/** The counters, for a run that is checkpointed and resumed (jobs): null best before any epoch. */
export interface EarlyStoppingState {
  best: number | null;
  bestEpoch: number;
  waited: number;
}

/**
 * Early stopping watches the held-out rows' loss, so it needs a validation split or a validation
 * set of its own: refused (naming patience) rather than silently ignored, by the library, the
 * CLI and jobs alike.
 */
export function checkEarlyStopping(options: Pick<TrainingOptions, 'patience' | 'validationSplit'>, hasValidationSet = false): void {
  if (options.patience > 0 && !(options.validationSplit > 0) && !hasValidationSet) {
    throw new ConfigError('training.patience', `${options.patience} needs validation rows: early stopping watches the loss on held-out rows, so give validationSplit above 0 (e.g. 0.1) or a validation set, or patience 0`);
  }
}

export class EarlyStopping {
  private best = Infinity;
  private bestEpoch = 0;
  private waited = 0;

  constructor(
    private readonly patience: number,
    private readonly minDelta: number,
    state?: EarlyStoppingState,
  ) {
    if (state) {
      // A best of null is "none yet" (JSON has no Infinity).
      this.best = state.best ?? Infinity;
      this.bestEpoch = state.bestEpoch;
      this.waited = state.waited;
    }
  }

  /**
   * Counts epoch `epoch`'s validation loss: "improved" (keep these weights as the best),
   * "stop" (the patience ran out) or "continue".
   */
  observe(epoch: number, loss: number): 'improved' | 'stop' | 'continue' {
    if (loss < this.best - this.minDelta) {
      this.best = loss;
      this.bestEpoch = epoch;
      this.waited = 0;
      return 'improved';
    }
    this.waited += 1;
    return this.waited >= this.patience ? 'stop' : 'continue';
  }

  /** The 1-based epoch of the best validation loss (0 before any). */
  get bestEpochSoFar(): number {
    return this.bestEpoch;
  }

  /** Whether the patience has run out (what observe last said was "stop"). */
  get exhausted(): boolean {
    return this.waited >= this.patience;
  }

  /** The counters as plain data (see EarlyStoppingState). */
  get state(): EarlyStoppingState {
    return { best: Number.isFinite(this.best) ? this.best : null, bestEpoch: this.bestEpoch, waited: this.waited };
  }
}
