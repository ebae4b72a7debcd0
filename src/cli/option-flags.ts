/**
 * The CLI flags of the model-config and training options, generated from the options table
 * (src/model/options.ts): each option's flag is the kebab-case of its key (or the table's
 * `flag`), its help is the table's description and default.
 */
import { describe, flagOf, MODEL_OPTIONS, TRAINING_OPTIONS, type OptionSpec as TableOption } from '../model/options.js';
import { ConfigError } from '../errors.js';
import { resolveModelConfig, resolveTrainingOptions, type ModelConfig, type TrainingOptions } from '../model/config.js';
import { UsageError, type ParsedOptions, type OptionSpec } from './args.js';

const placeholder = (spec: TableOption) => (spec.type === 'choice' ? spec.choices.join('|') : spec.type === 'integer' ? 'N' : spec.type === 'integers' ? 'N,N,…' : 'X');

function flagsOf(table: Record<string, TableOption>): OptionSpec[] {
  return Object.entries(table).map(([key, spec]) => ({
    name: flagOf(key, spec),
    kind: spec.type,
    value: placeholder(spec),
    ...(spec.type === 'choice' ? { choices: spec.choices } : {}),
    help: describe(spec),
  }));
}

/** `train`'s option flags, in the table's order: the model's first, then the training run's. */
export const OPTION_FLAGS: readonly OptionSpec[] = [...flagsOf(MODEL_OPTIONS), ...flagsOf(TRAINING_OPTIONS)];

/** The flag that sets a ConfigError's field ("config.hiddenSize" → "--hidden"), if any. */
export function flagOfField(field: string): string | undefined {
  const [group, key] = field.split('.');
  const table: Record<string, TableOption> | undefined = group === 'config' ? MODEL_OPTIONS : group === 'training' ? TRAINING_OPTIONS : undefined;
  const spec = key === undefined ? undefined : table?.[key];
  return spec && key ? `--${flagOf(key, spec)}` : undefined;
}

/** The options given on the command line, keyed as the table keys them (absent flags left out). */
export function readOptionFlags(options: ParsedOptions, table: Record<string, TableOption>): Record<string, string | number | number[]> {
  const values: Record<string, string | number | number[]> = {};
  for (const [key, spec] of Object.entries(table)) {
    const flag = flagOf(key, spec);
    const value = spec.type === 'choice' ? options.choice(flag) : spec.type === 'integers' ? options.integers(flag) : options.number(flag);
    if (value !== undefined) values[key] = value;
  }
  return values;
}

/** The model-config and training flags given, range-checked now so mistakes fail before any work. */
export function readTrainingFlags(options: ParsedOptions): { config: Partial<ModelConfig>; training: Partial<TrainingOptions> } {
  const config = readOptionFlags(options, MODEL_OPTIONS) as Partial<ModelConfig>;
  const training = readOptionFlags(options, TRAINING_OPTIONS) as Partial<TrainingOptions>;
  withFlagNames(() => {
    // The data's width is not known yet. Without --hidden the hidden size is 3 × that width, so a
    // stand-in as large as any k is checked here, and k against the real hidden size once the
    // data is read (the library's create, the API's submit). With --hidden, k is checked now.
    const hiddenSize = config.hiddenSize ?? Number.MAX_SAFE_INTEGER;
    resolveModelConfig(1, { ...config, hiddenSize });
    resolveTrainingOptions(training);
  });
  return { config, training };
}

/** Runs `work`, a ConfigError about an option it throws reported under the option's flag ("--k: …"). */
export function withFlagNames<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    const flag = error instanceof ConfigError ? flagOfField(error.field) : undefined;
    if (error instanceof ConfigError && flag) throw new UsageError(`${flag}: ${error.reason}`);
    throw error;
  }
}
