/**
 * `edge-sae train`: read data, load a backend, build a fresh model (or load --init), fit it,
 * write the model file atomically, print a one-line JSON summary.
 */
import { loadNodeBackend } from '../backends/node-providers.js';
import { readDataFile } from '../data/read-file.js';
import { ConfigError } from '../errors.js';
import { resolveModelConfig, resolveTrainingOptions, type ModelConfig, type TrainingOptions } from '../model/config.js';
import { SparseAutoencoder, type TrainingProgress } from '../model/sparse-autoencoder.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkUnitRange, checkWidth, loadModel, withDataSource } from './common.js';
import { checkOutputPath, readJsonFile, writeFileAtomic, type CliIo } from './io.js';

/** The flag behind each config field, so range errors name what the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  'config.hiddenSize': '--hidden',
  'config.sparsityTarget': '--sparsity-target',
  'config.sparsityWeight': '--sparsity-weight',
  'config.weightDecay': '--weight-decay',
  'config.reduction': '--reduction',
  'config.normalize': '--normalize',
  'training.optimizer': '--optimizer',
  'training.learningRate': '--learning-rate',
  'training.epochs': '--epochs',
  'training.batchSize': '--batch-size',
  'training.seed': '--seed',
  'training.backend': '--backend',
};

type LossOverrides = Partial<Pick<ModelConfig, 'sparsityTarget' | 'sparsityWeight' | 'weightDecay' | 'reduction'>>;

export async function train(options: ParsedOptions, io: CliIo): Promise<void> {
  const dataPath = options.required('data');
  const outPath = options.required('out');
  const initPath = options.string('init');
  const { config, training } = readTrainingFlags(options);
  checkOutputPath(outPath, '--out');

  // Cheap checks first: a bad model file or data file fails before any backend loads.
  const initFile = initPath === undefined ? undefined : readJsonFile(initPath);
  const data = readDataFile(dataPath);

  const { backend, report } = await loadNodeBackend(training.backend ?? 'auto');
  let model: SparseAutoencoder;
  let fitOptions: Partial<TrainingOptions> = training;
  if (initPath !== undefined) {
    const { hiddenSize, normalize, ...loss } = config;
    model = loadModel(withLossOverrides(initFile, loss), backend, initPath);
    checkSameAsModel('--hidden', hiddenSize, model.hiddenSize, initPath);
    checkSameAsModel('--normalize', normalize, model.config.normalize, initPath);
    // Continuing a run: options not given keep the values the model was last trained with.
    const { epochsCompleted: _completed, backend: _backend, ...previous } = model.trainingOptions;
    fitOptions = { ...previous, ...training };
  } else {
    model = SparseAutoencoder.create(data.matrix.cols, config, backend, { seed: training.seed });
  }

  try {
    if (initPath !== undefined) checkWidth(model, data, initPath);
    if (model.config.normalize === 'none') {
      checkUnitRange(
        data,
        initPath === undefined
          ? '--normalize none requires (use --normalize minmax to scale the data)'
          : `the model in ${initPath} requires (it was trained with normalize none)`,
      );
    }
    const started = Date.now();
    const progress = io.stderrIsTTY ? progressPrinter(io) : undefined;
    let result;
    try {
      result = withDataSource(data, () => model.fit(data.matrix, fitOptions, progress?.update));
    } finally {
      progress?.done();
    }
    writeFileAtomic(outPath, `${JSON.stringify(model.toFile())}\n`);
    const summary = {
      out: outPath,
      backend: report.chosen,
      requestedBackend: report.requested,
      skippedBackends: report.skipped,
      initializedFrom: initPath ?? null,
      rows: data.matrix.rows,
      inputSize: model.inputSize,
      hiddenSize: model.hiddenSize,
      epochs: result.lossHistory.length,
      seconds: (Date.now() - started) / 1000,
      metrics: result.metrics,
    };
    io.stdout(`${JSON.stringify(summary)}\n`);
  } finally {
    model.dispose();
  }
}

/** The model-config and training flags given, range-checked now so mistakes fail before any work. */
function readTrainingFlags(options: ParsedOptions): { config: Partial<ModelConfig>; training: Partial<TrainingOptions> } {
  const config = dropUndefined<Partial<ModelConfig>>({
    hiddenSize: options.number('hidden'),
    sparsityTarget: options.number('sparsity-target'),
    sparsityWeight: options.number('sparsity-weight'),
    weightDecay: options.number('weight-decay'),
    reduction: options.choice('reduction'),
    normalize: options.choice('normalize'),
  });
  const training = dropUndefined<Partial<TrainingOptions>>({
    optimizer: options.choice('optimizer'),
    learningRate: options.number('learning-rate'),
    epochs: options.number('epochs'),
    batchSize: options.number('batch-size'),
    seed: options.number('seed'),
    backend: options.choice('backend'),
  });
  try {
    // The input size is not known yet; 1 stands in (it only sets the default hidden size).
    resolveModelConfig(1, config);
    resolveTrainingOptions(training);
  } catch (error) {
    if (error instanceof ConfigError && FLAG_OF_FIELD[error.field]) {
      throw new UsageError(`${FLAG_OF_FIELD[error.field]}: ${error.message.slice(error.field.length + 2)}`);
    }
    throw error;
  }
  return { config, training };
}

/** Applies loss flags to a loaded model file's config, so --init can continue with new ones. */
function withLossOverrides(file: unknown, loss: LossOverrides): unknown {
  if (Object.keys(loss).length === 0 || typeof file !== 'object' || file === null) return file;
  const record = file as Record<string, unknown>;
  const stored = typeof record.config === 'object' && record.config !== null ? record.config : {};
  return { ...record, config: { ...stored, ...loss } };
}

function checkSameAsModel(flag: string, given: unknown, actual: unknown, initPath: string): void {
  if (given !== undefined && given !== actual) {
    throw new UsageError(`${flag} ${String(given)} conflicts with the model in ${initPath}, which has ${String(actual)}; drop ${flag} or train a new model without --init`);
  }
}

function dropUndefined<T extends object>(value: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Progress on a terminal: one line rewritten in place, at most ten times a second. */
function progressPrinter(io: CliIo): { update: (p: TrainingProgress) => void; done: () => void } {
  let last = 0;
  let shown = false;
  return {
    update({ epoch, epochs, loss }) {
      const now = Date.now();
      if (now - last < 100 && epoch !== epochs) return;
      last = now;
      shown = true;
      io.stderr(`\repoch ${epoch}/${epochs}  loss ${loss.toPrecision(6)}\x1b[K`);
    },
    done() {
      if (shown) io.stderr('\n');
    },
  };
}
