/**
 * Early stopping on the validation loss (options patience and minDelta): an epoch improves when
 * its validation loss is below the best so far by more than minDelta; after `patience` epochs in
 * a row without an improvement the run stops, and the model goes back to the best epoch's weights
 * (and optimizer state), as Keras' EarlyStopping with restore_best_weights does.
 */
export class EarlyStopping {
  private best = Infinity;
  private bestEpoch = 0;
  private waited = 0;

  constructor(
    private readonly patience: number,
    private readonly minDelta: number,
  ) {}

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
}
