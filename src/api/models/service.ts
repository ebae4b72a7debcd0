/**
 * What the model routes do, apart from HTTP: check limits, train, load models through the
 * isolate's cache, store. Handlers stay thin; this file knows the model API and the store.
 */
import type { BackendName, BackendChoice } from '../../backends/types.js';
import { toMatrix, type Matrix } from '../../data/index.js';
import { DataError, ModelFileError, ModelOutputError } from '../../errors.js';
import {
  checkTrainable,
  resolveModelConfig,
  resolveTrainingOptions,
  type ModelConfig,
  type TrainingOptions,
} from '../../model/config.js';
import { readModelBytes } from '../../model/model-bytes.js';
import { tensorFileFormat } from '../../formats/tensor-file.js';
import { isFolderArchive } from '../../sae-import/archive.js';
import { filesOfSource, importSaeState } from '../../sae-import/import.js';
import { convertWeightDtype } from '../../model/convert-dtype.js';
import type { WeightDtype } from '../../model/weight-dtype.js';
import { inferenceBytes, toBinaryModelFile } from '../../model/model-file-binary.js';
import { readModelFile, type ModelState } from '../../model/model-file.js';
import { SparseAutoencoder, type FitResult } from '../../model/sparse-autoencoder.js';
import type { Metrics } from '../../model/metrics.js';
import { loadWorkerBackend } from '../backends.js';
import type { Bindings } from '../env.js';
import {
  checkDataSize,
  checkEncoderSize,
  checkInferenceSize,
  checkModelSize,
  checkTrainingWork,
  DEFAULT_LIMITS,
  parameterCount,
  readLimits,
  type Limits,
} from '../limits.js';
import { ModelCache } from '../model-cache.js';
import type { EncodingSession } from '../../model/encoding-session.js';
import { openEncoder } from './encoder-ranges.js';
import { ModelStore, type ModelSummary, type StoredModel } from '../model-store.js';
import { newId } from '../storage-keys.js';
import { ApiError } from '../problem.js';
import { withoutUndefined } from '../../util/defined.js';
import { carriedOverTraining, configInEffect } from '../../model/options.js';
import { forgetPlans, rememberUnsharded, shardedModel, warmShards } from '../shards/encode.js';
import { planShards } from '../shards/plan.js';

/**
 * One cache per isolate; its bounds follow the limits of the latest request. It holds whole models
 * (key: the id) and encode-only sessions (key: encoderKey(id)), so both count against one byte bound.
 */
const cache = new ModelCache<SparseAutoencoder | EncodingSession>(DEFAULT_LIMITS.modelCacheEntries, DEFAULT_LIMITS.modelCacheBytes);

/** The cache key of a model's encode-only session (not an id: ids have no colon). */
const encoderKey = (id: string) => `encoder:${id}`;

/** What encode needs of a model: a whole model or its encode-only session both answer it. */
export interface Encoder {
  readonly inputSize: number;
  readonly hiddenSize: number;
  encode(data: Matrix): Matrix;
}

/** Scratch a session keeps between calls at most (src/backends/assemblyscript: larger scratch moves to a fresh memory). */
const SCRATCH_BYTES = 2 * 1024 * 1024;

/**
 * What a cached model weighs, in bytes: its full session's parameters (float32, 4·P, or the file's
 * inference bytes when larger), the encode-only session model.encode makes on first use (W_enc laid
 * out, float32 at most: 4·n·h), the scratch kept, and when it has just trained its gradients and
 * Adam's moments (12·P). An upper bound for bf16 and int8 models, whose W_enc takes 2 or 1 bytes.
 */
function cacheWeight(inputSize: number, hiddenSize: number, inferenceBytes: number, trained: boolean): number {
  const parameters = parameterCount(inputSize, hiddenSize);
  return Math.max(inferenceBytes, 4 * parameters) + 4 * inputSize * hiddenSize + SCRATCH_BYTES + (trained ? 12 * parameters : 0);
}

/** Caches a whole model; its encode-only session, if cached, goes (the model encodes as well, and the memory is the cache's). */
function cacheModel(id: string, version: number, model: SparseAutoencoder, weight: number): boolean {
  cache.invalidate(encoderKey(id));
  return cache.set(id, version, model, weight);
}

/** For tests: drop every cached model. */
export function clearModelCache(): void {
  cache.clear();
}

export interface ModelDetail extends ModelSummary {
  config: Record<string, unknown>;
  training: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
}

export interface TrainResult extends ModelDetail {
  backend: BackendName;
  metrics: Metrics & Record<string, unknown>;
  lossHistory: number[];
  /** With validation (validationSplit): the metrics on the held-out rows; else null. */
  validationMetrics: (Metrics & Record<string, unknown>) | null;
  /** With early stopping (patience): the epoch whose weights the model kept; else null. */
  bestEpoch: number | null;
}

/** What a run adds to a model's detail in a training answer. */
function runOf(backend: BackendName, result: FitResult): Pick<TrainResult, 'backend' | 'metrics' | 'lossHistory' | 'validationMetrics' | 'bestEpoch'> {
  return {
    backend,
    metrics: asRecord(result.metrics),
    lossHistory: result.lossHistory,
    validationMetrics: result.validationMetrics ? asRecord(result.validationMetrics) : null,
    bestEpoch: result.bestEpoch,
  };
}

export interface TrainInput {
  data: unknown;
  /** Where the data came from, for error messages: "data" (a JSON field) or "text/csv body". */
  source: string;
  name?: string | undefined;
  config?: Partial<ModelConfig> | undefined;
  training?: Partial<TrainingOptions> | undefined;
}

/** The model service of one request. */
export class ModelService {
  readonly limits: Limits;
  readonly store: ModelStore;

  constructor(private readonly env: Bindings) {
    this.limits = readLimits(env);
    this.store = new ModelStore(env.MODELS);
    cache.resize(this.limits.modelCacheEntries, this.limits.modelCacheBytes);
  }

  /** Trains and stores a new model. */
  async trainNew(input: TrainInput): Promise<TrainResult> {
    const { limits } = this;
    const { rows, cols } = peekShape(input.data, input.source);
    checkDataSize(limits, rows, cols, true);
    const config = resolveModelConfig(cols, input.config, { hiddenSize: limits.maxHiddenSize });
    checkTrainable(config);
    const training = resolveTrainingOptions(input.training, { epochs: limits.maxEpochs });
    checkModelSize(limits, cols, config.hiddenSize);
    checkTrainingWork(limits, rows, cols, config.hiddenSize, training.epochs);
    const matrix = toMatrix(input.data, input.source);

    const { backend } = await loadWorkerBackend(training.backend);
    const model = SparseAutoencoder.create(cols, config, backend, { seed: training.seed });
    let owned = false;
    try {
      const result = model.fit(matrix, training);
      const state = model.toState();
      const id = newId();
      const file = toBinaryModelFile(state);
      const summary = await this.store.create(id, { name: input.name ?? null, inputSize: cols, hiddenSize: config.hiddenSize }, file);
      owned = cacheModel(id, summary.version, model, cacheWeight(cols, config.hiddenSize, inferenceBytes(file), true));
      this.rememberPlan(id, state);
      return { ...detailOf(summary, state), ...runOf(model.backendName, result) };
    } finally {
      if (!owned) model.dispose();
    }
  }

  /** Continues training a stored model and stores the next version. */
  async continueTraining(id: string, data: unknown, given: Partial<TrainingOptions> = {}): Promise<TrainResult> {
    const { limits } = this;
    const stored = await this.requireFile(id);
    const { rows, cols } = peekShape(data, 'data');
    checkDataSize(limits, rows, cols, true);
    const { inputSize, hiddenSize } = stored.summary;
    // An imported model may be larger than what the Worker trains (MAX_INFERENCE_BYTES bounds it, not MAX_PARAMETERS).
    checkModelSize(limits, inputSize, hiddenSize);
    if (cols !== inputSize) {
      throw new DataError(`rows have ${cols} columns but the model takes ${inputSize} inputs`, { source: 'data', row: 1 });
    }
    // Options not given are those of the model's last run (its learning rate, batch size, seed…).
    const previous = previousTraining(stored.state);
    const training = resolveTrainingOptions({ ...previous, ...withoutUndefined(given) }, { epochs: limits.maxEpochs });
    checkTrainingWork(limits, rows, cols, hiddenSize, training.epochs);
    const matrix = toMatrix(data, 'data');

    const { backend } = await loadWorkerBackend(training.backend);
    // A fresh instance, never the cached one: a failed run must not leave a half-trained model
    // in the cache, and a concurrent encode keeps using the old version until this one is saved.
    const model = SparseAutoencoder.fromState(stored.state, backend);
    let owned = false;
    try {
      const result = model.fit(matrix, training);
      const state = model.toState();
      const file = toBinaryModelFile(state);
      const summary = await this.store.update(stored, { name: null, inputSize, hiddenSize }, file);
      owned = cacheModel(id, summary.version, model, cacheWeight(inputSize, hiddenSize, inferenceBytes(file), true));
      forgetPlans(id);
      this.rememberPlan(id, state);
      return { ...detailOf(summary, state), ...runOf(model.backendName, result) };
    } finally {
      if (!owned) model.dispose();
    }
  }

  /**
   * Validates a model file, then stores it (in the binary form) under a new id: a parsed JSON
   * file, or the bytes of a file of either form (told apart by content).
   */
  async importFile(file: unknown, name: string | undefined, format?: string, dtype?: WeightDtype): Promise<ModelDetail> {
    // Checked in full before anything is stored: a bad file throws ModelFileError (422). An SAE of
    // another library (a zip of its folder, a .pt, an .npz; or format named) goes through importSaeState.
    const read =
      file instanceof Uint8Array
        ? format !== undefined || isSaeUpload(file)
          ? // the body (and a zip's inflated members) is this request's alone: weights folded where they lie
            importSaeState(filesOfSource(file, 'body'), { format, ...(dtype !== undefined ? { dtype } : {}), filesOwned: true }).state
          : readModelBytes(file, 'body')
        : readModelFile(file, 'body');
    // a model file converted as `edge-sae convert` does (an SAE was converted by importSaeState)
    const state = dtype === undefined ? read : convertImported(read, dtype);
    // Stored as written from the checked state: the binary form, whatever form came in. Its size
    // in bytes is what bounds an import (not the training limits: the model is served, not trained).
    const binary = toBinaryModelFile(state);
    const servedBytes = inferenceBytes(binary);
    checkInferenceSize(this.limits, state.shape.inputSize, servedBytes);
    cache.makeRoom(cacheWeight(state.shape.inputSize, state.shape.hiddenSize, servedBytes, false));
    const { backend } = await loadWorkerBackend('auto');
    const model = SparseAutoencoder.fromState(state, backend);
    let owned = false;
    try {
      const id = newId();
      const summary = await this.store.create(id, { name: name ?? null, inputSize: model.inputSize, hiddenSize: model.hiddenSize, ...(state.source ? { source: state.source } : {}) }, binary);
      owned = cacheModel(id, summary.version, model, cacheWeight(state.shape.inputSize, state.shape.hiddenSize, servedBytes, false));
      if (!this.rememberPlan(id, state)) await this.warmShards(id);
      return detailOf(summary, state);
    } finally {
      if (!owned) model.dispose();
    }
  }

  /** The summary with config, training options and metrics (never the weights). */
  async detail(id: string): Promise<ModelDetail> {
    const stored = await this.requireFile(id);
    return detailOf(stored.summary, stored.state);
  }

  /** The current model file of a model: its stored bytes (either form) and the checked state decoded from them. */
  async modelFile(id: string): Promise<StoredModel & { bytes: Uint8Array<ArrayBuffer>; state: ModelState }> {
    return this.requireFile(id);
  }

  /**
   * Runs `use` on the current version of a model, synchronously, and returns its result. A model
   * cached and confirmed within MODEL_CACHE_REVALIDATE_MS is used without reading storage (the hot
   * path); otherwise the version comes from R2 metadata, so another isolate's retrain is served
   * stale for at most that window.
   */
  async withModel<T>(id: string, backendChoice: BackendChoice, use: (model: SparseAutoencoder) => T, head?: StoredModel): Promise<T> {
    // An answer that overflowed is refused naming the model (a 422), never sent as null.
    const named = (model: SparseAutoencoder): T => {
      try {
        return use(model);
      } catch (error) {
        if (error instanceof ModelOutputError) throw error.forModel(id);
        throw error;
      }
    };
    return this.withModelUnnamed(id, backendChoice, named, head);
  }

  /**
   * Shard plans (src/api/shards): records that a model just stored here is not sharded, so its
   * next encode reads no storage; false when it is sharded (or may be: a dtype the plan does not weigh).
   */
  private rememberPlan(id: string, state: ModelState): boolean {
    const valueBytes = state.stored ? (state.stored.dtype === 'bf16' ? 2 : 0) : 4;
    if (valueBytes > 0 && planShards(state.shape.inputSize, state.shape.hiddenSize, valueBytes, state.config.architecture, this.limits.encodeShardBytes) !== null) return false;
    rememberUnsharded(id, this.limits);
    return true;
  }

  /** Loads a sharded model's slices into its shards (at import): a shard that fails loads on its first encode instead. */
  private async warmShards(id: string): Promise<void> {
    const head = await this.store.head(id);
    const sharded = head ? await shardedModel(this.env.MODELS, head, this.limits.encodeShardBytes) : null;
    if (sharded) await warmShards(this.env, this.limits, sharded);
  }

  private async withModelUnnamed<T>(id: string, backendChoice: BackendChoice, use: (model: SparseAutoencoder) => T, known?: StoredModel): Promise<T> {
    const fresh = known ? undefined : (cache.getFresh(id, this.limits.modelCacheRevalidateMs) as SparseAutoencoder | undefined);
    if (fresh) return use(fresh);
    const head = known ?? (await this.store.head(id));
    if (!head) throw modelNotFound(id);
    const { backend } = await loadWorkerBackend(backendChoice);
    const cached = cache.get(id, head.summary.version) as SparseAutoencoder | undefined;
    if (cached) return use(cached);
    // A model above MAX_INFERENCE_BYTES (stored before the var was lowered) is refused before it is read.
    const servedBytes = head.inferenceBytes ?? 4 * parameterCount(head.summary.inputSize, head.summary.hiddenSize);
    checkInferenceSize(this.limits, head.summary.inputSize, servedBytes);
    cache.makeRoom(cacheWeight(head.summary.inputSize, head.summary.hiddenSize, servedBytes, false));

    // What inference needs only (a binary body without Adam's moments): a cached model serves
    // encode, reconstruct and evaluate; training always reads the whole file afresh.
    const stored = await this.store.getForInference(head);
    if (!stored) throw modelNotFound(id);
    // Between the awaits above another request may have cached it; check again, synchronously.
    const again = cache.get(id, stored.summary.version) as SparseAutoencoder | undefined;
    if (again) return use(again);
    // Nor its histories: a model's loss history is read only by pictures and training.
    const state = readModelBytes(stored.bytes, `model ${id}`, { withoutOptimizer: stored.partial, withoutHistory: true });
    const model = SparseAutoencoder.fromState(state, backend);
    const owned = cacheModel(id, stored.summary.version, model, cacheWeight(head.summary.inputSize, head.summary.hiddenSize, servedBytes, false));
    try {
      return use(model);
    } finally {
      if (!owned) model.dispose();
    }
  }

  /**
   * Runs `use` on what encodes the current version of a model: the whole model when this isolate
   * has it cached, else its encode-only session, loaded on a cold call from the encoder's byte
   * ranges only (./encoder-ranges.ts: never the decoder), bounded by MAX_ENCODER_BYTES rather than
   * MAX_INFERENCE_BYTES. A model stored as JSON, or an architecture without an encode-only
   * session, is loaded whole (withModel). `known`: the model's head when the caller has just read it.
   */
  async withEncoder<T>(id: string, use: (encoder: Encoder) => T, known?: StoredModel): Promise<T> {
    const named = (encoder: Encoder): T => {
      try {
        return use(encoder);
      } catch (error) {
        if (error instanceof ModelOutputError) throw error.forModel(id);
        throw error;
      }
    };
    const revalidate = this.limits.modelCacheRevalidateMs;
    const fresh = cache.getFresh(id, revalidate) ?? cache.getFresh(encoderKey(id), revalidate);
    if (fresh) return named(fresh);
    const head = known ?? (await this.store.head(id));
    if (!head) throw modelNotFound(id);
    const { version } = head.summary;
    const cached = cache.get(id, version) ?? cache.get(encoderKey(id), version);
    if (cached) return named(cached);
    if (head.inferenceBytes === null) return this.withModelUnnamed(id, 'auto', named, head); // a JSON body
    const read = await openEncoder(this.store.bucket, head);
    const encoderBytes = read.bytesRead + read.weight.end - read.weight.begin;
    checkEncoderSize(this.limits, head.summary.inputSize, encoderBytes);
    // The session holds W_enc as laid out (its stored bytes) and the small vectors, plus scratch.
    const weight = encoderBytes + SCRATCH_BYTES;
    cache.makeRoom(weight);
    const { backend } = await loadWorkerBackend('auto');
    const session = await read.load(backend);
    if (session === null) return this.withModelUnnamed(id, 'auto', named, head);
    // Between the awaits above another request may have cached it; check again, synchronously.
    const again = cache.get(id, version) ?? cache.get(encoderKey(id), version);
    if (again) {
      session.dispose();
      return named(again);
    }
    const owned = cache.set(encoderKey(id), version, session, weight);
    try {
      return named(session);
    } finally {
      if (!owned) session.dispose();
    }
  }

  /** Checks the size of inference data against the limits and the model's width. */
  checkInputs(matrix: Matrix, inputSize: number, source: string): void {
    checkDataSize(this.limits, matrix.rows, matrix.cols, false);
    if (matrix.cols !== inputSize) {
      throw new DataError(`rows have ${matrix.cols} columns but the model takes ${inputSize} inputs`, {
        source,
        ...(source === 'input' ? {} : { row: 1 }),
      });
    }
  }

  async delete(id: string): Promise<void> {
    const existed = await this.store.delete(id);
    cache.invalidate(id);
    forgetPlans(id);
    cache.invalidate(encoderKey(id));
    if (!existed) throw modelNotFound(id);
  }

  /**
   * The stored model, decoded (either form, by content) straight into Float32Arrays: views of
   * the object's bytes for the binary form.
   */
  private async requireFile(id: string): Promise<StoredModel & { bytes: Uint8Array<ArrayBuffer>; state: ModelState }> {
    const stored = await this.store.get(id);
    if (!stored) throw modelNotFound(id);
    return { ...stored, state: readModelBytes(stored.bytes, `model ${id}`) };
  }
}

export function modelNotFound(id: string): ApiError {
  return new ApiError(404, {
    type: 'model-not-found',
    title: 'Model not found',
    detail: `No model with id "${id.slice(0, 64)}".`,
  });
}

/**
 * Rows and columns of JSON data without converting it, so limits are checked before any work.
 * Anything that is not a non-empty array of arrays goes to toMatrix for its precise DataError.
 */
function peekShape(data: unknown, source: string): { rows: number; cols: number } {
  if (Array.isArray(data) && data.length > 0 && Array.isArray(data[0]) && (data[0] as unknown[]).length > 0) {
    return { rows: data.length, cols: (data[0] as unknown[]).length };
  }
  const matrix = toMatrix(data, source); // throws the precise DataError
  return { rows: matrix.rows, cols: matrix.cols };
}

/** The training options of a model's last run that a continued run starts from. */
function previousTraining(state: ModelState): Partial<TrainingOptions> {
  return carriedOverTraining(state.training) as Partial<TrainingOptions>;
}

/**
 * The summary with config, training options (as the model file writes them) and metrics. The
 * config lists only the options of the model's architecture (the options table's
 * ARCHITECTURE_OPTIONS): a sigmoid model's has no topk k, which it does not use.
 */
/** Whether an octet-stream body is another library's SAE (a zip of a folder, a .pt, an .npz), not an edge-sae model file. */
function isSaeUpload(bytes: Uint8Array): boolean {
  const format = tensorFileFormat(bytes);
  return format === 'torch' || format === 'npz' || isFolderArchive(bytes);
}

export function detailOf(summary: ModelSummary, state: ModelState): ModelDetail {
  return {
    ...summary,
    ...(state.source ? { source: state.source } : {}),
    config: asRecord(configInEffect({ ...state.config })),
    training: asRecord({ ...state.training, backend: state.trainedWith }),
    metrics: state.metrics ? asRecord(state.metrics) : null,
  };
}

function asRecord<T extends object>(value: T): T & Record<string, unknown> {
  return value as T & Record<string, unknown>;
}

/** An imported model file's weights in `dtype` (as `edge-sae convert`); a weight bf16 cannot hold is a 422 naming it. */
function convertImported(state: ModelState, dtype: WeightDtype): ModelState {
  try {
    return convertWeightDtype(state, dtype);
  } catch (error) {
    if (error instanceof RangeError) throw new ModelFileError('dtype', `cannot be ${dtype}: ${error.message}`, 'body');
    throw error;
  }
}
