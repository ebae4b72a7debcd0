/**
 * Model and training options as the model takes them: their types, their defaults (the
 * TensorFlow tutorial's, docs/SPEC.md section 2) and the resolve that fills and checks them. The facts
 * themselves (ranges, defaults, descriptions) are in the options table, ./options.ts.
 */
import { architectureModule, trainingRefusal } from '../architectures/registry.js';
import type { ArchitectureName, BackendChoice, LossConfig, OptimizerConfig, Reduction } from '../backends/types.js';
import { ConfigError } from '../errors.js';
import { checkOption, MODEL_OPTIONS, TRAINING_OPTIONS, type OptionCaps, type OptionSpec, type ValueOf } from './options.js';
import { withoutUndefined } from '../util/defined.js';
import { describeValue } from '../util/describe-value.js';
import type { LearningRateSchedule } from './schedule.js';

export type NormalizationKind = (typeof MODEL_OPTIONS.normalize.choices)[number];
export type OptimizerName = (typeof TRAINING_OPTIONS.optimizer.choices)[number];
// The backends' own names for two of the choices must be the table's (a compile-time check).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _reductionsAgree: Same<Reduction, (typeof MODEL_OPTIONS.reduction.choices)[number]> = true;
const _architecturesAgree: Same<ArchitectureName, (typeof MODEL_OPTIONS.architecture.choices)[number]> = true;
const _backendsAgree: Same<BackendChoice, (typeof TRAINING_OPTIONS.backend.choices)[number]> = true;

/**
 * What defines a model (saved as the model file's "config"): one field per row of MODEL_OPTIONS
 * (hiddenSize defaults to 3·n; normalize is the input scaling fitted on the first training data).
 */
export type ModelConfig = ValuesOf<typeof MODEL_OPTIONS>;
// The model's config is what the backends' loss takes (a compile-time check).
const _modelConfigIsALossConfig: ModelConfig extends LossConfig ? true : false = true;

/** How one training run goes (saved as the model file's "training"): one field per row of TRAINING_OPTIONS. */
export type TrainingOptions = ValuesOf<typeof TRAINING_OPTIONS>;

/** The value of every option of a table, by key. */
type ValuesOf<T extends Record<string, OptionSpec>> = { -readonly [K in keyof T]: ValueOf<T[K]> } extends infer V ? { readonly [K in keyof V]: V[K] } : never;

/** The defaults of a table's options (an option whose default is computed, like hiddenSize, is left out). */
function defaultsOf<T extends Record<string, OptionSpec>>(table: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(table).filter(([, spec]) => spec.default !== null).map(([key, spec]) => [key, spec.default]));
}

export const DEFAULT_MODEL_CONFIG = defaultsOf(MODEL_OPTIONS) as Omit<ModelConfig, 'hiddenSize'>;

/** Hidden size used when none is given: 3·n, as in the tutorial. */
export function defaultHiddenSize(inputSize: number): number {
  return 3 * inputSize;
}

export const DEFAULT_TRAINING_OPTIONS = defaultsOf(TRAINING_OPTIONS) as TrainingOptions;

/**
 * Checks `values` against the table's schemas, field by field; the first bad field throws a
 * ConfigError naming it (`prefix.key`).
 */
function check(prefix: string, table: Record<string, OptionSpec>, values: Record<string, unknown>, caps: OptionCaps): void {
  for (const [key, spec] of Object.entries(table)) {
    const problem = checkOption(spec, values[key], caps[key as keyof OptionCaps]);
    if (problem !== null) throw new ConfigError(`${prefix}.${key}`, problem);
  }
}

/**
 * Fills defaults into a partial model config and checks every field; throws ConfigError. `caps`
 * are upper bounds a caller adds (the API's MAX_HIDDEN_SIZE), so the message says the real range.
 */
export function resolveModelConfig(inputSize: number, partial: Partial<ModelConfig> = {}, caps: OptionCaps = {}): ModelConfig {
  if (!Number.isInteger(inputSize) || inputSize < 1) {
    throw new ConfigError('inputSize', Number.isFinite(inputSize) ? `must be an integer from 1 up, got ${inputSize}` : `must be a finite number, got ${describeValue(inputSize)}`);
  }
  const config: ModelConfig = {
    ...DEFAULT_MODEL_CONFIG,
    hiddenSize: defaultHiddenSize(inputSize),
    ...withoutUndefined(pick(partial, Object.keys(MODEL_OPTIONS))),
  } as ModelConfig;
  check('config', MODEL_OPTIONS, config as unknown as Record<string, unknown>, caps);
  // what the architecture's module asks of the rest of the config (sigmoid: no standardize; TopK: k ≤ h)
  const problem = architectureModule(config.architecture).checkConfig(config);
  if (problem !== null) throw new ConfigError(problem.field, problem.message);
  return config;
}

/**
 * Throws ConfigError (config.architecture) for a config whose architecture does not train (gated:
 * inference only): every way to train a model (the library, the CLI, the API, jobs, sweeps) calls it.
 */
export function checkTrainable(config: Pick<ModelConfig, 'architecture'>): void {
  const refusal = trainingRefusal(config.architecture);
  if (refusal !== null) throw new ConfigError('config.architecture', refusal);
}

/**
 * Fills defaults into partial training options and checks every field; throws ConfigError. Keys
 * that are no training option are dropped (as resolveModelConfig drops them), so they never reach
 * a model file, whose reader refuses them.
 */
export function resolveTrainingOptions(partial: Partial<TrainingOptions> = {}, caps: OptionCaps = {}): TrainingOptions {
  const options: TrainingOptions = { ...DEFAULT_TRAINING_OPTIONS, ...withoutUndefined(pick(partial, Object.keys(TRAINING_OPTIONS))) };
  check('training', TRAINING_OPTIONS, options as unknown as Record<string, unknown>, caps);
  return options;
}

/** The learning-rate schedule of the training options (schedule.ts). */
export function scheduleOf(options: TrainingOptions): LearningRateSchedule {
  return { warmupSteps: options.warmupSteps, decay: options.decay, decayStart: options.decayStart, decayTo: options.decayTo };
}

/** The loss a model of `config` trains with, as the backends take it: the fields its architecture's module names. */
export function lossConfigOf(config: ModelConfig): LossConfig {
  return architectureModule(config.architecture).lossFields(config) as LossConfig;
}

/** The optimizer part of the training options, as the kernels take it. */
export function optimizerConfig(options: TrainingOptions): OptimizerConfig {
  const clip = options.clipNorm > 0 ? { clipNorm: options.clipNorm } : {};
  return options.optimizer === 'adam'
    ? {
        kind: 'adam',
        learningRate: options.learningRate,
        beta1: options.beta1,
        beta2: options.beta2,
        epsilon: options.epsilon,
        ...clip,
      }
    : { kind: 'sgd', learningRate: options.learningRate, ...clip };
}

function pick<T extends object>(value: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => keys.includes(key))) as Partial<T>;
}
