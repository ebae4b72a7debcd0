/**
 * A training job's arithmetic, apart from any platform: a streamed SparseAutoencoder run over a
 * ShardSource (docs/SPEC.md §2.1: at most a window of shards in memory, whatever the dataset's
 * size) that advances in slices of optimizer steps and can be checkpointed after any of them and
 * resumed from that checkpoint. Slicing changes nothing in the math: the steps are the same steps
 * in the same order (the run's position holds the epoch, batch and shuffle state), so the final
 * model equals `SparseAutoencoder.fitStream` over the same shards, bit for bit on the same
 * backend — and, for data of one window, `fit` in memory.
 *
 * @example
 * const trainer = await JobTrainer.start(backend, source, spec);          // or with a checkpoint
 * while (!trainer.done) { await trainer.runSteps(200); save(encodeCheckpoint(trainer.checkpoint())); }
 * const { state, metrics } = await trainer.finish();                    // toBinaryModelFile(state)
 */
import { ConfigError } from '../errors.js';
import type { KernelBackend } from '../backends/types.js';
import type { ShardSource } from '../data/shard-source.js';
import { resolveModelConfig, resolveTrainingOptions, type ModelConfig, type TrainingOptions } from '../model/config.js';
import type { Metrics } from '../model/metrics.js';
import type { ModelState } from '../model/model-file.js';
import { normalizationFromRange } from '../model/normalization.js';
import { SparseAutoencoder, type StreamingSlice } from '../model/sparse-autoencoder.js';
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
  /** With validationSplit: the validation loss of every epoch, and the metrics on the held-out rows at the end. */
  validationHistory: number[];
  validationMetrics: Metrics | null;
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

/**
 * What a job does not take yet: early stopping runs in the library and the CLI (fit, fitStream,
 * edge-sae train), where the run keeps its best epoch in memory; a job would have to checkpoint
 * that too. Refused at submit (and here), naming the option, rather than ignored. (A job does
 * take validationSplit: it measures the held-out rows after every epoch.)
 */
export function checkJobTraining(training: Pick<TrainingOptions, 'patience'>): void {
  if (training.patience > 0) {
    throw new ConfigError('training.patience', 'is not taken by jobs yet: early stopping runs in the library and the CLI (edge-sae train); a job runs every epoch');
  }
}

export class JobTrainer {
  private readonly history: number[];
  private readonly validationHistory: number[];
  /** Validation losses that came with the checkpoint: the model holds them already. */
  private readonly resumedValidations: number;

  private constructor(
    readonly model: SparseAutoencoder,
    private readonly slice: StreamingSlice,
    readonly stepsPerEpoch: number,
    history: number[],
    validationHistory: number[],
  ) {
    this.history = history;
    this.validationHistory = validationHistory;
    this.resumedValidations = validationHistory.length;
  }

  /**
   * Starts a run over `source`, or resumes one from `checkpoint`: its parameters and Adam state go
   * into a model whose normalisation comes from the source's column range (what a fresh streamed
   * run fits, so identical to the first slice's), and its position into the run.
   */
  static start(backend: KernelBackend, source: ShardSource, spec: JobSpec, checkpoint?: Checkpoint): JobTrainer {
    const config = resolveModelConfig(source.cols, spec.config);
    const training = resolveTrainingOptions(spec.training);
    checkJobTraining(training);
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
        normalization: normalizationFromRange(config.normalize, source.columnMin, source.columnMax),
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
      const slice = model.startStreamTraining(source, training, checkpoint?.position);
      // Steps of the rows it trains on (the kept rows, with validationSplit).
      return new JobTrainer(model, slice, slice.run.stepsPerEpoch, checkpoint ? [...checkpoint.lossHistory] : [], [...(checkpoint?.validationHistory ?? [])]);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  get done(): boolean {
    return this.slice.run.done;
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
    return this.validationHistory;
  }

  /**
   * Runs up to `maxSteps` steps, reading the shards they need; resolves to the losses of the
   * epochs that finished. With validationSplit it stops at each epoch's end to measure the
   * held-out rows there, as fitStream does. Rejects with TrainingDivergedError.
   */
  async runSteps(maxSteps: number): Promise<number[]> {
    if (this.slice.validationRows === 0) {
      const losses = await this.slice.step(maxSteps);
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
        this.validationHistory.push((await this.slice.validate())!);
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
      validationHistory: [...this.validationHistory],
    };
  }

  /** Metrics (streamed over the shards) and the model of the finished run. Rejects with TrainingDivergedError on non-finite weights. */
  async finish(): Promise<JobResult> {
    // The slice's run covers the epochs since the checkpoint; so do the validation losses it records.
    const outcome = { epochsRun: this.totalEpochs, validationHistory: this.validationHistory.slice(this.resumedValidations), bestEpoch: null };
    const { metrics, validationMetrics } = await this.slice.finish(outcome);
    return { state: this.model.toState(), metrics, lossHistory: [...this.history], validationHistory: [...this.validationHistory], validationMetrics };
  }

  dispose(): void {
    this.model.dispose();
  }
}
