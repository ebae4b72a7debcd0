/**
 * `edge-sae train`: read data, load a backend, build a fresh model (or load --init), fit it,
 * write the model file atomically, and print a summary (for people, or one JSON line with --json).
 */
import { architectureModule } from '../architectures/registry.js';
import { isRawFloat32, openDataSource } from '../data/open-data-source.js';
import { numericHeaderWarning } from '../data/numeric-header.js';
import { ConfigError, DataError } from '../errors.js';
import { resolveModelConfig, type ModelConfig, type TrainingOptions } from '../model/config.js';
import type { ArchitectureName } from '../backends/types.js';
import type { Metrics } from '../model/metrics.js';
import { carriedOverTraining } from '../model/options.js';
import { SparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { OpenedDataSource } from '../data/open-data-source.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkUnitRange, checkWidth, loadModel, withDataSourceAsync, commandBackend } from './common.js';
import type { ModelState } from '../model/model-file.js';
import { flagOfField, readTrainingFlags, withFlagNames } from './option-flags.js';
import { readColsFlag } from './data-flags.js';
import { checkOutputPath, modelBytesFor, readModelFileAt, writeFileAtomic, type CliIo } from './io.js';
import { createProgressReporter, progressStyle } from './progress.js';

/** The model options --init may change: all but the width and the normalisation, which the weights fix. */
type LossOverrides = Partial<Omit<ModelConfig, 'hiddenSize' | 'normalize'>>;

export async function train(options: ParsedOptions, io: CliIo): Promise<void> {
  const dataPath = options.required('data');
  const outPath = options.required('out');
  const initPath = options.string('init');
  const { config, training } = readTrainingFlags(options);
  checkOutputPath(outPath, '--out');
  const cols = readColsFlag(options, dataPath);
  const validationPath = options.string('validation-data');

  // Cheap checks first: a bad model file or data file fails before any backend loads.
  const initFile = initPath === undefined ? undefined : readModelFileAt(initPath);
  const data = await openDataSource(dataPath, cols);
  let validation: OpenedDataSource | undefined;
  try {
    // A raw float32 validation file has the training data's width (which --cols gave, or the data says).
    validation = validationPath === undefined ? undefined : await openDataSource(validationPath, isRawFloat32(validationPath) ? data.shards.cols : undefined);
    if (validation && validation.shards.cols !== data.shards.cols) {
      throw new DataError(`rows have ${validation.shards.cols} columns, but the training data in ${data.source} has ${data.shards.cols}`, { source: validation.source, row: validation.firstRow, column: Math.min(validation.shards.cols, data.shards.cols) + 1 });
    }
    await trainOn(data, validation, options, io, { outPath, initPath, initFile, config, training });
  } finally {
    await data.close();
    await validation?.close();
  }
}

/** Trains on the opened data: streamed from the file (docs/SPEC.md §2.1), at most a window of shards in memory. */
async function trainOn(
  data: OpenedDataSource,
  validation: OpenedDataSource | undefined,
  options: ParsedOptions,
  io: CliIo,
  { outPath, initPath, initFile, config, training }: { outPath: string; initPath: string | undefined; initFile: ModelState | undefined; config: Partial<ModelConfig>; training: Partial<TrainingOptions> },
): Promise<void> {
  const { backend, report } = await commandBackend(options, training.backend ?? 'auto');
  let model: SparseAutoencoder;
  let fitOptions: Partial<TrainingOptions> = training;
  if (initPath !== undefined) {
    const { hiddenSize, normalize, ...loss } = config;
    model = loadModel(withFlagNames(() => withLossOverrides(initFile!, loss)), backend);
    checkSameAsModel('--hidden', hiddenSize, model.hiddenSize, initPath);
    checkSameAsModel('--normalize', normalize, model.config.normalize, initPath);
    // Continuing a run: options not given keep the values the model was last trained with.
    fitOptions = { ...(carriedOverTraining(model.trainingOptions) as Partial<TrainingOptions>), ...training };
  } else {
    // k is checked against the hidden size here, where the data's width (3 × it by default) is known.
    model = withFlagNames(() => SparseAutoencoder.create(data.shards.cols, config, backend, { seed: training.seed }));
  }

  try {
    if (initPath !== undefined) checkWidth(model, data, initPath);
    if (model.config.normalize === 'none' && !architectureModule(model.config.architecture).linearOutput) {
      const requiredBy = initPath === undefined
        ? '--normalize none requires (use --normalize minmax to scale the data)'
        : `the model in ${initPath} requires (it was trained with normalize none)`;
      checkUnitRange(data, requiredBy);
      if (validation) checkUnitRange(validation, requiredBy);
    }
    const warnings = await dataWarnings(data);
    const started = Date.now();
    const json = options.flag('json');
    const quiet = options.flag('quiet');
    const progress = createProgressReporter(progressStyle({ quiet, json, isTTY: io.stderrIsTTY }), {
      write: io.stderr,
      ...(io.stderrColumns ? { columns: io.stderrColumns } : {}),
    });
    let result;
    try {
      const extras = { onProgress: progress.update, ...(validation ? { validation: validation.shards } : {}) };
      result = await withDataSourceAsync(data, () => withDataSourceAsync(validation ?? data, () => model.fitStream(data.shards, fitOptions, extras), 'validation'));
    } catch (error) {
      const flag = error instanceof ConfigError ? flagOfField(error.field) : undefined;
      if (error instanceof ConfigError && flag) throw new UsageError(`${flag}: ${error.reason}`);
      throw error;
    } finally {
      progress.done();
    }
    writeFileAtomic(outPath, modelBytesFor(outPath, model));
    const summary = {
      out: outPath,
      backend: report.chosen,
      requestedBackend: report.requested,
      skippedBackends: report.skipped,
      threads: report.threads?.used ?? 1,
      ...(report.threads?.reason ? { threadsReason: report.threads.reason } : {}),
      initializedFrom: initPath ?? null,
      rows: result.metrics.rows,
      ...(result.validationMetrics ? { heldOutRows: result.validationMetrics.rows } : {}),
      inputSize: model.inputSize,
      hiddenSize: model.hiddenSize,
      epochs: result.lossHistory.length,
      seconds: (Date.now() - started) / 1000,
      metrics: result.metrics,
      ...(result.validationMetrics ? { validationMetrics: result.validationMetrics, validationHistory: result.validationHistory } : {}),
      ...(result.bestEpoch !== null ? { bestEpoch: result.bestEpoch } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    };
    if (json) io.stdout(`${JSON.stringify(summary)}\n`);
    else if (!quiet) io.stdout(describeTraining({ ...summary, architecture: model.config.architecture }));
  } finally {
    model.dispose();
  }
}

/**
 * What the data may hold that was not meant (src/data/numeric-header.ts): a CSV without a header
 * whose first row looks like one of numbers. Reads the first shard only.
 */
async function dataWarnings(data: OpenedDataSource): Promise<string[]> {
  if (data.format !== 'csv' || data.header !== null) return [];
  const { cols, rows } = data.shards;
  const first = (await data.shards.readShard(0)).subarray(0, Math.min(rows, 2) * cols);
  const fix = 'if it is a header, give its columns names (a header row has no number in it) or delete the line';
  const warning = numericHeaderWarning(first.subarray(0, cols), rows > 1 ? first.subarray(cols, 2 * cols) : null, data.source, fix);
  return warning === null ? [] : [warning];
}

/** Applies loss flags to a loaded model's config, so --init can continue with new ones. */
function withLossOverrides(state: ModelState, loss: LossOverrides): ModelState {
  if (Object.keys(loss).length === 0) return state;
  return { ...state, config: resolveModelConfig(state.shape.inputSize, { ...state.config, ...loss }) };
}

function checkSameAsModel(flag: string, given: unknown, actual: unknown, initPath: string): void {
  if (given !== undefined && given !== actual) {
    throw new UsageError(`${flag} ${String(given)} conflicts with the model in ${initPath}, which has ${String(actual)}; drop ${flag} or train a new model without --init`);
  }
}

/** The summary for people: what was trained, how well, and where it went. */
function describeTraining(s: {
  out: string;
  architecture: ArchitectureName;
  backend: string;
  skippedBackends: ReadonlyArray<{ name: string; reason: string }>;
  rows: number;
  inputSize: number;
  hiddenSize: number;
  epochs: number;
  seconds: number;
  metrics: Metrics;
  validationMetrics?: Metrics;
  heldOutRows?: number;
  bestEpoch?: number;
  warnings?: string[];
}): string {
  const m = s.metrics;
  const skipped = s.skippedBackends.map((b) => `; skipped ${b.name}: ${b.reason}`).join('');
  const fvu = m.fvu === null ? 'n/a' : m.fvu.toPrecision(4);
  return [
    `trained ${s.inputSize} → ${s.hiddenSize} on ${s.rows} row${s.rows === 1 ? '' : 's'}${s.heldOutRows === undefined ? '' : ` (${s.heldOutRows} held out)`}, ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} in ${s.seconds.toFixed(1)} s (backend ${s.backend}${skipped})`,
    lossLine(m, s.architecture),
    `mean activation ${m.meanActivation.toPrecision(4)}, fvu ${fvu}, explained variance ${m.explainedVariance === null ? 'n/a' : m.explainedVariance.toPrecision(4)}`,
    `l0 ${m.l0.toPrecision(4)} active codes a row, dead units ${m.deadUnits}/${s.hiddenSize}, dense units ${m.denseUnits}/${s.hiddenSize}`,
    ...(s.validationMetrics
      ? [`validation (${s.validationMetrics.rows} held-out rows): loss ${s.validationMetrics.loss.toPrecision(6)}, fvu ${s.validationMetrics.fvu === null ? 'n/a' : s.validationMetrics.fvu.toPrecision(4)}${s.bestEpoch === undefined ? '' : `; early stopping kept epoch ${s.bestEpoch}'s weights`}`]
      : []),
    `wrote ${s.out}`,
    ...(s.warnings ?? []).map((warning) => `warning: ${warning}`),
    '',
  ].join('\n');
}

/**
 * `loss = reconstruction + …` with the terms the architecture's loss has (docs/SPEC.md section 2):
 * the sigmoid model's L2 weight decay and KL sparsity penalty; relu's L1 penalty (the backends
 * report it as `sparsity`); topk's AuxK loss (reported as `sparsity`, 0 while no unit is dead).
 * relu and topk have no weight decay, so a "weight decay 0" term would only mislead.
 */
export function lossLine(m: Metrics, architecture: ArchitectureName): string {
  const f = (value: number) => value.toPrecision(6);
  const terms = architecture === 'relu' ? [`L1 ${f(m.sparsity)}`] : architecture === 'topk' ? [`AuxK ${f(m.sparsity)}`] : [`weight decay ${f(m.weightDecay)}`, `sparsity ${f(m.sparsity)}`];
  return `loss ${f(m.loss)} = reconstruction ${f(m.reconstruction)} + ${terms.join(' + ')}`;
}
