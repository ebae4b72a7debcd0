/**
 * The sparse autoencoder (docs/SPEC.md section 2): one sigmoid hidden layer trained on squared
 * reconstruction error + weight decay + KL sparsity penalty. It holds its parameters and
 * optimizer state in a backend session and knows nothing of files, HTTP or terminals.
 *
 * @example
 * const { backend } = await loadNodeBackend('auto');
 * const model = SparseAutoencoder.create(16, { hiddenSize: 48 }, backend, { seed: 1 });
 * const { metrics, lossHistory } = model.fit(rows, { epochs: 1000 });
 * const codes = model.encode(rows); // rows × 48 hidden activations
 */
import type { AdamState, BackendName, BackendSession, KernelBackend, LayerShape, LossConfig, Parameters } from '../backends/types.js';
import type { ArchitectureModule } from '../architectures/contract.js';
import { architectureModule } from '../architectures/registry.js';
import { architectureOf } from '../backends/types.js';
import type { BackendReport } from '../backends/select.js';
import { toMatrix, type Matrix } from '../data/matrix.js';
import { splitMatrix, splitSource } from '../data/row-split.js';
import { checkEarlyStopping } from './early-stopping.js';
import { EpochLoop, type RunOutcome, type TrainingProgress, type WeightKeeper } from './epoch-loop.js';
import { ConfigError, DataError, TrainingDivergedError } from '../errors.js';
import {
  checkTrainable,
  DEFAULT_TRAINING_OPTIONS,
  lossConfigOf,
  optimizerConfig,
  scheduleOf,
  resolveModelConfig,
  resolveTrainingOptions,
  type ModelConfig,
  type TrainingOptions,
} from './config.js';
import { checkGivenParameters } from './given-parameters.js';
import { decoderBiasFromData, initialParameters } from './initialization.js';
import { activeThreshold, addFiringCounts, computeMetrics, firingFrequencyOf, type Metrics, type StoredMetrics } from './metrics.js';
import { readModelBytes } from './model-bytes.js';
import { toBinaryModelFile } from './model-file-binary.js';
import { readModelFile, toModelFile, type ModelFile, type ModelState } from './model-file.js';
import { convertWeightDtype } from './convert-dtype.js';
import { EncodingSession } from './encoding-session.js';
import { isWeightDtype, WEIGHT_DTYPES, type StoredWeights, type WeightDtype } from './weight-dtype.js';
import { describeValue } from '../util/describe-value.js';
import { checkFiniteMetrics, checkFiniteOutput } from './output-check.js';
import { lastEpochOf, summariseHistory } from './history.js';
import { checkAllFinite, denormalize, fitNormalization, normalizationFromRange, normalizationVectors, normalize, normalizeInto, rowDenormalize, rowNormalize, StandardizationFit, type Normalization, type RowNormalization } from './normalization.js';
import type { SourceMetadata } from './source-metadata.js';
import { shuffleSeed } from './random.js';
import { checkSelection, fromFeatureLists, selectSparse, SparseDecoder, type FeatureList, type SparseCodes, type SparseSelection } from './sparse-codes.js';
import { decoderOutput } from './sparse-decode.js';
import { StreamedMetrics } from './streamed-metrics.js';
import { isMultiWindow, StreamingRun, type ShardPreparer } from './streaming-run.js';
import { MetricsPass, type MetricsOps, type MetricsPart, type MetricsProgress } from './metrics-pass.js';
import { TrainingRun, type TrainingPosition } from './training-run.js';
import { checkShardLength, shardRowCount, type ShardSource } from '../data/shard-source.js';

export type { RunOutcome, TrainingProgress } from './epoch-loop.js';

/** Rows as nested arrays, or a row-major Matrix. */
export type DataInput = number[][] | Matrix;

export interface FitResult {
  /** Metrics of the trained model on the whole training data (the kept rows, with validationSplit). */
  metrics: Metrics;
  /** One loss per epoch of this fit. */
  lossHistory: number[];
  /** With validation (validationSplit, or a validation set): the validation loss after each epoch of this fit; else empty. */
  validationHistory: number[];
  /** With validation: the model's metrics on the held-out rows (or the validation set); else null. */
  validationMetrics: Metrics | null;
  /** With early stopping (patience): the 1-based epoch whose weights the model kept; else null. */
  bestEpoch: number | null;
}

/**
 * What fit and fitStream take beside the training options: a progress callback, and a validation
 * set of its own (`V`: rows for fit, a ShardSource for fitStream) measured after every epoch
 * instead of a validationSplit of the training rows. The validation rows are in the caller's
 * scale, and are not part of the fitted scaling (the training rows alone fit it).
 */
export interface FitExtras<V> {
  onProgress?: (p: TrainingProgress) => void;
  validation?: V;
}

/** fit's and fitStream's third argument: the progress callback alone, or FitExtras. */
type ExtrasArgument<V> = ((p: TrainingProgress) => void) | FitExtras<V> | undefined;

function extrasOf<V>(argument: ExtrasArgument<V>): FitExtras<V> {
  return typeof argument === 'function' ? { onProgress: argument } : (argument ?? {});
}

export interface CreateOptions {
  /** Seeds the initial weights; default DEFAULT_TRAINING_OPTIONS.seed. */
  seed?: number;
  /** How the backend was chosen (which one, and why others were skipped), kept on the model. */
  backendReport?: BackendReport;
}

/** A run in progress, for callers that train in slices (jobs); see SparseAutoencoder.startTraining. */
export interface TrainingSlice {
  readonly run: TrainingRun;
  /** Runs up to `maxSteps` steps; returns the epoch losses finished. Restores the model on divergence. */
  step(maxSteps: number): number[];
  /** Held-out rows (validationSplit), 0 without. */
  readonly validationRows: number;
  /** The loss on the held-out rows at the current weights, or null without validationSplit. */
  validate(): number | null;
  /**
   * Computes the final metrics and records the run in the model. Call once the run is done, or
   * when early stopping ends it after `epochsRun` epochs (the default: all of them).
   */
  finish(outcome?: RunOutcome): FitResult;
}

/**
 * A streamed run in progress (see SparseAutoencoder.startStreamTraining): the same as
 * TrainingSlice, but asynchronous where shards are read. One call at a time.
 */
export interface StreamingSlice {
  readonly run: StreamingRun;
  /** Runs up to `maxSteps` steps, reading the shards they need; resolves to the epoch losses finished. Restores the model on divergence. */
  step(maxSteps: number): Promise<number[]>;
  /** Held-out rows (validationSplit), 0 without. */
  readonly validationRows: number;
  /**
   * The run's input scaling once it is known (a checkpoint keeps it): at once for minmax and
   * none, after the first step for standardize (fitted in two passes over the shards); null before.
   */
  normalization(): Normalization | null;
  /** The loss on the held-out rows at the current weights (streamed over them), or null without validationSplit. */
  validate(): Promise<number | null>;
  /** Computes the final metrics (streamed over the shards) and records the run in the model. Call once the run is done (see TrainingSlice.finish). */
  finish(outcome?: RunOutcome): Promise<FitResult>;
  /**
   * finish() in parts, for callers with a time budget (jobs): the final metrics pass a shard at a
   * time (./metrics-pass.ts), resumable from a `progress` it gave; the result is finish()'s, bit for bit.
   */
  finishInParts(outcome?: RunOutcome, progress?: MetricsProgress): Promise<FinishingPass>;
}

/** The end of a streamed run, a unit of its metrics pass at a time (StreamingSlice.finishInParts). */
export interface FinishingPass {
  readonly done: boolean;
  /** Runs up to `maxUnits` units of the pass (a shard, or a source of one window). */
  step(maxUnits: number): Promise<void>;
  progress(): MetricsProgress;
  /** Once done: records the run in the model and says what it gave (as finish). */
  result(): FitResult;
}

export class SparseAutoencoder {
  private normalization: Normalization | null;
  /** An imported model's per-row input normalisation (normalization.ts), before `normalization`; null: none. */
  readonly rowNormalization: RowNormalization | null;
  /** Where an imported model came from (source-metadata.ts); null for models trained here. */
  readonly source: SourceMetadata | null;
  /** An imported model's log10 feature density as its source measured it (SAELens' sparsity.safetensors), [h]; null: none. */
  readonly logFeatureDensity: Float32Array | null;
  private training: TrainingOptions & { epochsCompleted: number };
  private trainedWith: string;
  private metrics: StoredMetrics | null;
  private lossHistory: number[];
  /** Aligned with lossHistory (see ModelState.validationHistory); null until a run validates. */
  private validationHistory: (number | null)[] | null;
  private bestEpoch: number | null;
  /** The epoch of each lossHistory entry once the history is summarised (history.ts); null: every epoch. */
  private historyEpochs: number[] | null;
  private disposed = false;
  /** Optimizer state loaded from a file and not yet handed to the session (see the constructor). */
  private pendingOptimizerState: AdamState | null = null;
  /** How the backend was chosen, when the caller said (see resolveBackend). */
  readonly backendReport: BackendReport | null;
  /** A bf16 or int8 model's weight matrices as stored (the session holds them widened); null: float32. */
  private readonly stored: StoredWeights | null;
  /**
   * The encode-only session encode runs (./encoding-session.ts): made on the first encode, dropped
   * whenever the weights may change (a training run's steps, a restore); null when the backend has
   * none (tfjs: encode runs the full session's), undefined until first asked.
   */
  private encoding: EncodingSession | null | undefined = undefined;

  private constructor(
    private readonly session: BackendSession,
    private readonly backend: KernelBackend,
    readonly backendName: BackendName,
    readonly config: ModelConfig,
    state: Partial<ModelState>,
    backendReport?: BackendReport,
  ) {
    this.backendReport = backendReport ?? null;
    this.normalization = state.normalization ?? null;
    this.rowNormalization = state.rowNormalization ?? null;
    this.source = state.source ?? null;
    this.logFeatureDensity = state.logFeatureDensity ?? null;
    this.training = state.training ?? { ...DEFAULT_TRAINING_OPTIONS, epochsCompleted: 0 };
    this.trainedWith = state.trainedWith ?? backendName;
    this.metrics = state.metrics ?? null;
    this.lossHistory = state.lossHistory ?? [];
    this.validationHistory = state.validationHistory ?? null;
    this.bestEpoch = state.bestEpoch ?? null;
    this.historyEpochs = state.historyEpochs ?? null;
    this.stored = state.stored ?? null;
    // Adam's moments go into the session only when training needs them: a loaded model that only
    // encodes (the Worker's cold path) copies its weights into the backend, not twice as much again.
    this.pendingOptimizerState = state.optimizerState ?? null;
  }

  /** A fresh, untrained model: weights uniform in ±√(6/(n+h+1)) from `seed`, biases 0. */
  static create(inputSize: number, config: Partial<ModelConfig>, backend: KernelBackend, options: CreateOptions = {}): SparseAutoencoder {
    const resolved = resolveModelConfig(inputSize, config);
    const shape = { inputSize, hiddenSize: resolved.hiddenSize };
    const seed = resolveTrainingOptions({ seed: options.seed }).seed;
    const session = backend.createSession(shape, initialParameters(shape, seed, resolved.architecture, resolved), architectureOf(resolved));
    return new SparseAutoencoder(session, backend, backend.name, resolved, {}, options.backendReport);
  }

  /**
   * A model from given parameters, e.g. an imported SAE's tensors: each parameter the config's
   * architecture declares (architectureModule(name).parameters(shape): W1 [n×h], b1 [h], W2 [h×n],
   * b2 [n], then its own, such as gated's r_mag and b_mag), row-major float32, weights
   * [inputs, outputs]. inputSize is b2's length; hiddenSize is the config's (default: from
   * inputSize, so give it). The input scaling defaults to none (the tensors take the data as it
   * is). The model encodes and decodes at once; it trains if its architecture does. Throws
   * ConfigError naming a missing, mis-sized, non-finite or unknown parameter.
   */
  static fromParameters(
    config: Partial<ModelConfig>,
    parameters: Readonly<Record<string, Float32Array>>,
    backend: KernelBackend,
    options: { normalization?: Normalization; backendReport?: BackendReport } = {},
  ): SparseAutoencoder {
    const b2 = parameters?.b2;
    if (!(b2 instanceof Float32Array) || b2.length === 0) throw new ConfigError('parameters.b2', 'must be a Float32Array of inputSize values (the decoder bias, b_dec)');
    const normalization = options.normalization ?? { kind: 'none' };
    for (const [name, values] of normalizationVectors(normalization)) {
      if (!(values instanceof Float32Array) || values.length !== b2.length) throw new ConfigError(`normalization.${name}`, `must be a Float32Array of ${b2.length} values (one per input)`);
    }
    const resolved = resolveModelConfig(b2.length, { ...config, normalize: normalization.kind });
    const shape = { inputSize: b2.length, hiddenSize: resolved.hiddenSize };
    const state: ModelState = {
      shape,
      config: resolved,
      normalization,
      parameters: checkGivenParameters(resolved.architecture, shape, parameters),
      training: { ...DEFAULT_TRAINING_OPTIONS, epochsCompleted: 0 },
      trainedWith: backend.name,
      optimizerState: null,
      metrics: null,
      lossHistory: [],
    };
    return SparseAutoencoder.fromState(state, backend, options.backendReport);
  }

  /** A model from its file (docs/SPEC.md section 3, parsed JSON); throws ModelFileError naming the bad field. */
  static fromFile(file: unknown, backend: KernelBackend, source?: string, backendReport?: BackendReport): SparseAutoencoder {
    return SparseAutoencoder.fromState(readModelFile(file, source), backend, backendReport);
  }

  /**
   * A model from the bytes of a model file of either form (binary safetensors or JSON text, told
   * apart by content); throws ModelFileError naming the bad field.
   */
  static fromBytes(bytes: Uint8Array, backend: KernelBackend, source?: string, backendReport?: BackendReport): SparseAutoencoder {
    return SparseAutoencoder.fromState(readModelBytes(bytes, source), backend, backendReport);
  }

  /** A model from a checked model state (what the file readers return). */
  static fromState(state: ModelState, backend: KernelBackend, backendReport?: BackendReport): SparseAutoencoder {
    const session = backend.createSession(state.shape, state.parameters, architectureOf(state.config));
    if (state.stepsSinceFired) session.setStepsSinceFired(state.stepsSinceFired);
    return new SparseAutoencoder(session, backend, backend.name, state.config, state, backendReport);
  }

  /** The dtype the weight matrices are stored in: f32, or bf16 / int8 (src/model/weight-dtype.ts). */
  get weightDtype(): WeightDtype {
    return this.stored?.dtype ?? 'f32';
  }

  /**
   * This model with its weight matrices in `dtype`, a new model on the same backend (this one is
   * left as it is): narrowing rounds the weights (bf16) or quantises them per hidden unit (int8);
   * widening back to f32 is exact. A bf16 or int8 model encodes, decodes, evaluates and is saved
   * (as a binary file) but does not train: convert it to f32 to train on. Adam's state is dropped
   * (src/model/convert-dtype.ts).
   */
  withWeightDtype(dtype: WeightDtype): SparseAutoencoder {
    if (!isWeightDtype(dtype)) throw new ConfigError('weightDtype', `must be one of ${WEIGHT_DTYPES.join(', ')}, got ${describeValue(dtype)}`);
    let state: ModelState;
    try {
      state = convertWeightDtype(this.toState(), dtype);
    } catch (error) {
      if (error instanceof RangeError) throw new ConfigError('weightDtype', `cannot convert to ${dtype}: ${error.message}`);
      throw error;
    }
    return SparseAutoencoder.fromState(state, this.backend, this.backendReport ?? undefined);
  }

  get inputSize(): number {
    return this.session.shape.inputSize;
  }

  get hiddenSize(): number {
    return this.session.shape.hiddenSize;
  }

  get shape(): LayerShape {
    return this.session.shape;
  }

  /** Whether the model has been trained (its normalisation fitted). */
  get trained(): boolean {
    return this.normalization !== null;
  }

  /** The fitted input scaling, or null before the first fit (exports fold it into their graphs). */
  get inputNormalization(): Normalization | null {
    return this.normalization;
  }

  /** The options of the last training run, and the epochs trained in all runs. */
  get trainingOptions(): TrainingOptions & { epochsCompleted: number } {
    return { ...this.training };
  }

  /** The training steps since each hidden unit last fired, for an architecture whose training reads them (TopK); null for the others. */
  get stepsSinceFired(): Uint32Array | null {
    return this.module.keepsFiringCounts ? this.session.getStepsSinceFired() : null;
  }

  get lastMetrics(): StoredMetrics | null {
    return this.metrics;
  }

  /** The model file of this model, ready for JSON.stringify. */
  toFile(): ModelFile {
    return toModelFile(this.toState());
  }

  /**
   * The binary model file of this model (safetensors layout, docs/MODEL-FORMAT.md), with its
   * weights in `options.dtype` (default: the model's own, weightDtype).
   */
  toBinaryFile(options: { dtype?: WeightDtype } = {}): Uint8Array<ArrayBuffer> {
    if (options.dtype === undefined || options.dtype === this.weightDtype) return toBinaryModelFile(this.toState());
    if (!isWeightDtype(options.dtype)) throw new ConfigError('dtype', `must be one of ${WEIGHT_DTYPES.join(', ')}, got ${describeValue(options.dtype)}`);
    try {
      return toBinaryModelFile(convertWeightDtype(this.toState(), options.dtype));
    } catch (error) {
      if (error instanceof RangeError) throw new ConfigError('dtype', `cannot convert to ${options.dtype}: ${error.message}`);
      throw error;
    }
  }

  /** Everything the model is made of, as the file writers take it (copies of the numbers). */
  toState(): ModelState {
    this.checkUsable();
    if (this.normalization === null) {
      throw new Error('cannot save a model before it has been trained: its normalisation is fitted on the training data');
    }
    return {
      shape: this.shape,
      config: this.config,
      normalization: this.normalization,
      parameters: this.session.getParameters(),
      training: this.training,
      trainedWith: this.trainedWith,
      optimizerState: this.getOptimizerState(),
      metrics: this.metrics,
      lossHistory: this.lossHistory,
      // Only TopK reads it (its AuxK loss); the other files stay as they were.
      stepsSinceFired: this.stepsSinceFired,
      // Only validated runs have them; a model trained without validationSplit writes neither.
      ...(this.validationHistory ? { validationHistory: this.validationHistory } : {}),
      ...(this.bestEpoch !== null ? { bestEpoch: this.bestEpoch } : {}),
      ...(this.historyEpochs !== null ? { historyEpochs: this.historyEpochs } : {}),
      ...(this.rowNormalization !== null ? { rowNormalization: this.rowNormalization } : {}),
      ...(this.source !== null ? { source: this.source } : {}),
      ...(this.logFeatureDensity !== null ? { logFeatureDensity: this.logFeatureDensity } : {}),
      ...(this.stored ? { stored: this.stored } : {}),
    };
  }

  /**
   * Trains on `data` (in the caller's scale). The first fit fits the normalisation; later fits,
   * and fits of a loaded model, keep it and continue from the current weights and optimizer
   * state. On divergence (a non-finite loss or weight) the model is restored to what it was
   * before the call and TrainingDivergedError is thrown.
   */
  fit(data: DataInput, training: Partial<TrainingOptions> = {}, extras?: ExtrasArgument<DataInput>): FitResult {
    const options = resolveTrainingOptions(training);
    const { onProgress, validation } = extrasOf(extras);
    const slice = this.startTraining(data, options, undefined, validation);
    const epochs = new EpochLoop(options, slice.validationRows > 0, this.weightKeeper());
    while (!slice.run.done && !epochs.stopped) {
      // With validation, stop at each epoch's end to measure it there.
      for (const loss of slice.step(epochs.validating ? slice.run.stepsLeftInEpoch : 64)) {
        epochs.ended(loss, epochs.validating ? slice.validate() : null, onProgress, slice.run.totalEpochs);
      }
    }
    return slice.finish(epochs.outcome());
  }

  /**
   * Trains on a ShardSource, streamed in the row order of docs/SPEC.md §2.1, holding at most a
   * window of its shards in memory. Data of one window (at most WINDOW_SHARDS shards) trains
   * exactly as `fit` on the same rows, bit for bit. Minmax is fitted from the source's
   * columnMin / columnMax. Otherwise as `fit` (continuing, divergence, progress).
   */
  async fitStream(source: ShardSource, training: Partial<TrainingOptions> = {}, extras?: ExtrasArgument<ShardSource>): Promise<FitResult> {
    const options = resolveTrainingOptions(training);
    const { onProgress, validation } = extrasOf(extras);
    const slice = this.startStreamTraining(source, options, undefined, validation);
    const epochs = new EpochLoop(options, slice.validationRows > 0, this.weightKeeper());
    while (!slice.run.done && !epochs.stopped) {
      for (const loss of await slice.step(epochs.validating ? slice.run.stepsLeftInEpoch : 64)) {
        epochs.ended(loss, epochs.validating ? await slice.validate() : null, onProgress, slice.run.totalEpochs);
      }
    }
    return slice.finish(epochs.outcome());
  }

  /**
   * startTraining for a ShardSource: a streamed run that advances in slices and resumes from a
   * position (a checkpoint's, with parameters and optimizer state restored by the caller).
   * Throws ConfigError (training.batchSize) for batchSize 0 on data of more than one window.
   */
  startStreamTraining(whole: ShardSource, training: Partial<TrainingOptions> = {}, position?: TrainingPosition, validation?: ShardSource): StreamingSlice {
    this.checkUsable();
    this.checkTrainable();
    checkTrainable(this.config);
    const options = resolveTrainingOptions(training);
    checkValidationChoice(options, validation !== undefined);
    for (const [label, s] of [['data', whole], ['validation', validation]] as const) {
      if (s !== undefined && s.cols !== this.inputSize) {
        throw new DataError(`rows have ${s.cols} columns but the model takes ${this.inputSize} inputs`, { source: label, row: 1 });
      }
    }
    // minmax and none come from the source's column range at once; standardize takes two passes
    // over the shards (all of them, held-out rows too, as fit), run before the first step.
    const normalize = this.config.normalize;
    let normalization: Normalization | null = this.normalization ?? (normalize === 'standardize' ? null : normalizationFromRange(normalize, whole.columnMin, whole.columnMax));
    const fitted = async (): Promise<Normalization> => (normalization ??= await streamedStandardization(whole));
    const split = options.validationSplit > 0 ? splitSource(whole, options.validationSplit, options.seed) : null;
    if (split) checkSplit(split.train.rows, split.validation.rows, options.validationSplit);
    const source = split?.train ?? whole;
    // (normalization is known by the time a shard is prepared: step, validate and finish await fitted first)
    const prepare: ShardPreparer = (index, rows, out, offset) => this.prepareShard(normalization!, source, index, rows, out, offset);
    const held = split?.validation ?? validation ?? null;
    const heldLabel = validation ? 'validation' : 'data';
    const prepareHeld: ShardPreparer = (index, rows, out, offset) => this.prepareShard(normalization!, held!, index, rows, out, offset, heldLabel);
    // Held-out rows of one window are read and normalised once, not again every epoch; more
    // than a window is streamed each time (the memory bound holds).
    let heldCache: Float32Array | null = null;
    const heldInMemory = async (): Promise<Float32Array | null> => {
      if (held === null || isMultiWindow(held)) return null;
      if (heldCache === null) {
        heldCache = new Float32Array(held.rows * held.cols);
        for (let i = 0; i < held.shardCount; i++) prepareHeld(i, await held.readShard(i), heldCache, i * held.shardRows * held.cols);
      }
      return heldCache;
    };
    const loss = this.lossConfig();
    const { before, restore } = this.prepareToTrain();
    const run = new StreamingRun(this.session, source, prepare, loss, optimizerConfig(options), options.epochs, options.batchSize, options.seed, position, scheduleOf(options));
    const lossHistory: number[] = [];
    // relu, TopK: b_dec starts at the mean of the training data, as in startTraining; streamed,
    // that takes one pass over the shards before the first step (summed in the same row order,
    // so data of one window starts exactly as in memory).
    let decoderBiasPending = this.module.decoderBiasFromData && this.normalization === null && position === undefined;
    const slice: StreamingSlice = {
      run,
      step: async (maxSteps) => {
        await fitted();
        if (decoderBiasPending) {
          decoderBiasPending = false;
          this.session.setParameters({ ...before.parameters, b2: await streamedColumnMean(source, prepare) });
        }
        try {
          const losses = (await run.runSteps(maxSteps)).map((e) => e.loss);
          lossHistory.push(...losses);
          return losses;
        } catch (error) {
          if (error instanceof TrainingDivergedError) restore();
          throw error;
        } finally {
          this.weightsChanged();
        }
      },
      validationRows: held?.rows ?? 0,
      normalization: () => normalization,
      validate: async () => {
        await fitted();
        return held === null ? null : (await this.streamedMetrics(held, prepareHeld, await heldInMemory())).loss;
      },
      finishInParts: async (outcome, progress) => {
        await fitted();
        this.checkFinite(outcome?.epochsRun ?? options.epochs, restore);
        const parts: MetricsPart[] = [{ source, prepare, inMemory: async () => run.inMemoryData }];
        if (held !== null) parts.push({ source: held, prepare: prepareHeld, inMemory: heldInMemory });
        const pass = new MetricsPass(parts, this.metricsOps(), progress);
        return {
          get done() {
            return pass.done;
          },
          step: (maxUnits) => pass.step(maxUnits),
          progress: () => pass.progress(),
          result: () => {
            if (!pass.done) throw new Error('the metrics pass has not finished');
            this.normalization = normalization!;
            return this.recordRun(options, pass.results[0]!, pass.results[1] ?? null, lossHistory, outcome);
          },
        };
      },
      finish: async (outcome) => {
        const pass = await slice.finishInParts(outcome);
        await pass.step(Infinity);
        return pass.result();
      },
    };
    return slice;
  }

  /**
   * Starts a training run without running it, for callers that train in slices and checkpoint
   * between them. `position` resumes a run from a checkpoint (with the parameters and optimizer
   * state restored by the caller, e.g. through fromFile).
   */
  startTraining(data: DataInput, training: Partial<TrainingOptions> = {}, position?: TrainingPosition, validation?: DataInput): TrainingSlice {
    this.checkUsable();
    this.checkTrainable();
    checkTrainable(this.config);
    const options = resolveTrainingOptions(training);
    checkValidationChoice(options, validation !== undefined);
    const whole = this.checkWidth(toMatrix(data, 'data'), 'data');
    const separate = validation === undefined ? null : this.checkWidth(toMatrix(validation, 'validation'), 'validation');
    // The scaling is fitted on all the rows, held-out ones included (row-split.ts says why).
    const normalization = this.normalization ?? fitNormalization(this.config.normalize, whole.data, whole.rows, whole.cols);
    const split = options.validationSplit > 0 ? splitMatrix(whole, options.validationSplit, options.seed) : null;
    if (split) checkSplit(split.train.rows, split.validation.rows, options.validationSplit);
    const matrix = split?.train ?? whole;
    const x = normalize(normalization, matrix.data, matrix.rows, matrix.cols, 'data', this.linear);
    const heldRows = split?.validation ?? separate;
    const heldLabel = separate ? 'validation' : 'data';
    const held = heldRows === null ? null : { x: normalize(normalization, heldRows.data, heldRows.rows, heldRows.cols, heldLabel, this.linear), rows: heldRows.rows };
    const loss = this.lossConfig();

    const { before, restore } = this.prepareToTrain();
    if (this.module.decoderBiasFromData && this.normalization === null && position === undefined) {
      // relu, TopK: b_dec starts at the mean of the first training data (initialization.ts)
      this.session.setParameters({ ...before.parameters, b2: decoderBiasFromData(x, matrix.rows, this.inputSize) });
    }
    this.session.setTrainingData(x, matrix.rows);
    const run = new TrainingRun(
      this.session,
      matrix.rows,
      loss,
      optimizerConfig(options),
      options.epochs,
      options.batchSize,
      shuffleSeed(options.seed),
      position,
      scheduleOf(options),
    );
    const lossHistory: number[] = [];
    return {
      run,
      step: (maxSteps) => {
        try {
          const losses = run.runSteps(maxSteps).map((e) => e.loss);
          lossHistory.push(...losses);
          return losses;
        } catch (error) {
          if (error instanceof TrainingDivergedError) restore();
          throw error;
        } finally {
          this.weightsChanged();
        }
      },
      validationRows: held?.rows ?? 0,
      validate: () => (held === null ? null : this.metricsOn(held.x, held.rows).loss),
      finish: (outcome) => {
        const epochsRun = outcome?.epochsRun ?? options.epochs;
        this.checkFinite(epochsRun, restore);
        this.normalization = normalization;
        const metrics = this.metricsOn(x, matrix.rows);
        const validationMetrics = held === null ? null : this.metricsOn(held.x, held.rows);
        return this.recordRun(options, metrics, validationMetrics, lossHistory, outcome);
      },
    };
  }

  /** Hidden codes of each row (sigmoid: a = σ(x·W1 + b1)), h numbers a row; the encoder alone runs. */
  encode(data: DataInput): Matrix {
    const { x, rows } = this.prepare(data);
    const encoding = this.encodingSession();
    if (encoding !== null) return encoding.encodeScaled(x, rows);
    const codes = this.session.encode(x, rows);
    checkFiniteOutput(codes, this.hiddenSize, 'codes');
    return { rows, cols: this.hiddenSize, data: codes };
  }

  /**
   * Each row's selected features (src/model/sparse-codes.ts): `{ top: K }` the K largest (value
   * descending, ties by index), `{ threshold: t }` those above t, both: the K largest above t.
   * The codes are those of `encode`; the selection is a partial one, O(h) a row.
   */
  encodeSparse(data: DataInput, selection: SparseSelection): SparseCodes {
    checkSelection(selection, this.hiddenSize);
    return selectSparse(this.encode(data), selection);
  }

  /** Each row's K largest features: encodeSparse(data, { top: k }). */
  encodeTop(data: DataInput, k: number): SparseCodes {
    return this.encodeSparse(data, { top: k });
  }

  /**
   * decode of sparse codes (encodeSparse's answer, or its JSON form `[{ indices, values }, …]`): the
   * rows of W2 the features name are summed, nothing else of the decoder is multiplied (O(entries·n),
   * not O(rows·h·n)); equal to decode of the dense codes within float rounding. The rows are read
   * from the session's parameters, which it copies out whole (4 bytes a parameter) on every call;
   * the Worker's sparse decode reads only the named rows from storage instead.
   */
  decodeSparse(codes: SparseCodes | readonly FeatureList[]): Matrix {
    this.checkUsable();
    const sparse = Array.isArray(codes) ? fromFeatureLists(codes, this.hiddenSize) : (codes as SparseCodes);
    if (sparse.cols !== this.hiddenSize) {
      throw new DataError(`the sparse codes range over ${sparse.cols} features but the model has ${this.hiddenSize} hidden units`, { source: 'codes' });
    }
    const { W2, b2 } = this.session.getParameters();
    const n = this.inputSize;
    const decoder = new SparseDecoder(sparse, n, b2);
    for (const j of decoder.features) decoder.add(j, W2.subarray(j * n, (j + 1) * n));
    const output = decoderOutput(decoder.finish(), sparse.rows, n, this.linear, this.requireNormalization());
    checkFiniteOutput(output, n, 'outputs');
    return { rows: sparse.rows, cols: n, data: output };
  }

  /**
   * decode(a) = σ(a·W2 + b2), mapped back to the caller's scale. A per-row normalisation
   * (rowNormalization) depends on the row the codes came from, so it is not undone here: with
   * one, decode answers in the normalised space (reconstruct undoes it, knowing the rows).
   */
  decode(codes: DataInput): Matrix {
    this.checkUsable();
    const matrix = toMatrix(codes, 'codes');
    if (matrix.cols !== this.hiddenSize) {
      throw new DataError(`codes have ${matrix.cols} columns but the model has ${this.hiddenSize} hidden units`, { source: 'codes' });
    }
    const output = denormalize(this.requireNormalization(), this.session.decode(matrix.data, matrix.rows), matrix.rows, this.inputSize);
    checkFiniteOutput(output, this.inputSize, 'outputs');
    return { rows: matrix.rows, cols: this.inputSize, data: output };
  }

  /**
   * decode(encode(x)) in the caller's scale, with each row's squared error Σ_j (output − input)²,
   * also in the caller's scale.
   */
  reconstruct(data: DataInput): { outputs: Matrix; errors: Float64Array } {
    const { x, rows, original, rowStats } = this.prepare(data);
    const n = this.inputSize;
    const outputs = denormalize(this.requireNormalization(), this.session.forward(x, rows).output, rows, n);
    if (rowStats !== null) rowDenormalize(outputs, rowStats, rows, n);
    const errors = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += (outputs[i * n + j]! - original.data[i * n + j]!) ** 2;
      errors[i] = sum;
    }
    checkFiniteOutput(outputs, n, 'outputs');
    checkFiniteOutput(errors, 1, 'errors');
    return { outputs: { rows, cols: n, data: outputs }, errors };
  }

  /** The metrics of docs/SPEC.md section 2 on `data`. */
  evaluate(data: DataInput): Metrics {
    const { x, rows } = this.prepare(data);
    const metrics = this.metricsOn(x, rows);
    checkFiniteMetrics(metrics);
    return metrics;
  }

  /**
   * Per hidden unit, the fraction of the rows of `data` where it is active (src/model/metrics.ts:
   * a code > 0 for relu and TopK, > DEAD_UNIT_THRESHOLD for sigmoid) — what the feature-density
   * histogram draws. Not part of Metrics: it is h numbers, too many for every job's progress.
   */
  firingFrequency(data: DataInput): Float64Array {
    const { x, rows } = this.prepare(data);
    const counts = new Float64Array(this.hiddenSize);
    addFiringCounts(this.session.encode(x, rows), rows, this.hiddenSize, activeThreshold(this.config.architecture), counts);
    return firingFrequencyOf(counts, rows);
  }

  /** Frees the backend session. */
  dispose(): void {
    if (!this.disposed) {
      this.weightsChanged();
      this.session.dispose();
    }
    this.disposed = true;
  }

  /**
   * The encode-only session of the current weights (W_enc as stored: bf16 and int8 models keep
   * their own bytes), made once and kept until the weights change; null on a backend without one.
   */
  private encodingSession(): EncodingSession | null {
    if (this.encoding === undefined) {
      const parameters = this.session.getParameters();
      this.encoding = EncodingSession.fromState({ shape: this.shape, config: this.config, parameters, stored: this.stored, normalization: this.requireNormalization() }, this.backend);
    }
    return this.encoding;
  }

  /** The weights may have changed: the encode session is dropped (made again by the next encode). */
  private weightsChanged(): void {
    this.encoding?.dispose();
    this.encoding = undefined;
  }

  private lossConfig(): LossConfig {
    return lossConfigOf(this.config);
  }

  /** The model's architecture, as its module (src/architectures/) describes it. */
  private get module(): ArchitectureModule {
    return architectureModule(this.config.architecture);
  }

  /** A linear decoder (relu, TopK): any finite inputs under normalize "none". */
  private get linear(): boolean {
    return this.module.linearOutput;
  }

  /** Throws TrainingDivergedError (after `restore`) when a parameter is no longer finite. */
  private checkFinite(epochs: number, restore: () => void): void {
    for (const [name, values] of Object.entries(this.session.getParameters())) {
      if (!values.every(Number.isFinite)) {
        restore();
        throw new TrainingDivergedError(epochs, `parameter ${name} is no longer finite`);
      }
    }
  }

  /** Shard `index` in the model's input space; a value "none" refuses is named by its row in the whole data. */
  private prepareShard(normalization: Normalization, source: ShardSource, index: number, rows: Float32Array, out: Float32Array, offset: number, label = 'data'): void {
    const count = checkShardLength(source, index, rows, label);
    try {
      normalizeInto(normalization, rows, count, source.cols, out, offset, label, this.linear);
    } catch (error) {
      if (error instanceof DataError && error.location.row !== undefined) {
        throw new DataError(error.reason, { ...error.location, row: error.location.row + index * source.shardRows });
      }
      throw error;
    }
  }

  /**
   * Metrics on a source: on its rows at once when they are one window (as evaluate, bit for bit),
   * else folded shard by shard (StreamedMetrics: equal within float rounding).
   */
  private async streamedMetrics(source: ShardSource, prepare: ShardPreparer, whole: Float32Array | null): Promise<Metrics> {
    const pass = new MetricsPass([{ source, prepare, inMemory: async () => whole }], this.metricsOps());
    await pass.step(Infinity);
    return pass.results[0]!;
  }

  /** The model's side of a metrics pass (./metrics-pass.ts). */
  private metricsOps(): MetricsOps {
    return {
      whole: (x, rows) => this.metricsOn(x, rows),
      sums: () => new StreamedMetrics(this.lossConfig(), this.inputSize, this.hiddenSize),
      add: (sums, x, rows) => {
        const { terms, meanActivation } = this.session.gradients(x, rows, this.lossConfig());
        sums.add(terms, meanActivation, this.session.forward(x, rows), x, rows);
      },
    };
  }

  private metricsOn(x: Float32Array, rows: number): Metrics {
    const { terms, meanActivation } = this.session.gradients(x, rows, this.lossConfig());
    const forward = this.session.forward(x, rows);
    return computeMetrics(terms, meanActivation, forward, x, rows, this.inputSize, this.hiddenSize, this.config.architecture);
  }

  private prepare(data: DataInput): { x: Float32Array; rows: number; original: Matrix; rowStats: Float64Array | null } {
    this.checkUsable();
    const original = this.checkWidth(toMatrix(data, 'data'), 'data');
    let rowStats: Float64Array | null = null;
    let input = original.data;
    if (this.rowNormalization !== null) {
      checkAllFinite(original.data, original.rows, original.cols, 'data');
      ({ x: input, stats: rowStats } = rowNormalize(this.rowNormalization, original.data, original.rows, original.cols));
    }
    const x = normalize(this.requireNormalization(), input, original.rows, original.cols, 'data', this.linear);
    // Finite rows scaled by a finite but extreme scaling (a range of 1e-30) can overflow here, and
    // a kernel may turn the Infinity into a plausible 0 (relu of NaN): refused before any kernel runs.
    checkFiniteOutput(x, original.cols, 'scaled inputs');
    return { x, rows: original.rows, original, rowStats };
  }

  private requireNormalization(): Normalization {
    if (this.normalization === null) {
      throw new Error('the model has not been trained yet: fit it (which fits its normalisation) before encoding');
    }
    return this.normalization;
  }

  private checkWidth(matrix: Matrix, source: string): Matrix {
    if (matrix.cols !== this.inputSize) {
      throw new DataError(`rows have ${matrix.cols} columns but the model takes ${this.inputSize} inputs`, { source, row: 1 });
    }
    return matrix;
  }

  private checkUsable(): void {
    if (this.disposed) throw new Error('this model has been disposed');
  }

  /**
   * Training needs float32 weights: a bf16 or int8 model is refused (rather than trained in
   * float32 and silently rounded again, or saved wider than it was loaded).
   */
  private checkTrainable(): void {
    // Training runs in the per-feature scaling only: a per-row normalisation (an imported SAE's) is not trained through.
    if (this.rowNormalization !== null) {
      throw new ConfigError('normalization.perRow', `is "${this.rowNormalization}" (an imported SAE's per-row input normalisation); training does not apply it yet, so this model can encode, decode and reconstruct but not be trained further`);
    }
    if (this.stored !== null) {
      throw new ConfigError('weightDtype', `this model's weights are ${this.stored.dtype}; training needs float32 weights: convert it first (model.withWeightDtype('f32'), or edge-sae convert --dtype f32; widening is exact), train, and convert back`);
    }
  }

  /** The optimizer state, for tests and checkpoints. */
  getOptimizerState(): AdamState | null {
    this.checkUsable();
    if (this.stored !== null) return null;
    return this.pendingOptimizerState ?? this.session.getOptimizerState();
  }

  /**
   * Before a run (in memory or streamed): a loaded model's Adam state goes into the session, since
   * it trains now, and the parameters and state are kept so that `restore` puts them back after a
   * divergence.
   */
  /** Records a finished run in the model (metrics, losses, epochs) and says what it gave. */
  private recordRun(options: TrainingOptions, metrics: Metrics, validationMetrics: Metrics | null, lossHistory: number[], outcome: RunOutcome | undefined): FitResult {
    this.metrics = metrics;
    // The epochs so far (a summarised history holds fewer entries than epochs: history.ts).
    const before = lastEpochOf({ lossHistory: this.lossHistory, historyEpochs: this.historyEpochs });
    const validation = outcome?.validationHistory ?? [];
    // One validation loss per epoch of this run (fit, fitStream, a job's slice), at that epoch's
    // place in the whole history; epochs of earlier runs without validation hold null.
    let validationHistory = this.validationHistory;
    if (validation.length > 0 || validationHistory !== null) {
      const earlier = validationHistory ?? Array<number | null>(this.lossHistory.length).fill(null);
      validationHistory = [...earlier, ...lossHistory.map((_, k) => validation[k] ?? null)];
    }
    // Kept as a file keeps it: summarised past MAX_HISTORY_POINTS entries, so memory is bounded too.
    const history = summariseHistory({
      lossHistory: [...this.lossHistory, ...lossHistory],
      validationHistory,
      historyEpochs: this.historyEpochs === null ? null : [...this.historyEpochs, ...lossHistory.map((_, k) => before + k + 1)],
      bestEpoch: outcome?.bestEpoch != null ? before + outcome.bestEpoch : null,
    });
    this.lossHistory = history.lossHistory;
    this.validationHistory = history.validationHistory;
    this.historyEpochs = history.historyEpochs;
    this.bestEpoch = history.bestEpoch;
    this.training = { ...options, epochsCompleted: this.training.epochsCompleted + (outcome?.epochsRun ?? options.epochs) };
    this.trainedWith = this.backendName;
    return { metrics, lossHistory, validationHistory: outcome?.validationHistory ?? [], validationMetrics, bestEpoch: outcome?.bestEpoch ?? null };
  }

  /**
   * Takes and puts back the weights, optimizer state and dead-unit counts: early stopping's best
   * epoch (an EpochLoop's keeper; public for JobTrainer, which runs its own loop over a slice).
   * The counts are TopK's only (null otherwise, as in toState): nothing else reads them.
   */
  weightKeeper(): WeightKeeper {
    return {
      take: () => ({ parameters: this.session.getParameters(), optimizerState: this.session.getOptimizerState(), stepsSinceFired: this.stepsSinceFired }),
      put: (kept) => {
        this.weightsChanged();
        this.session.setParameters(kept.parameters);
        this.session.setOptimizerState(kept.optimizerState);
        if (kept.stepsSinceFired) this.session.setStepsSinceFired(kept.stepsSinceFired);
      },
    };
  }

  private prepareToTrain(): { before: { parameters: Parameters; optimizerState: AdamState | null }; restore: () => void } {
    this.weightsChanged();
    this.flushOptimizerState();
    const before = { parameters: this.session.getParameters(), optimizerState: this.session.getOptimizerState() };
    const restore = () => {
      this.weightsChanged();
      this.session.setParameters(before.parameters);
      this.session.setOptimizerState(before.optimizerState);
    };
    return { before, restore };
  }

  private flushOptimizerState(): void {
    if (this.pendingOptimizerState === null) return;
    this.session.setOptimizerState(this.pendingOptimizerState);
    this.pendingOptimizerState = null;
  }

  /** A copy of the current parameters, for checkpoints taken in the middle of a run (toFile needs a finished one). */
  getParameters(): Parameters {
    this.checkUsable();
    return this.session.getParameters();
  }
}

/** The mean of each column of the data in the model's input space, over every shard in order (float64 sums, as decoderBiasFromData). */
async function streamedColumnMean(source: ShardSource, prepare: ShardPreparer): Promise<Float32Array> {
  const n = source.cols;
  const sum = new Float64Array(n);
  for (let index = 0; index < source.shardCount; index++) {
    const rows = shardRowCount(source, index);
    const x = new Float32Array(rows * n);
    prepare(index, await source.readShard(index), x, 0);
    for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) sum[c]! += x[i * n + c]!;
  }
  return Float32Array.from(sum, (total) => total / source.rows);
}

/**
 * normalize "standardize" of a ShardSource: its columns' mean and standard deviation in two
 * passes over every shard in order, exactly as fitNormalization on the same rows in one array.
 * A value that is not finite is a DataError naming its row and column.
 */
async function streamedStandardization(source: ShardSource): Promise<Normalization> {
  const fit = new StandardizationFit(source.cols);
  for (const pass of ['mean', 'variance'] as const) {
    for (let index = 0; index < source.shardCount; index++) {
      const raw = await source.readShard(index);
      const rows = checkShardLength(source, index, raw);
      if (pass === 'mean') {
        checkAllFinite(raw, rows, source.cols, 'data', index * source.shardRows + 1);
        fit.addToMean(raw, rows);
      } else {
        fit.addToVariance(raw, rows);
      }
    }
  }
  return fit.result();
}

/** Early stopping needs validation rows; a validation set and a split are one or the other. */
function checkValidationChoice(options: TrainingOptions, hasValidationSet: boolean): void {
  if (hasValidationSet && options.validationSplit > 0) {
    throw new ConfigError('training.validationSplit', `is ${options.validationSplit}, but a validation set was given too: validate on the set or on a split of the training rows, not both`);
  }
  checkEarlyStopping(options, hasValidationSet);
}

/** A validation split must leave rows on both sides. */
function checkSplit(trainRows: number, heldRows: number, fraction: number): void {
  if (heldRows === 0 || trainRows === 0) {
    throw new ConfigError('training.validationSplit', `${fraction} holds out ${heldRows} of ${trainRows + heldRows} rows, leaving ${trainRows} to train on: it must leave rows on both sides`);
  }
}
