/**
 * A training job's arithmetic, apart from any platform: a streamed SparseAutoencoder run over a
 * ShardSource (docs/SPEC.md §2.1: at most a window of shards in memory, whatever the dataset's
 * size) that advances in slices of optimizer steps and can be checkpointed after any of them and
 * resumed from that checkpoint. Slicing changes nothing in the math: the steps are the same steps
 * in the same order (the run's position holds the epoch, batch and shuffle state), so the final
 * model equals `SparseAutoencoder.fitStream` over the same shards, bit for bit on the same
 * backend — and, for data of one window, `fit` in memory. Early stopping included: the epochs go
 * through fitStream's own EpochLoop, whose counters and best weights the checkpoint carries.
 *
 * @example
 * const trainer = await JobTrainer.start(backend, source, spec);          // or with a checkpoint
 * while (!trainer.done) { await trainer.runSteps(200); save(encodeCheckpoint(trainer.checkpoint())); }
 * const { state, metrics } = await trainer.finish();                    // toBinaryModelFile(state)
 */
import type { KernelBackend } from '../backends/types.js';
import type { ShardSource } from '../data/shard-source.js';
import { resolveModelConfig, resolveTrainingOptions, type ModelConfig, type NormalizationKind, type TrainingOptions } from '../model/config.js';
import { EpochLoop } from '../model/epoch-loop.js';
import type { Metrics } from '../model/metrics.js';
import type { ModelState } from '../model/model-file.js';
import { normalizationFromRange, type Normalization } from '../model/normalization.js';
import { SparseAutoencoder, type FinishingPass, type StreamingSlice } from '../model/sparse-autoencoder.js';
import type { MetricsProgress } from '../model/metrics-pass.js';
import type { RunOutcome } from '../model/epoch-loop.js';
import type { Checkpoint } from './checkpoint.js';

/** What a job trains: the model config and training options (partial; defaults as everywhere). */
export interface JobSpec {
  config?: Partial<ModelConfig>;
  training?: Partial<TrainingOptions>;
}

export interface JobResult {
  /** The finished model, as the model file writers take it. */
  state: ModelState;
  metrics: Metrics;
  lossHistory: number[];
  /** With validation (validationSplit or a validation set): the validation loss of every epoch, and the metrics on the held-out rows at the end. */
  validationHistory: number[];
  validationMetrics: Metrics | null;
  /** With early stopping (patience): the 1-based epoch whose weights the model kept; else null (fit's bestEpoch). */
  bestEpoch: number | null;
  /** Epochs run: all of them, or fewer when early stopping ended the run. */
  epochsRun: number;
}

/** Floating-point operations of one optimizer step on `batchRows` rows (see limits.trainingFlops). */
export function stepFlops(batchRows: number, inputSize: number, hiddenSize: number): number {
  return 12 * batchRows * inputSize * hiddenSize;
}

/** Rows in one step: batchSize, or all of them for 0 / a batch as large as the data. */
export function effectiveBatchRows(rows: number, batchSize: number): number {
  return batchSize === 0 || batchSize >= rows ? rows : batchSize;
}

/** Optimizer steps of a whole run. */
export function totalSteps(rows: number, batchSize: number, epochs: number): number {
  return epochs * Math.ceil(rows / effectiveBatchRows(rows, batchSize));
}

export class JobTrainer {
  private readonly history: number[];
  /** Epochs that came with the checkpoint: the model holds their losses (and validation losses) already. */
  private readonly resumedEpochs: number;
  /** The final metrics pass, once begun (measure); with the run's outcome it was begun with. */
  private finishing: { pass: FinishingPass; outcome: RunOutcome } | null = null;
  /** Where a checkpoint left the final metrics pass, to resume it there. */
  private resumedMetrics: MetricsProgress | undefined;

  private constructor(
    readonly model: SparseAutoencoder,
    private readonly slice: StreamingSlice,
    readonly stepsPerEpoch: number,
    history: number[],
    /** fitStream's epoch bookkeeping (validation losses, early stopping and its best weights). */
    private readonly epochs: EpochLoop,
  ) {
    this.history = history;
    this.resumedEpochs = history.length;
  }

  /**
   * Starts a run over `source`, or resumes one from `checkpoint`: its parameters and Adam state go
   * into a model whose normalisation comes from the source's column range (what a fresh streamed
   * run fits, so identical to the first slice's), and its position into the run. `validation` is
   * a validation set of its own, measured after every epoch instead of a split (fitStream's
   * `validation`); a resumed run must be given the same one.
   */
  static start(backend: KernelBackend, source: ShardSource, spec: JobSpec, checkpoint?: Checkpoint, validation?: ShardSource): JobTrainer {
    const config = resolveModelConfig(source.cols, spec.config);
    const training = resolveTrainingOptions(spec.training);
    let model: SparseAutoencoder;
    if (checkpoint) {
      const shape = { inputSize: source.cols, hiddenSize: config.hiddenSize };
      if (checkpoint.shape.inputSize !== shape.inputSize || checkpoint.shape.hiddenSize !== shape.hiddenSize) {
        throw new Error('checkpoint shape does not match the job');
      }
      // A model state is the one public way to load parameters and optimizer state; the history
      // so far goes in too, so the finished model's lossHistory covers the whole run.
      model = SparseAutoencoder.fromState({
        shape,
        config,
        normalization: checkpointNormalization(config.normalize, source, checkpoint),
        parameters: checkpoint.parameters,
        training: { ...training, epochsCompleted: 0 },
        trainedWith: backend.name,
        optimizerState: checkpoint.optimizerState,
        metrics: null,
        lossHistory: checkpoint.lossHistory,
        stepsSinceFired: checkpoint.stepsSinceFired,
        // One validation loss per epoch so far (validationSplit validates every epoch).
        ...(checkpoint.validationHistory?.length ? { validationHistory: checkpoint.validationHistory } : {}),
      }, backend);
    } else {
      model = SparseAutoencoder.create(source.cols, config, backend, { seed: training.seed });
    }
    try {
      // A validation set is read afresh by the slice (it holds no state), so resuming needs only the source.
      const slice = model.startStreamTraining(source, training, checkpoint?.position, validation);
      // The loop resumes where the checkpoint left it; a checkpoint from before jobs took early
      // stopping has no counters, which is right: such a job has no patience.
      const epochs = new EpochLoop(training, slice.validationRows > 0, model.weightKeeper(), checkpoint && {
        epoch: checkpoint.lossHistory.length,
        validationHistory: checkpoint.validationHistory ?? [],
        earlyStopping: checkpoint.earlyStopping ?? null,
        best: checkpoint.best ?? null,
      });
      // Steps of the rows it trains on (the kept rows, with validationSplit).
      const trainer = new JobTrainer(model, slice, slice.run.stepsPerEpoch, checkpoint ? [...checkpoint.lossHistory] : [], epochs);
      trainer.resumedMetrics = checkpoint?.metrics;
      return trainer;
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  /** The last epoch has run, or early stopping ended the run. */
  get done(): boolean {
    return this.slice.run.done || this.epochs.stopped;
  }

  /** Whether early stopping ended the run before its last epoch. */
  get stoppedEarly(): boolean {
    return this.epochs.stopped;
  }

  /** With early stopping: the epoch of the best validation loss so far (the one the model keeps); else null. */
  get bestEpoch(): number | null {
    return this.epochs.bestEpoch;
  }

  get totalEpochs(): number {
    return this.slice.run.totalEpochs;
  }

  /** Epochs finished. */
  get epoch(): number {
    return this.slice.run.getPosition().epoch;
  }

  /** Optimizer steps taken in the whole run. */
  get step(): number {
    const { epoch, batch } = this.slice.run.getPosition();
    return epoch * this.stepsPerEpoch + batch;
  }

  /**
   * Steps that run without reading a shard (StreamingRun.stepsBeforeRead); with validation, the
   * step that ends an epoch reads the held-out rows, so it counts as a read.
   */
  get stepsBeforeRead(): number {
    const steps = this.slice.run.stepsBeforeRead;
    return this.slice.validationRows > 0 ? Math.min(steps, this.slice.run.stepsLeftInEpoch - 1) : steps;
  }

  /** Loss of every finished epoch so far. */
  get lossHistory(): readonly number[] {
    return this.history;
  }

  /** Optimizer steps of the whole run (on the kept rows, with validationSplit). */
  get totalSteps(): number {
    return this.stepsPerEpoch * this.totalEpochs;
  }

  /** The validation loss of every finished epoch so far (empty without validationSplit). */
  get validationLosses(): readonly number[] {
    return this.epochs.state.validationHistory;
  }

  /**
   * Runs up to `maxSteps` steps, reading the shards they need; resolves to the losses of the
   * epochs that finished. With validationSplit it stops at each epoch's end to measure the
   * held-out rows there, and with patience ends the run when early stopping says so, as
   * fitStream does (the same EpochLoop). Rejects with TrainingDivergedError.
   */
  async runSteps(maxSteps: number): Promise<number[]> {
    if (this.slice.validationRows === 0) {
      const losses = await this.slice.step(maxSteps);
      for (const loss of losses) this.epochs.ended(loss, null, undefined, this.totalEpochs);
      this.history.push(...losses);
      return losses;
    }
    const losses: number[] = [];
    for (let left = maxSteps; left > 0 && !this.done; ) {
      const steps = Math.min(left, this.slice.run.stepsLeftInEpoch);
      left -= steps;
      for (const loss of await this.slice.step(steps)) {
        losses.push(loss);
        this.history.push(loss);
        this.epochs.ended(loss, await this.slice.validate(), undefined, this.totalEpochs);
      }
    }
    return losses;
  }

  /** Everything needed to resume exactly from here. */
  checkpoint(): Checkpoint {
    return {
      shape: this.model.shape,
      position: this.slice.run.getPosition(),
      lossHistory: [...this.history],
      parameters: this.model.getParameters(),
      optimizerState: this.model.getOptimizerState(),
      stepsSinceFired: this.model.stepsSinceFired,
      ...this.earlyStoppingCheckpoint(),
      ...standardizationOf(this.slice.normalization()),
      ...(this.finishing ? { metrics: this.finishing.pass.progress() } : {}),
    };
  }

  /** The loop's validation losses and, with early stopping, its counters and best weights. */
  private earlyStoppingCheckpoint(): Pick<Checkpoint, 'validationHistory' | 'earlyStopping' | 'best'> {
    const { validationHistory, earlyStopping, best } = this.epochs.state;
    return { validationHistory, ...(earlyStopping ? { earlyStopping } : {}), ...(best ? { best } : {}) };
  }

  /**
   * Runs up to `maxUnits` units of the final metrics pass (a shard, or a source of one window; see
   * src/model/metrics-pass.ts), once the run is done; resolves whether the pass has finished. A
   * checkpoint taken between calls resumes the pass where it stopped, with the same sums, so the
   * metrics are finish()'s in one go, bit for bit. Rejects with TrainingDivergedError on
   * non-finite weights.
   */
  async measure(maxUnits: number): Promise<boolean> {
    const { pass } = await this.finishingPass();
    await pass.step(maxUnits);
    return pass.done;
  }

  /** Whether the final metrics pass has begun (measure, or a checkpoint taken during it). */
  get measuring(): boolean {
    return this.finishing !== null || this.resumedMetrics !== undefined;
  }

  /**
   * Metrics (streamed over the shards; the rest of the pass measure began) and the model of the
   * finished run; with early stopping, the best epoch's weights, Adam state and dead-unit counts
   * go back into the model first, as fitStream's. Rejects with TrainingDivergedError on
   * non-finite weights.
   */
  async finish(): Promise<JobResult> {
    const { pass, outcome } = await this.finishingPass();
    await pass.step(Infinity);
    const { metrics, validationMetrics } = pass.result();
    return { state: this.model.toState(), metrics, lossHistory: [...this.history], validationHistory: outcome.validationHistory, validationMetrics, bestEpoch: outcome.bestEpoch, epochsRun: outcome.epochsRun };
  }

  private async finishingPass(): Promise<{ pass: FinishingPass; outcome: RunOutcome }> {
    if (this.finishing) return this.finishing;
    const outcome = this.epochs.outcome(); // the whole job's run, resumed epochs included
    // A resumed model holds the epochs before the checkpoint already (lossHistory and its
    // validation losses): the slice records the epochs since, and the best epoch counted from
    // them (≤ 0 when it came before the resume), which lands it at its place in the whole history.
    const resumed = this.resumedEpochs;
    const sinceResume = { ...outcome, validationHistory: outcome.validationHistory.slice(resumed), bestEpoch: outcome.bestEpoch === null ? null : outcome.bestEpoch - resumed };
    const pass = await this.slice.finishInParts(sinceResume, this.resumedMetrics);
    this.finishing = { pass, outcome };
    return this.finishing;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * The scaling a resumed run continues with: what a fresh streamed run fits from the source's
 * column range (minmax, none), or the standardisation its first slice fitted, kept in the checkpoint.
 */
function checkpointNormalization(kind: NormalizationKind, source: ShardSource, checkpoint: Checkpoint): Normalization {
  if (kind !== 'standardize') return normalizationFromRange(kind, source.columnMin, source.columnMax);
  // Checkpoints are written after a slice's steps, and the first step fits the standardisation.
  if (!checkpoint.normalization) throw new Error('checkpoint of a standardize run lacks its fitted standardisation');
  return checkpoint.normalization;
}

function standardizationOf(normalization: Normalization | null): Pick<Checkpoint, 'normalization'> {
  return normalization?.kind === 'standardize' ? { normalization } : {};
}
