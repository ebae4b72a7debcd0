/**
 * The model file, format version 1 (docs/SPEC.md section 3): writing it, and reading it back with a
 * check of every field, so that a file that does not match is rejected with the field's name.
 */
import { architectureModule, isArchitectureName } from '../architectures/registry.js';
import { PARAMETER_NAMES, parameterShapes, sizeOf, type AdamState, type ArchitectureName, type LayerShape, type ParameterName, type Parameters } from '../backends/types.js';
import { shortestFloat32 } from '../data/float32.js';
import { ConfigError, ModelFileError } from '../errors.js';
import { describeValue } from '../util/describe-value.js';
import { resolveModelConfig, resolveTrainingOptions, type ModelConfig, type NormalizationKind, type TrainingOptions } from './config.js';
import type { StoredMetrics } from './metrics.js';
import { lastEpochOf, readHistoryEpochs, summariseHistory, type History } from './history.js';
import { checkConfigKeys, checkTrainingKeys, readMetrics } from './model-file-checks.js';
import { isRowNormalization, NORMALIZATION_VECTORS, normalizationVectors, ROW_NORMALIZATIONS, type Normalization, type RowNormalization } from './normalization.js';
import { readSourceMetadata, type SourceMetadata } from './source-metadata.js';
import type { StoredWeights, WeightDtype } from './weight-dtype.js';

export const MODEL_FORMAT = 'edge-sae';
export const MODEL_FORMAT_VERSION = 1;
/**
 * Version 2 (issue 26, imported SAEs) adds two optional fields: `normalization.perRow` (a per-row
 * input normalisation, normalization.ts's RowNormalization) and `source` (where the model came
 * from, source-metadata.ts). A file is written as version 2 only when it holds one of them, so
 * every other file stays version 1, byte for byte; readers take both versions.
 */
export const MODEL_FORMAT_VERSION_2 = 2;
export const MODEL_FORMAT_VERSIONS: readonly number[] = [MODEL_FORMAT_VERSION, MODEL_FORMAT_VERSION_2];

interface LayerJson {
  weights: number[][];
  bias: number[];
}

type LayerName = 'encoder' | 'decoder';

interface ParametersJson {
  encoder: LayerJson;
  decoder: LayerJson;
}

/**
 * Where each parameter is in the two model files: its layer, its key in the JSON file's layer
 * object ("encoder.weights") and its tensor's suffix in the binary file ("encoder.weight", as
 * SAELens and torch name them). The one place either file's names are written.
 */
export const PARAMETER_FILE_NAMES = {
  W1: { layer: 'encoder', json: 'weights', tensor: 'weight' },
  b1: { layer: 'encoder', json: 'bias', tensor: 'bias' },
  W2: { layer: 'decoder', json: 'weights', tensor: 'weight' },
  b2: { layer: 'decoder', json: 'bias', tensor: 'bias' },
} as const satisfies Record<ParameterName, { layer: LayerName; json: keyof LayerJson; tensor: string }>;

/**
 * Where an architecture's files keep one of the four: PARAMETER_FILE_NAMES, or the name its module
 * gives it (ParameterSpec.file: gated's b1 is SAELens' b_gate, "encoder.b_gate" in both files).
 */
export function fileNamesOf(name: ParameterName, architecture?: ArchitectureName): { layer: LayerName; json: string; tensor: string } {
  const renamed = architectureModule(architecture).parameters({ inputSize: 1, hiddenSize: 1 }).find((spec) => spec.name === name)?.file;
  return renamed ? { layer: renamed.layer, json: renamed.name, tensor: renamed.name } : PARAMETER_FILE_NAMES[name];
}

/** A parameter's field in the JSON file, e.g. "encoder.weights". */
export const jsonFieldOf = (name: ParameterName, architecture?: ArchitectureName): string => `${fileNamesOf(name, architecture).layer}.${fileNamesOf(name, architecture).json}`;

/** A parameter's tensor in the binary file, e.g. "encoder.weight". */
export const tensorNameOf = (name: ParameterName, architecture?: ArchitectureName): string => `${fileNamesOf(name, architecture).layer}.${fileNamesOf(name, architecture).tensor}`;

/** The layers of the JSON file, in the order they are written. */
const LAYERS: readonly LayerName[] = [...new Set(PARAMETER_NAMES.map((name) => PARAMETER_FILE_NAMES[name].layer))];

/** What a model file holds, as JSON. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_FORMAT_VERSION | typeof MODEL_FORMAT_VERSION_2;
  inputSize: number;
  hiddenSize: number;
  normalization: ({ kind: 'minmax'; min: number[]; max: number[] } | { kind: 'standardize'; mean: number[]; std: number[] } | { kind: 'none' }) & { perRow?: RowNormalization };
  /** Version 2: where an imported model came from. */
  source?: SourceMetadata;
  /** Version 2: the source's log10 feature density, [h] (SAELens' sparsity.safetensors). */
  logFeatureDensity?: number[];
  encoder: LayerJson;
  decoder: LayerJson;
  config: Omit<ModelConfig, 'hiddenSize'> & { hiddenSize: number };
  training: Omit<TrainingOptions, 'backend'> & { backend: string; epochsCompleted: number };
  optimizerState?: { kind: 'adam'; step: number; m: ParametersJson; v: ParametersJson };
  metrics: StoredMetrics | Record<string, never>;
  lossHistory: number[];
  /** TopK: training steps since each hidden unit last fired, [h] (dead units: ≥ deadSteps). */
  stepsSinceFired?: number[];
  /** With validationSplit: the validation loss of each epoch of lossHistory (null: that epoch had none). */
  validationHistory?: (number | null)[];
  /** With early stopping: the 1-based epoch whose weights the last run kept. */
  bestEpoch?: number;
  /** A summarised history (past MAX_HISTORY_POINTS epochs, history.ts): the epoch of each entry of lossHistory. */
  historyEpochs?: number[];
}

/** Everything a model is made of, in memory: what the file is written from and read into. */
export interface ModelState {
  shape: LayerShape;
  config: ModelConfig;
  normalization: Normalization;
  parameters: Parameters;
  training: TrainingOptions & { epochsCompleted: number };
  /** The backend that last trained the model (informational: files do not depend on it). */
  trainedWith: string;
  optimizerState: AdamState | null;
  /** The last training's metrics; a file written before l0, explainedVariance and denseUnits lacks them. */
  metrics: StoredMetrics | null;
  lossHistory: number[];
  /**
   * TopK: the training steps since each hidden unit last fired, [h], so a continued run (a file,
   * a job's checkpoint) treats the same units as dead; absent or null: all 0 (other architectures,
   * and files written before it was saved).
   */
  stepsSinceFired?: Uint32Array | null;
  /**
   * The validation loss of every epoch of lossHistory, aligned with it (the same length; null for
   * an epoch trained without validationSplit, e.g. an earlier fit); absent or null when the model
   * was never validated, so those files stay as they were.
   */
  validationHistory?: (number | null)[] | null;
  /** Early stopping: the 1-based epoch of lossHistory whose weights the last run kept; else absent or null. */
  bestEpoch?: number | null;
  /**
   * The epoch of each entry of lossHistory (and validationHistory) once the history is summarised
   * (history.ts, past MAX_HISTORY_POINTS epochs); absent or null: entry k is epoch k + 1.
   */
  historyEpochs?: number[] | null;
  /** An imported model's per-row input normalisation (normalization.ts), applied before `normalization`; absent or null: none. */
  rowNormalization?: RowNormalization | null;
  /** Where an imported model came from; absent or null for models trained here. */
  source?: SourceMetadata | null;
  /**
   * An imported model's log10 feature density as its source measured it, [h] (SAELens'
   * sparsity.safetensors: log10(density + 1e-10), so −10 is a unit that never fired); absent or
   * null: none. Drawn by the density picture when no data is given (src/viz/density.ts).
   */
  logFeatureDensity?: Float32Array | null;
  /**
   * A bf16 or int8 model (./weight-dtype.ts): its two weight matrices as stored; `parameters`
   * holds them widened to float32 (exactly). Absent or null: float32 weights.
   */
  stored?: StoredWeights | null;
}

/** The version a file of `state` is written as: 2 when it holds a field of version 2, else 1. */
export function versionOf(state: Pick<ModelState, 'rowNormalization' | 'source' | 'logFeatureDensity'>): 1 | 2 {
  return state.rowNormalization || state.source || state.logFeatureDensity ? MODEL_FORMAT_VERSION_2 : MODEL_FORMAT_VERSION;
}

/** The dtype of a model state's weights. */
export function weightDtypeOf(state: Pick<ModelState, 'stored'>): WeightDtype {
  return state.stored?.dtype ?? 'f32';
}

function rowsOf(values: Float32Array, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) => Array.from(values.subarray(i * cols, (i + 1) * cols), shortestFloat32));
}

function listOf(values: Float32Array): number[] {
  return Array.from(values, shortestFloat32);
}

function parametersToJson(p: Parameters, shape: LayerShape, architecture: ArchitectureName): ParametersJson {
  const dims = parameterShapes(shape);
  const out = { encoder: {}, decoder: {} } as Record<LayerName, Record<string, unknown>>;
  for (const name of PARAMETER_NAMES) {
    const [rows, cols] = dims[name];
    const { layer, json } = fileNamesOf(name, architecture);
    out[layer][json] = cols === undefined ? listOf(p[name]) : rowsOf(p[name], rows!, cols);
  }
  return out as unknown as ParametersJson;
}

/**
 * The parameters an architecture declares beyond the dictionary's four (jumprelu's θ), each with
 * where both files keep it (ParameterSpec.file; default: the encoder, under its own name).
 */
export function extraParameters(architecture: ArchitectureName, shape: LayerShape): { name: string; dims: readonly number[]; layer: LayerName; field: string }[] {
  return architectureModule(architecture)
    .parameters(shape)
    .filter((spec) => !(PARAMETER_NAMES as readonly string[]).includes(spec.name))
    .map((spec) => ({ name: spec.name, dims: spec.dims, layer: spec.file?.layer ?? 'encoder', field: spec.file?.name ?? spec.name }));
}

/** The dictionary's layers with an architecture's own parameters added (vectors). */
function withExtras(layers: ParametersJson, p: Parameters, architecture: ArchitectureName, shape: LayerShape): ParametersJson {
  for (const extra of extraParameters(architecture, shape)) (layers[extra.layer] as unknown as Record<string, unknown>)[extra.field] = listOf(p[extra.name]!);
  return layers;
}

/** Writes the model file of a model state. */
export function toModelFile(state: ModelState): ModelFile {
  const { shape, parameters } = state;
  // The JSON file writes decimals of float32 weights: a bf16 or int8 model (and its scales) has
  // only the binary file, so that reading it back gives the same stored weights.
  if (state.stored) {
    throw new ConfigError('weightDtype', `is ${state.stored.dtype}: the JSON model file holds float32 weights only; write the binary (safetensors) model file instead, or convert the model to f32 first`);
  }
  const architecture = state.config.architecture;
  const layers = withExtras(parametersToJson(parameters, shape, architecture), parameters, architecture, shape);
  const norm = state.normalization;
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: versionOf(state),
    inputSize: shape.inputSize,
    hiddenSize: shape.hiddenSize,
    normalization: {
      kind: norm.kind,
      ...Object.fromEntries(normalizationVectors(norm).map(([name, values]) => [name, listOf(values)])),
      ...(state.rowNormalization ? { perRow: state.rowNormalization } : {}),
    } as ModelFile['normalization'],
    ...(state.source ? { source: { ...state.source } } : {}),
    ...(state.logFeatureDensity ? { logFeatureDensity: Array.from(state.logFeatureDensity) } : {}),
    encoder: layers.encoder,
    decoder: layers.decoder,
    config: { ...state.config },
    training: { ...state.training, backend: state.trainedWith },
    metrics: state.metrics ?? {},
    lossHistory: [],
  };
  const history = keptHistory(state);
  file.lossHistory = lossToJson(history.lossHistory);
  if (state.stepsSinceFired) file.stepsSinceFired = Array.from(state.stepsSinceFired);
  if (history.validationHistory) file.validationHistory = validationToJson(history.validationHistory);
  if (history.bestEpoch !== null) file.bestEpoch = history.bestEpoch;
  if (history.historyEpochs) file.historyEpochs = history.historyEpochs;
  if (state.optimizerState) {
    file.optimizerState = {
      kind: 'adam',
      step: state.optimizerState.step,
      m: withExtras(parametersToJson(state.optimizerState.m, shape, architecture), state.optimizerState.m, architecture, shape),
      v: withExtras(parametersToJson(state.optimizerState.v, shape, architecture), state.optimizerState.v, architecture, shape),
    };
  }
  return file;
}

/** The history a file of `state` holds: summarised past MAX_HISTORY_POINTS entries (history.ts). */
export function keptHistory(state: ModelState): History {
  return summariseHistory({
    lossHistory: state.lossHistory,
    validationHistory: state.validationHistory ?? null,
    historyEpochs: state.historyEpochs ?? null,
    bestEpoch: state.bestEpoch ?? null,
  });
}

/** The training losses as both files write them: float32 shortest decimals. */
export function lossToJson(history: readonly number[]): number[] {
  return history.map((v) => shortestFloat32(Math.fround(v)));
}

/** The validation losses as both files write them: float32 shortest decimals, as lossHistory; null kept. */
export function validationToJson(history: readonly (number | null)[]): (number | null)[] {
  return history.map((v) => (v === null ? null : shortestFloat32(Math.fround(v))));
}

// ---- reading -------------------------------------------------------------------------------

type Json = unknown;

/** Checks values of a parsed model file; a mismatch throws ModelFileError naming the field. */
export class FieldReader {
  constructor(private readonly source?: string) {}

  fail(field: string, problem: string): never {
    throw new ModelFileError(field, problem, this.source);
  }

  object(value: Json, field: string): Record<string, Json> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'must be an object');
    return value as Record<string, Json>;
  }

  integer(value: Json, field: string, min: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      this.fail(field, `must be an integer of at least ${min}, got ${describeValue(value)}`);
    }
    return value;
  }

  finite(value: Json, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isFinite(Math.fround(value))) {
      this.fail(field, `must be a finite float32 number, got ${describeValue(value)}`);
    }
    return value;
  }

  vector(value: Json, field: string, length: number, into?: Float32Array, offset = 0): Float32Array {
    if (!Array.isArray(value)) this.fail(field, `must be an array of ${length} numbers`);
    if (value.length !== length) this.fail(field, `must have ${length} numbers, has ${value.length}`);
    const out = into ?? new Float32Array(length);
    for (let k = 0; k < length; k++) out[offset + k] = this.finite(value[k], `${field}[${k}]`);
    return out;
  }

  matrix(value: Json, field: string, rows: number, cols: number): Float32Array {
    if (!Array.isArray(value)) this.fail(field, `must be an array of ${rows} rows`);
    if (value.length !== rows) this.fail(field, `must have ${rows} rows, has ${value.length}`);
    const out = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) this.vector(value[i], `${field}[${i}]`, cols, out, i * cols);
    return out;
  }

  parameters(value: Json, field: string, shape: LayerShape, architecture: ArchitectureName): Parameters {
    const prefix = field === '' ? '' : `${field}.`;
    const obj = field === '' ? (value as Record<string, Json>) : this.object(value, field);
    const layers = {} as Record<LayerName, Record<string, Json>>;
    for (const layer of LAYERS) layers[layer] = this.object(obj[layer], `${prefix}${layer}`);
    const dims = parameterShapes(shape);
    const out = {} as Parameters;
    for (const name of PARAMETER_NAMES) {
      const [rows, cols] = dims[name];
      const { layer, json } = fileNamesOf(name, architecture);
      const at = `${prefix}${jsonFieldOf(name, architecture)}`;
      out[name] = cols === undefined ? this.vector(layers[layer][json], at, rows!) : this.matrix(layers[layer][json], at, rows!, cols);
    }
    return out;
  }
}

/** The top-level fields of a model file; any other is refused (a typo would otherwise be lost). */
const MODEL_FILE_FIELDS: readonly string[] = [
  'format', 'version', 'inputSize', 'hiddenSize', 'normalization', 'encoder', 'decoder',
  'config', 'training', 'optimizerState', 'metrics', 'lossHistory', 'stepsSinceFired', 'validationHistory', 'bestEpoch', 'historyEpochs', 'source', 'logFeatureDensity',
] satisfies (keyof ModelFile)[];

/**
 * Where a model's numbers come from: the JSON file's arrays, or the tensors of a binary file.
 * Each call returns checked float32 values (shape, finite) or throws ModelFileError.
 */
export interface TensorSource {
  /** The parameters (`set` "parameters") or one of Adam's moments ("m", "v"). */
  parameters(set: 'parameters' | 'm' | 'v', shape: LayerShape, architecture: ArchitectureName): Parameters;
  /** A parameter an architecture adds (extraParameters), of the parameters ("parameters") or of one of Adam's moments. */
  extra(set: 'parameters' | 'm' | 'v', extra: { layer: LayerName; field: string; dims: readonly number[] }): Float32Array;
  /** One of the normalisation's vectors (NORMALIZATION_VECTORS: min and max, or mean and std). */
  normalization(vector: string, length: number): Float32Array;
  /**
   * The field of one of Adam's moment tensors as the file names it (the JSON file
   * "optimizerState.v.encoder.weights", the binary file "optimizer.v.encoder.weight"), so a bad
   * value found after reading is named in the file's own terms.
   */
  momentName(set: 'm' | 'v', key: ParameterName, architecture: ArchitectureName): string;
}

/**
 * Reads and checks a model file (already parsed from JSON). Throws ModelFileError naming the
 * first field that does not match: shapes, non-finite numbers, unknown format or version.
 */
export function readModelFile(json: Json, source?: string): ModelState {
  const read: FieldReader = new FieldReader(source);
  const file = read.object(json, '(root)');
  for (const key of Object.keys(file)) {
    if (!MODEL_FILE_FIELDS.includes(key)) read.fail(key, `is not a field of a model file (known: ${MODEL_FILE_FIELDS.join(', ')})`);
  }
  const tensors: TensorSource = {
    parameters: (set, shape, architecture) =>
      set === 'parameters'
        ? read.parameters(file, '', shape, architecture)
        : read.parameters(read.object(file.optimizerState, 'optimizerState')[set], `optimizerState.${set}`, shape, architecture),
    normalization: (vector, length) => read.vector(read.object(file.normalization, 'normalization')[vector], `normalization.${vector}`, length),
    extra: (set, { layer, field, dims }) => {
      const holder = set === 'parameters' ? file : read.object(read.object(file.optimizerState, 'optimizerState')[set], `optimizerState.${set}`);
      const prefix = set === 'parameters' ? '' : `optimizerState.${set}.`;
      return read.vector(read.object(holder[layer], `${prefix}${layer}`)[field], `${prefix}${layer}.${field}`, sizeOf(dims));
    },
    momentName: (set, key, architecture) => `optimizerState.${set}.${jsonFieldOf(key, architecture)}`,
  };
  return readModelFields(read, file, tensors);
}

/** The normalisation of a file: its kind, its vectors (NORMALIZATION_VECTORS) and what they must satisfy. */
function readNormalization(read: FieldReader, kind: Json, n: number, tensors: TensorSource): Normalization {
  if (typeof kind !== 'string' || !Object.hasOwn(NORMALIZATION_VECTORS, kind)) {
    const kinds = Object.keys(NORMALIZATION_VECTORS).map((k) => JSON.stringify(k)).join(', ');
    return read.fail('normalization.kind', `must be one of ${kinds}, got ${describeValue(kind)}`);
  }
  const vectors = Object.fromEntries(NORMALIZATION_VECTORS[kind as NormalizationKind].map((name) => [name, tensors.normalization(name, n)]));
  const normalization = { kind, ...vectors } as Normalization;
  for (let j = 0; j < n; j++) {
    if (normalization.kind === 'minmax' && normalization.max[j]! < normalization.min[j]!) read.fail(`normalization.max[${j}]`, `is below normalization.min[${j}]`);
    if (normalization.kind === 'standardize' && normalization.std[j]! < 0) read.fail(`normalization.std[${j}]`, `must be at least 0 (a standard deviation), got ${normalization.std[j]}`);
  }
  return normalization;
}

/**
 * Checks the fields of a model file other than its tensors, in the shape of the JSON file (a
 * binary file's metadata is laid out the same way), taking the numbers from `tensors`.
 */
export function readModelFields(read: FieldReader, file: Record<string, Json>, tensors: TensorSource): ModelState {
  if (file.format !== MODEL_FORMAT) read.fail('format', `must be "${MODEL_FORMAT}", got ${describeValue(file.format)}`);
  if (!MODEL_FORMAT_VERSIONS.includes(file.version as number)) {
    read.fail('version', `version ${describeValue(file.version)} is not supported (this edge-sae reads versions ${MODEL_FORMAT_VERSIONS.join(' and ')})`);
  }
  const shape = { inputSize: read.integer(file.inputSize, 'inputSize', 1), hiddenSize: read.integer(file.hiddenSize, 'hiddenSize', 1) };
  // The names the parameters are under depend on the architecture (gated's b1 is encoder.b_gate),
  // read before the config is checked so a file's problems are named in the same order as ever;
  // an unknown architecture reads the usual names and is refused with the config below.
  const named = typeof file.config === 'object' && file.config !== null ? (file.config as Record<string, Json>).architecture : undefined;
  const parameters = tensors.parameters('parameters', shape, isArchitectureName(named) ? named : 'sigmoid');

  const normalizationJson = read.object(file.normalization, 'normalization');
  const normalization = readNormalization(read, normalizationJson.kind, shape.inputSize, tensors);
  const rowNormalization = readRowNormalization(read, normalizationJson.perRow, file.version);
  const source = file.source === undefined || file.source === null ? null : versionTwo(read, 'source', file.version, () => readSourceMetadata(read, file.source));
  const logFeatureDensity =
    file.logFeatureDensity === undefined || file.logFeatureDensity === null ? null : versionTwo(read, 'logFeatureDensity', file.version, () => readLogFeatureDensity(read, file.logFeatureDensity, shape.hiddenSize));

  const configJson = read.object(file.config, 'config');
  checkConfigKeys(read, configJson);
  if (configJson.hiddenSize !== undefined && configJson.hiddenSize !== shape.hiddenSize) {
    read.fail('config.hiddenSize', `is ${describeValue(configJson.hiddenSize)} but hiddenSize is ${shape.hiddenSize}`);
  }
  const config = withFieldPrefix(read, () =>
    resolveModelConfig(shape.inputSize, { ...(configJson as Partial<ModelConfig>), hiddenSize: shape.hiddenSize, normalize: normalization.kind }),
  );
  // the architecture's own parameters (jumprelu's θ), now that the config names it
  const extras = extraParameters(config.architecture, shape);
  for (const extra of extras) parameters[extra.name] = tensors.extra('parameters', extra);

  const trainingJson = read.object(file.training ?? {}, 'training');
  checkTrainingKeys(read, trainingJson);
  const { backend: trainedWith, epochsCompleted, ...trainingFields } = trainingJson;
  const training = withFieldPrefix(read, () => resolveTrainingOptions({ ...(trainingFields as Partial<TrainingOptions>), backend: 'auto' }));
  const completed = epochsCompleted === undefined ? 0 : read.integer(epochsCompleted, 'training.epochsCompleted', 0);

  let optimizerState: AdamState | null = null;
  if (file.optimizerState !== undefined && file.optimizerState !== null) {
    const opt = read.object(file.optimizerState, 'optimizerState');
    if (opt.kind !== 'adam') read.fail('optimizerState.kind', `must be "adam", got ${describeValue(opt.kind)}`);
    optimizerState = {
      step: read.integer(opt.step, 'optimizerState.step', 0),
      m: tensors.parameters('m', shape, config.architecture),
      v: tensors.parameters('v', shape, config.architecture),
    };
    for (const extra of extras) {
      optimizerState.m[extra.name] = tensors.extra('m', extra);
      optimizerState.v[extra.name] = tensors.extra('v', extra);
    }
    checkSecondMoment(read, optimizerState.v, shape, tensors, config.architecture);
  }

  const historyJson = file.lossHistory ?? [];
  if (!Array.isArray(historyJson)) read.fail('lossHistory', 'must be an array of numbers');
  const lossHistory = historyJson.map((v, k) => read.finite(v, `lossHistory[${k}]`));
  const metrics = readMetrics(read, file.metrics, shape.hiddenSize);
  let stepsSinceFired: Uint32Array | null = null;
  if (file.stepsSinceFired !== undefined && file.stepsSinceFired !== null) {
    const steps = file.stepsSinceFired;
    if (!Array.isArray(steps) || steps.length !== shape.hiddenSize) read.fail('stepsSinceFired', `must be an array of ${shape.hiddenSize} whole numbers ≥ 0 (one per hidden unit)`);
    stepsSinceFired = Uint32Array.from(steps, (v, k) => {
      const count = read.integer(v, `stepsSinceFired[${k}]`, 0);
      return count <= 0xffffffff ? count : read.fail(`stepsSinceFired[${k}]`, `must fit in 32 bits, got ${count}`);
    });
  }

  const validationHistory = readValidationHistory(read, file.validationHistory, lossHistory.length);
  const historyEpochs = readHistoryEpochs(read, file.historyEpochs, lossHistory.length);
  let bestEpoch: number | null = null;
  if (file.bestEpoch !== undefined && file.bestEpoch !== null) {
    bestEpoch = read.integer(file.bestEpoch, 'bestEpoch', 1);
    const last = lastEpochOf({ lossHistory, historyEpochs });
    if (bestEpoch > last) read.fail('bestEpoch', `is epoch ${bestEpoch}, but lossHistory has ${last} epochs`);
    if (historyEpochs && !historyEpochs.includes(bestEpoch)) read.fail('bestEpoch', `is epoch ${bestEpoch}, which historyEpochs does not hold (a summary keeps the best epoch)`);
  }
  // A history longer than a file keeps (an older file, or one written elsewhere) is summarised on reading.
  const history = summariseHistory({ lossHistory, validationHistory, historyEpochs, bestEpoch });

  return {
    shape,
    config,
    normalization,
    parameters,
    training: { ...training, epochsCompleted: completed },
    trainedWith: typeof trainedWith === 'string' ? trainedWith : 'unknown',
    optimizerState,
    metrics,
    lossHistory: history.lossHistory,
    stepsSinceFired,
    ...(history.validationHistory ? { validationHistory: history.validationHistory } : {}),
    ...(history.bestEpoch !== null ? { bestEpoch: history.bestEpoch } : {}),
    ...(history.historyEpochs ? { historyEpochs: history.historyEpochs } : {}),
    ...(rowNormalization ? { rowNormalization } : {}),
    ...(source ? { source } : {}),
    ...(logFeatureDensity ? { logFeatureDensity } : {}),
  };
}

/** The largest log10 density taken: log10(1 + 1e-10) rounds above 0 (SAELens adds its eps to a density of 1). */
export const MAX_LOG_DENSITY = 1e-6;

/** logFeatureDensity: h finite numbers, each at most MAX_LOG_DENSITY (a log10 of a fraction), version 2. */
function readLogFeatureDensity(read: FieldReader, value: Json, h: number): Float32Array {
  if (!Array.isArray(value) || value.length !== h) read.fail('logFeatureDensity', `must be an array of ${h} numbers (log10 of each hidden unit's density), got ${describeValue(value)}`);
  return Float32Array.from(value, (v, k) => {
    const x = read.finite(v, `logFeatureDensity[${k}]`);
    return x <= MAX_LOG_DENSITY ? x : read.fail(`logFeatureDensity[${k}]`, `must be at most 0 (a log10 of a density), got ${x}`);
  });
}

/** A field of version 2 in a version 1 file is refused (the version says which reader it needs). */
function versionTwo<T>(read: FieldReader, field: string, version: Json, value: () => T): T {
  if (version !== MODEL_FORMAT_VERSION_2) read.fail(field, `is a field of version ${MODEL_FORMAT_VERSION_2} files, but this file says version ${describeValue(version)}`);
  return value();
}

/** normalization.perRow: absent, or one of ROW_NORMALIZATIONS (version 2). */
function readRowNormalization(read: FieldReader, value: Json, version: Json): RowNormalization | null {
  if (value === undefined || value === null) return null;
  return versionTwo(read, 'normalization.perRow', version, () =>
    isRowNormalization(value) ? value : read.fail('normalization.perRow', `must be one of ${ROW_NORMALIZATIONS.map((k) => JSON.stringify(k)).join(', ')}, got ${describeValue(value)}`),
  );
}

/** validationHistory: absent, or one finite loss or null per epoch of lossHistory. */
function readValidationHistory(read: FieldReader, value: Json, epochs: number): (number | null)[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length !== epochs) {
    read.fail('validationHistory', `must be an array of ${epochs} entries (one per epoch of lossHistory), each a number or null`);
  }
  return value.map((v, k) => (v === null ? null : read.finite(v, `validationHistory[${k}]`)));
}

/**
 * Adam's second moment is a running mean of squared gradients: never negative. A negative value
 * cannot come from training (it would make √v NaN on the next step, which then reads as a
 * divergence with the wrong advice), so a file holding one is refused here, naming the cell in
 * the file's own terms (optimizerState.v.decoder.weights[1][2], optimizer.v.decoder.weight[1][2]).
 */
function checkSecondMoment(read: FieldReader, v: Parameters, { inputSize: n, hiddenSize: h }: LayerShape, tensors: TensorSource, architecture: ArchitectureName): void {
  const columns: Record<ParameterName, number | null> = { W1: h, b1: null, W2: n, b2: null };
  for (const key of PARAMETER_NAMES) {
    const values = v[key];
    // A plain loop: this runs on every model load (a closure per value cost more than the decode).
    for (let k = 0; k < values.length; k++) {
      if (values[k]! < 0) {
        const cols = columns[key];
        const at = cols === null ? `[${k}]` : `[${Math.floor(k / cols)}][${k % cols}]`;
        read.fail(`${tensors.momentName('v', key, architecture)}${at}`, `must hold no negative value (Adam's second moment is a mean of squared gradients), got ${values[k]}`);
      }
    }
  }
}

/** Runs a config check and re-throws its ConfigError as a ModelFileError of the same field. */
function withFieldPrefix<T>(read: FieldReader, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ConfigError) read.fail(error.field, error.reason);
    throw error;
  }
}
