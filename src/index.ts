/**
 * edge-sae for Node: the library entry. Everything here also runs in the Worker except the
 * helpers that load the kernels from disk (createModel, loadModel, loadNodeBackend) and the local
 * sweep (runLocalSweep: worker threads).
 *
 * @example
 * import { createModel } from 'edge-sae';
 * const model = await createModel(16);                 // h = 48, the tutorial's defaults
 * const { metrics, lossHistory } = model.fit(rows);    // rows: number[][]
 * const codes = model.encode(rows);                    // { rows, cols: 48, data: Float32Array }
 * await writeFile('model.json', JSON.stringify(model.toFile()));   // or model.toBinaryFile() to m.safetensors
 */
import { loadNodeBackend } from './backends/node-providers.js';
import type { BackendChoice } from './backends/types.js';
import type { ModelConfig } from './model/config.js';
import type { WeightDtype } from './model/weight-dtype.js';
export { SPARSE_PRESETS, type Preset, type PresetName } from './model/presets.js';
import { SparseAutoencoder } from './model/sparse-autoencoder.js';
import { filesOfSource, importSaeState, type SaeSource } from './sae-import/import.js';
import { readSaeSource } from './sae-import/node-files.js';
import { EncodingSession } from './model/encoding-session.js';
import { openEncoderFile } from './model/encoder-file-node.js';

export { SparseAutoencoder } from './model/sparse-autoencoder.js';
export type { CreateOptions, DataInput, FitExtras, FitResult, StreamingSlice, TrainingProgress, TrainingSlice } from './model/sparse-autoencoder.js';
export { selectSparse, toFeatureLists, fromFeatureLists, type SparseCodes, type SparseSelection, type FeatureList } from './model/sparse-codes.js';
export { sparseCodesToBytes, denseCodesToBytes, codesFromBytes } from './model/codes-binary.js';
export { StreamingRun, shardOrder, streamedStepsPerEpoch } from './model/streaming-run.js';
export {
  DEFAULT_MODEL_CONFIG,
  DEFAULT_TRAINING_OPTIONS,
  defaultHiddenSize,
  resolveModelConfig,
  resolveTrainingOptions,
  type ModelConfig,
  type NormalizationKind,
  type OptimizerName,
  type TrainingOptions,
} from './model/config.js';
export { activeThreshold, DEAD_UNIT_THRESHOLD, DENSE_UNIT_FREQUENCY, type Metrics, type StoredMetrics } from './model/metrics.js';
export { readModelFile, toModelFile, type ModelFile, type ModelState } from './model/model-file.js';
export { readBinaryModelFile, toBinaryModelFile } from './model/model-file-binary.js';
export { modelFileForm, readModelBytes, type ModelFileForm } from './model/model-bytes.js';
export { EncodingSession } from './model/encoding-session.js';
export { openEncoderFile } from './model/encoder-file-node.js';
export { convertWeightDtype } from './model/convert-dtype.js';
export { WEIGHT_DTYPES, type StoredMatrix, type StoredWeights, type WeightDtype } from './model/weight-dtype.js';
export type { TrainingPosition } from './model/training-run.js';
export { ConfigError, DataError, InputError, ModelFileError, ModelOutputError, TrainingDivergedError, type DataProblem } from './errors.js';
export * from './data/index.js';
export { readDataFile } from './data/read-file.js';
export { openDataSource, type OpenedDataSource } from './data/open-data-source.js';
export { checkLabelRows, labelsFromArray, openLabelFile, type RowLabels } from './data/labels.js';
export * from './export/index.js';
export { loadNodeBackend, nodeBackendProviders } from './backends/node-providers.js';
export { memoisedProvider, resolveBackend, simdSupported, type BackendProvider, type BackendReport } from './backends/select.js';
export { createAssemblyScriptBackend, type BackendThreads } from './backends/assemblyscript/loader.js';
export { createThreadedAssemblyScriptBackend } from './backends/assemblyscript/threaded-backend.js';
export { MAX_DEFAULT_THREADS, MAX_THREADS, type ThreadsReport } from './backends/assemblyscript/threads.js';
export { shutdownThreadPool } from './backends/assemblyscript/thread-pool.js';
export type * from './backends/types.js';

/** A fresh model on the backend `backend` (default "auto": the SIMD kernels, else the tfjs fallback). */
export async function createModel(
  inputSize: number,
  config: Partial<ModelConfig> = {},
  options: { seed?: number; backend?: BackendChoice; threads?: number } = {},
): Promise<SparseAutoencoder> {
  const { backend, report } = await loadNodeBackend(options.backend ?? 'auto', { threads: options.threads });
  return SparseAutoencoder.create(inputSize, config, backend, { seed: options.seed, backendReport: report });
}

/**
 * A model from a model file: its bytes, either form (binary or JSON text, told apart by content;
 * docs/MODEL-FORMAT.md), or a parsed JSON model file (docs/SPEC.md section 3).
 */
export async function loadModel(file: Uint8Array | unknown, options: { backend?: BackendChoice; source?: string; threads?: number } = {}): Promise<SparseAutoencoder> {
  const { backend, report } = await loadNodeBackend(options.backend ?? 'auto', { threads: options.threads });
  return file instanceof Uint8Array
    ? SparseAutoencoder.fromBytes(file, backend, options.source, report)
    : SparseAutoencoder.fromFile(file, backend, options.source, report);
}

/**
 * An SAE written by another library (SAELens, sparsify, Gemma Scope, Llama Scope,
 * dictionary_learning, OpenAI's sparse_autoencoder) as an edge-sae model that encodes, decodes and
 * reconstructs as that library does (docs/IMPORT.md). `source`: a folder or file path, the bytes of
 * a zip of the folder (or of one .pt / .npz), or a map of file names to bytes. `dtype`: the weight
 * matrices kept as f32 (default), bf16 or int8 (docs/IMPORT.md, "dtypes").
 */
export async function importSae(source: string | SaeSource, options: { format?: string; dtype?: WeightDtype; backend?: BackendChoice; threads?: number } = {}): Promise<SparseAutoencoder> {
  const files = typeof source === 'string' ? await readSaeSource(source) : filesOfSource(source);
  // files read from a path are this call's alone: their float32 weights are folded where they lie
  const { state } = importSaeState(files, { format: options.format, ...(options.dtype !== undefined ? { dtype: options.dtype } : {}), filesOwned: typeof source === 'string' });
  const { backend, report } = await loadNodeBackend(options.backend ?? 'auto', { threads: options.threads });
  return SparseAutoencoder.fromState(state, backend, report);
}
export { filesOfSource, importSaeState, type ImportOptions, type SaeSource } from './sae-import/import.js';
export { SAE_FORMATS, SAE_FORMAT_NAMES, type SaeFormatName } from './sae-import/registry.js';
export { exportSae, EXPORT_DTYPES, EXPORT_FORMATS, type ExportDtype, type ExportFormat, type ExportSaeOptions } from './sae-import/export.js';
export type { SourceMetadata } from './model/source-metadata.js';

/**
 * An encode-only session (docs/ENCODING.md) on the AssemblyScript kernels: from a binary model
 * file's path (its encoder read a block of rows at a time, the decoder never: the memory of W_enc
 * as stored, once) or its bytes. Refuses a JSON model file (load it with loadModel).
 */
export async function loadEncoder(file: string | Uint8Array, options: { source?: string } = {}): Promise<EncodingSession> {
  const { backend } = await loadNodeBackend('assemblyscript');
  return typeof file === 'string' ? openEncoderFile(file, backend) : EncodingSession.fromBytes(file, backend, options.source);
}

// Sweeps on this machine: each trial trained through the library in its own worker thread (Node only).
export { runLocalSweep, type LocalSweepOptions, type SweepEvent } from './sweep/local-sweep.js';
export { checkGrid, checkTrials, expandGrid, parseGrid, trialName, type Grid, type TrialOptions } from './sweep/grid.js';
export { rankTrials, SWEEP_METRICS, type RankedTrial, type SweepMetric, type TrialResult } from './sweep/ranking.js';

// Feature statistics over a data set (docs/FEATURES.md): streamed, resumable, per feature.
export {
  binOf,
  DEFAULT_FEATURE_STATS_OPTIONS,
  featureStats,
  FeatureStatsRun,
  resolveFeatureStatsOptions,
  type FeatureRow,
  type FeatureStatsOptions,
  type FeatureStatsResult,
  type FeatureStatsState,
  type FeatureSummary,
} from './features/feature-stats.js';
