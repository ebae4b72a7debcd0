/**
 * The options table: every model-config and training option, once — its type, range, default
 * and description. Everything else is derived from it: the library's resolve (checkOption, whose
 * problems become ConfigErrors naming the field), the HTTP API's zod schemas of bodies and queries
 * (src/api/option-schemas.ts), the CLI's flags and their help (src/cli/option-flags.ts), the
 * playground's form, and the options table of docs/OPTIONS.md (`npm run docs`).
 *
 * The table is plain data and its check plain code, not zod, on purpose: importing zod costs a
 * Node process ≈ 60 ms (its 40 locales load with it), more than one 784 → 196 training epoch, and
 * the CLI and the library pay it on every start; the API, which has zod anyway, derives its
 * schemas from this table in src/api/option-schemas.ts.
 *
 * Adding an option is one entry here plus its use.
 */
import { describeValue } from '../util/describe-value.js';

import { ARCHITECTURE_MODULES, ARCHITECTURES, type ArchitectureName } from '../architectures/registry.js';
import type { ChoiceOption, IntegerListOption, NumericOption, OptionSpec, Range } from '../util/option-spec.js';

export type { ChoiceOption, IntegerListOption, NumericOption, OptionSpec, Range };

/** Turns a union into the intersection of its members (the architectures' option slices into one table). */
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type ArchitectureOptions = Intersection<(typeof ARCHITECTURE_MODULES)[ArchitectureName]['options']>;

const MODULES = Object.values(ARCHITECTURE_MODULES);
/** "a, b, or c" / "a or b". */
const alternatives = (items: readonly string[]) => (items.length < 3 ? items.join(' or ') : `${items.slice(0, -1).join(', ')}, or ${items.at(-1)}`);
/** "a, b and c" / "a and b". */
const conjunction = (items: readonly string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);
const LINEAR = MODULES.filter((m) => m.linearOutput).map((m) => m.name);
const BOUNDED = MODULES.filter((m) => !m.linearOutput).map((m) => m.name);

/**
 * What defines a model (the model file's "config"): the architecture, the hidden size, each
 * architecture's slice of options (its module's, src/architectures/), the reduction and the input
 * scaling.
 */
export const MODEL_OPTIONS = {
  architecture: { type: 'choice', choices: ARCHITECTURES, default: 'sigmoid', description: `the model: ${alternatives(MODULES.map((m) => m.summary))} (docs/ARCHITECTURES.md)` },
  hiddenSize: { type: 'integer', range: { min: 1 }, default: null, description: 'hidden units h (default 3 × input columns)', flag: 'hidden' },
  ...(Object.assign({}, ...MODULES.map((m) => m.options)) as ArchitectureOptions),
  reduction: { type: 'choice', choices: ['sum', 'mean'], default: 'sum', description: `reconstruction error summed or averaged over the rows of a batch (${BOUNDED.join(', ')}; ${conjunction(LINEAR)} average)` },
  normalize: { type: 'choice', choices: ['minmax', 'standardize', 'none'], default: 'minmax', description: `minmax: scale each column to [0, 1] with the training data's min and max; standardize (${LINEAR.join(', ')}): to mean 0 and variance 1 with its mean and standard deviation; none: take the data as it is (in [0, 1] for ${conjunction(BOUNDED)}, any finite values for ${conjunction(LINEAR)})` },
} as const satisfies Record<string, OptionSpec>;

/** How one training run goes (the model file's "training"). */
export const TRAINING_OPTIONS = {
  optimizer: { type: 'choice', choices: ['adam', 'sgd'], default: 'adam', description: 'the optimizer' },
  learningRate: { type: 'number', range: { min: 0, minExclusive: true }, default: 0.001, description: 'step size, > 0' },
  beta1: { type: 'number', range: { min: 0, max: 1, maxExclusive: true }, default: 0.9, description: 'Adam\'s first-moment decay, in [0, 1)' },
  beta2: { type: 'number', range: { min: 0, max: 1, maxExclusive: true }, default: 0.999, description: 'Adam\'s second-moment decay, in [0, 1)' },
  epsilon: { type: 'number', range: { min: 0, minExclusive: true }, default: 1e-7, description: 'Adam\'s ε, > 0' },
  epochs: { type: 'integer', range: { min: 0 }, default: 1000, description: 'passes over the data' },
  batchSize: { type: 'integer', range: { min: 0 }, default: 0, description: 'rows a step; 0 = the whole data, one step an epoch' },
  seed: { type: 'integer', range: { min: 0, max: 2 ** 32 - 1 }, default: 42, description: 'fixes initialisation and batch order' },
  validationSplit: { type: 'number', range: { min: 0, max: 1, maxExclusive: true }, default: 0, description: 'hold out this fraction of the rows (seeded by the row index) and report the validation loss each epoch; in [0, 1), 0: none (docs/MODEL.md, "Validation and early stopping")' },
  patience: { type: 'integer', range: { min: 0 }, default: 0, description: 'early stopping: stop once the validation loss has not improved by minDelta for this many epochs, keeping the best epoch\'s weights; 0: off (needs validation rows: validationSplit, or a validation set: the validation of fit, --validation-data in the CLI, validationDatasetId in jobs and sweeps)' },
  minDelta: { type: 'number', range: { min: 0 }, default: 0, description: 'early stopping: the least drop of the validation loss that counts as an improvement' },
  clipNorm: { type: 'number', range: { min: 0 }, default: 0, description: 'gradient clipping: scale the gradients down to this global L2 norm when they exceed it (0: off)' },
  warmupSteps: { type: 'integer', range: { min: 0 }, default: 0, description: 'learning-rate warm-up: the first N steps of a run rise linearly to the learning rate (docs/MODEL.md, "Learning-rate schedule")' },
  decay: { type: 'choice', choices: ['constant', 'linear', 'cosine'], default: 'constant', description: 'the learning rate after the warm-up: held, or decayed linearly or along a cosine from decayStart to decayTo' },
  decayStart: { type: 'number', range: { min: 0, max: 1, maxExclusive: true }, default: 0.8, description: 'where the decay starts, as a fraction of the run\'s steps, in [0, 1)' },
  decayTo: { type: 'number', range: { min: 0, max: 1 }, default: 0.1, description: 'the last step\'s learning rate, as a fraction of the learning rate, in [0, 1]' },
  backend: { type: 'choice', choices: ['auto', 'assemblyscript', 'tfjs-wasm', 'tfjs-cpu'], default: 'auto', description: 'kernel backend ("auto": the fastest that loads)', carriesOver: false },
} as const satisfies Record<string, OptionSpec>;

export type ModelOptionName = keyof typeof MODEL_OPTIONS;
export type TrainingOptionName = keyof typeof TRAINING_OPTIONS;

/** An architecture's name (the architecture option's choices). */
export type ArchitectureOptionValue = (typeof MODEL_OPTIONS.architecture.choices)[number];

/**
 * The model options that only some architectures use, and which: every model option not named
 * here (architecture, hiddenSize, normalize) applies to all of them, and every training option
 * does. Derived from each module's `reads` (src/architectures/), so a new architecture's options
 * arrive with its registry line. The API's answers (a sigmoid model's config without topk's k) and
 * the playground's form (the options of the chosen architecture) learn it from here.
 */
export const ARCHITECTURE_OPTIONS: Readonly<Record<string, readonly ArchitectureName[]>> = (() => {
  const users: Record<string, ArchitectureName[]> = {};
  for (const name of ARCHITECTURES) for (const key of ARCHITECTURE_MODULES[name].reads) (users[key] ??= []).push(name);
  return users;
})();

/** Whether model option `key` takes part in a model of `architecture` (an unknown key: yes, it is not ours to hide). */
export function optionApplies(key: string, architecture: string): boolean {
  const only = (ARCHITECTURE_OPTIONS as Record<string, readonly string[] | undefined>)[key];
  return only === undefined || only.includes(architecture);
}

/** A model config with only the options its architecture uses (no topk k in a sigmoid model's answer). */
export function configInEffect<T extends Record<string, unknown>>(config: T): Partial<T> {
  const architecture = typeof config.architecture === 'string' ? config.architecture : MODEL_OPTIONS.architecture.default;
  return Object.fromEntries(Object.entries(config).filter(([key]) => optionApplies(key, architecture))) as Partial<T>;
}

/** The value type of an option. */
export type ValueOf<S extends OptionSpec> = S extends { readonly type: 'choice'; readonly choices: readonly (infer C)[] } ? C : S extends { readonly type: 'integers' } ? readonly number[] : number;

/**
 * The options of a model's last run that a continued run starts from: every training option
 * but those that do not carry over (the backend). Unknown keys of an old file are ignored.
 */
export function carriedOverTraining(stored: unknown): Record<string, unknown> {
  if (typeof stored !== 'object' || stored === null) return {};
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(TRAINING_OPTIONS) as [string, OptionSpec][]) {
    if ('carriesOver' in spec && spec.carriesOver === false) continue;
    if (key in stored) out[key] = (stored as Record<string, unknown>)[key];
  }
  return out;
}

/** The CLI flag of an option (without the dashes). */
export function flagOf(key: string, spec: OptionSpec): string {
  return spec.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Upper bounds a caller enforces itself (the API's limits, as 413s): not checked by the
 * resolve, only named in its messages, so a value below the range reads "must be an integer
 * from 1 to 4096" where 4096 is MAX_HIDDEN_SIZE, while a value above it is the limit's to refuse.
 */
export type OptionCaps = Partial<Record<ModelOptionName | TrainingOptionName, number>>;

/** "must …" for a number outside `range`, as the library's messages have always read. */
function rangeProblem(spec: NumericOption, value: number, cap?: number): string | null {
  const { min, max, minExclusive, maxExclusive } = spec.range;
  if (spec.type === 'integer') {
    const low = min ?? Number.MIN_SAFE_INTEGER;
    if (Number.isInteger(value) && value >= low && (max === undefined || value <= max)) return null;
    const high = max ?? cap;
    return high === undefined ? `must be an integer from ${low} up, got ${value}` : `must be an integer from ${low} to ${high}, got ${value}`;
  }
  const belowMin = min !== undefined && (minExclusive ? value <= min : value < min);
  const aboveMax = max !== undefined && (maxExclusive ? value >= max : value > max);
  if (!belowMin && !aboveMax) return null;
  if (min !== undefined && max !== undefined) {
    if (minExclusive && maxExclusive) return `must lie strictly between ${min} and ${max}, got ${value}`;
    return `must lie in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}, got ${value}`;
  }
  if (min !== undefined) return minExclusive ? `must be greater than ${min}, got ${value}` : `must be ${min} or more, got ${value}`;
  return maxExclusive ? `must be less than ${max}, got ${value}` : `must be ${max} or less, got ${value}`;
}

const show = describeValue;

/**
 * What is wrong with `value` as option `spec` ("must be greater than 0, got -1"), or null when it
 * is a valid value. `cap` is an upper bound the caller enforces itself (OptionCaps).
 */
export function checkOption(spec: OptionSpec, value: unknown, cap?: number): string | null {
  if (spec.type === 'choice') {
    return typeof value === 'string' && (spec.choices as readonly string[]).includes(value) ? null : `must be one of ${spec.choices.join(', ')}, got ${show(value)}`;
  }
  if (spec.type === 'integers') {
    if (!Array.isArray(value)) return `must be a list of whole numbers, got ${show(value)}`;
    for (const [q, item] of value.entries()) {
      const problem = typeof item === 'number' && Number.isFinite(item) ? rangeProblem({ ...spec, type: 'integer', default: null }, item) : `must be a finite number, got ${show(item)}`;
      if (problem !== null) return `[${q}] ${problem}`;
    }
    return null;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number, got ${show(value)}`;
  return rangeProblem(spec, value, cap);
}

/** The description with its default, as the CLI's help and the OpenAPI document show it. */
export function describe(spec: OptionSpec): string {
  if (spec.default === null) return spec.description;
  return `${spec.description} (default ${Array.isArray(spec.default) ? spec.default.join(',') || 'none' : spec.default})`;
}
