/**
 * Model and training options, their defaults (the TensorFlow tutorial's, docs/SPEC.md section 2), and
 * their validation. The one place these facts live: the CLI, the HTTP schemas and the model all
 * read them from here.
 */
import type { BackendChoice, LossConfig, OptimizerConfig, Reduction } from '../backends/types.js';
import { ConfigError } from '../errors.js';

export type NormalizationKind = 'minmax' | 'none';
export type OptimizerName = 'adam' | 'sgd';

/** What defines a model (saved as the model file's "config"). */
export interface ModelConfig extends LossConfig {
  /** Hidden units h; default 3·n. */
  readonly hiddenSize: number;
  /** Input scaling fitted on the first training data. */
  readonly normalize: NormalizationKind;
}

/** How one training run goes (saved as the model file's "training"). */
export interface TrainingOptions {
  readonly optimizer: OptimizerName;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly epochs: number;
  /** Rows a step; 0 = the whole data in one step (full batch). */
  readonly batchSize: number;
  /** Fixes initialisation and mini-batch order. */
  readonly seed: number;
  readonly backend: BackendChoice;
}

export const DEFAULT_MODEL_CONFIG = {
  sparsityTarget: 0.1,
  sparsityWeight: 0.1,
  weightDecay: 0.1,
  reduction: 'sum' as Reduction,
  normalize: 'minmax' as NormalizationKind,
} as const;

/** Hidden size used when none is given: 3·n, as in the tutorial. */
export function defaultHiddenSize(inputSize: number): number {
  return 3 * inputSize;
}

export const DEFAULT_TRAINING_OPTIONS: TrainingOptions = {
  optimizer: 'adam',
  learningRate: 0.001,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  epochs: 1000,
  batchSize: 0,
  seed: 42,
  backend: 'auto',
};

/** Fills defaults into a partial model config and checks every field; throws ConfigError. */
export function resolveModelConfig(inputSize: number, partial: Partial<ModelConfig> = {}): ModelConfig {
  checkInteger('inputSize', inputSize, 1);
  const config: ModelConfig = {
    hiddenSize: partial.hiddenSize ?? defaultHiddenSize(inputSize),
    sparsityTarget: partial.sparsityTarget ?? DEFAULT_MODEL_CONFIG.sparsityTarget,
    sparsityWeight: partial.sparsityWeight ?? DEFAULT_MODEL_CONFIG.sparsityWeight,
    weightDecay: partial.weightDecay ?? DEFAULT_MODEL_CONFIG.weightDecay,
    reduction: partial.reduction ?? DEFAULT_MODEL_CONFIG.reduction,
    normalize: partial.normalize ?? DEFAULT_MODEL_CONFIG.normalize,
  };
  checkInteger('config.hiddenSize', config.hiddenSize, 1);
  checkOpenUnit('config.sparsityTarget', config.sparsityTarget);
  checkNonNegative('config.sparsityWeight', config.sparsityWeight);
  checkNonNegative('config.weightDecay', config.weightDecay);
  checkOneOf('config.reduction', config.reduction, ['sum', 'mean']);
  checkOneOf('config.normalize', config.normalize, ['minmax', 'none']);
  return config;
}

/** Fills defaults into partial training options and checks every field; throws ConfigError. */
export function resolveTrainingOptions(partial: Partial<TrainingOptions> = {}): TrainingOptions {
  const options: TrainingOptions = { ...DEFAULT_TRAINING_OPTIONS, ...stripUndefined(partial) };
  checkOneOf('training.optimizer', options.optimizer, ['adam', 'sgd']);
  checkPositive('training.learningRate', options.learningRate);
  checkHalfOpenUnit('training.beta1', options.beta1);
  checkHalfOpenUnit('training.beta2', options.beta2);
  checkPositive('training.epsilon', options.epsilon);
  checkInteger('training.epochs', options.epochs, 0);
  checkInteger('training.batchSize', options.batchSize, 0);
  checkInteger('training.seed', options.seed, 0, 2 ** 32 - 1);
  checkOneOf('training.backend', options.backend, ['auto', 'assemblyscript', 'tfjs-wasm', 'tfjs-cpu']);
  return options;
}

/** The optimizer part of the training options, as the kernels take it. */
export function optimizerConfig(options: TrainingOptions): OptimizerConfig {
  return options.optimizer === 'adam'
    ? {
        kind: 'adam',
        learningRate: options.learningRate,
        beta1: options.beta1,
        beta2: options.beta2,
        epsilon: options.epsilon,
      }
    : { kind: 'sgd', learningRate: options.learningRate };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkFinite(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(field, `must be a finite number, got ${JSON.stringify(value)}`);
  }
}

function checkInteger(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  checkFinite(field, value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function checkPositive(field: string, value: unknown): void {
  checkFinite(field, value);
  if (value <= 0) throw new ConfigError(field, `must be greater than 0, got ${value}`);
}

function checkNonNegative(field: string, value: unknown): void {
  checkFinite(field, value);
  if (value < 0) throw new ConfigError(field, `must be 0 or more, got ${value}`);
}

function checkOpenUnit(field: string, value: unknown): void {
  checkFinite(field, value);
  if (value <= 0 || value >= 1) throw new ConfigError(field, `must lie strictly between 0 and 1, got ${value}`);
}

function checkHalfOpenUnit(field: string, value: unknown): void {
  checkFinite(field, value);
  if (value < 0 || value >= 1) throw new ConfigError(field, `must lie in [0, 1), got ${value}`);
}

function checkOneOf(field: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new ConfigError(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
}
