/**
 * A sweep's trials: a grid (each option a list of values; the trials are their product) or an
 * explicit list, over the options of the options table (src/model/options.ts), each value
 * checked there. Pure data, shared by the CLI's local sweep and anything else that expands one.
 */
import { ConfigError } from '../errors.js';
import { checkOption, flagOf, MODEL_OPTIONS, TRAINING_OPTIONS, type OptionSpec } from '../model/options.js';

/** An option a sweep may vary, by its table key ("hiddenSize"). */
export type SweepValue = number | string;
/** An option value every trial shares (a list too: matryoshka's group sizes, given once, never swept). */
export type BaseValue = SweepValue | readonly number[];
/** One trial's options: table key → value. */
export type TrialOptions = Readonly<Record<string, SweepValue>>;
export type Grid = Readonly<Record<string, readonly SweepValue[]>>;

/**
 * Options a sweep may not vary: the backend changes where a trial runs, not what it trains, and
 * the seed is varied by the trials' own list when it is wanted (a grid over seeds is allowed).
 */
// groupSizes is a list (matryoshka's group sizes): every trial's, given once (a flag, the base config), not swept
const NOT_SWEPT = new Set(['backend', 'groupSizes']);

/** The table entry of `name`, a table key ("hiddenSize") or its CLI flag ("hidden"), or null. */
export function tableOption(name: string): { key: string; group: 'config' | 'training'; spec: OptionSpec } | null {
  for (const [group, table] of [['config', MODEL_OPTIONS], ['training', TRAINING_OPTIONS]] as const) {
    for (const [key, spec] of Object.entries(table) as [string, OptionSpec][]) {
      if (key === name || flagOf(key, spec) === name) return { key, group, spec };
    }
  }
  return null;
}

/** tableOption, for the options a sweep may vary. */
export function sweepOption(name: string): { key: string; group: 'config' | 'training'; spec: OptionSpec } | null {
  const option = tableOption(name);
  return option === null || NOT_SWEPT.has(option.key) ? null : option;
}

/**
 * Parses the CLI's grid, `hiddenSize=32,64;sparsityWeight=0.1,1` (options by table key or flag
 * name, `;` between options, `,` between values), into a Grid with every value checked.
 */
export function parseGrid(text: string): Grid {
  const grid: Record<string, SweepValue[]> = {};
  const parts = text.split(';').map((part) => part.trim()).filter((part) => part !== '');
  if (parts.length === 0) throw new ConfigError('grid', 'must name at least one option, as in "hiddenSize=32,64;sparsityWeight=0.1,1"');
  for (const part of parts) {
    const equals = part.indexOf('=');
    if (equals <= 0) throw new ConfigError('grid', `expected OPTION=VALUE,VALUE… , got ${JSON.stringify(part)}`);
    const name = part.slice(0, equals).trim();
    const option = sweepOption(name);
    if (option === null) throw new ConfigError('grid', `${JSON.stringify(name)} is not an option a sweep can vary (${sweepableNames()})`);
    if (option.key in grid) throw new ConfigError('grid', `${option.key} is given twice`);
    const values = part.slice(equals + 1).split(',').map((value) => value.trim());
    grid[option.key] = values.map((raw) => parseValue(option.key, option.spec, raw));
  }
  return grid;
}

/** Checks a grid given as data (the library's and the API's form): known options, checked values. */
export function checkGrid(grid: Record<string, readonly unknown[]>): Grid {
  const checked: Record<string, SweepValue[]> = {};
  const keys = Object.keys(grid);
  if (keys.length === 0) throw new ConfigError('grid', 'must name at least one option');
  for (const name of keys) {
    const option = sweepOption(name);
    if (option === null || option.key !== name) throw new ConfigError('grid', `${JSON.stringify(name)} is not an option a sweep can vary (${sweepableNames()})`);
    const values = grid[name]!;
    if (!Array.isArray(values) || values.length === 0) throw new ConfigError(`grid.${name}`, 'must be a non-empty list of values');
    checked[name] = values.map((value) => checkValue(name, option.spec, value));
  }
  return checked;
}

/**
 * The trials of a grid: the product of its lists, the first option varying slowest, so
 * `hiddenSize=32,64;sparsityWeight=0.1,1` gives (32, 0.1), (32, 1), (64, 0.1), (64, 1).
 */
export function expandGrid(grid: Grid): TrialOptions[] {
  let trials: Record<string, SweepValue>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    trials = trials.flatMap((trial) => values.map((value) => ({ ...trial, [key]: value })));
  }
  return trials;
}

/** Checks an explicit list of trials (the library's and the API's `trials`). */
export function checkTrials(trials: readonly Record<string, unknown>[]): TrialOptions[] {
  if (trials.length === 0) throw new ConfigError('trials', 'must list at least one trial');
  return trials.map((trial, index) => {
    const checked: Record<string, SweepValue> = {};
    for (const [name, value] of Object.entries(trial)) {
      const option = sweepOption(name);
      if (option === null || option.key !== name) throw new ConfigError(`trials[${index}]`, `${JSON.stringify(name)} is not an option a sweep can vary (${sweepableNames()})`);
      checked[name] = checkValue(`trials[${index}].${name}`, option.spec, value);
    }
    return checked;
  });
}

/**
 * A trial's name, fit for a file name and stable across runs: its 1-based number and its options,
 * "03-hiddenSize=64,sparsityWeight=0.1".
 */
export function trialName(index: number, count: number, trial: TrialOptions): string {
  const number = String(index + 1).padStart(String(count).length, '0');
  const options = Object.entries(trial).map(([key, value]) => `${key}=${String(value)}`).join(',');
  return options === '' ? number : `${number}-${options}`;
}

/** Splits a trial's options into the model's config and the training run's, as the table groups them. */
export function splitTrial(trial: TrialOptions): { config: Record<string, SweepValue>; training: Record<string, SweepValue> } {
  const config: Record<string, SweepValue> = {};
  const training: Record<string, SweepValue> = {};
  for (const [key, value] of Object.entries(trial)) {
    if (key in MODEL_OPTIONS) config[key] = value;
    else training[key] = value;
  }
  return { config, training };
}

function parseValue(key: string, spec: OptionSpec, raw: string): SweepValue {
  if (raw === '') throw new ConfigError(`grid.${key}`, 'has an empty value');
  if (spec.type === 'choice') return checkValue(key, spec, raw);
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ConfigError(`grid.${key}`, `must be numbers, got ${JSON.stringify(raw)}`);
  return checkValue(key, spec, value);
}

function checkValue(field: string, spec: OptionSpec, value: unknown): SweepValue {
  const problem = checkOption(spec, value);
  if (problem !== null) throw new ConfigError(field.startsWith('trials') || field.startsWith('grid') ? field : `grid.${field}`, problem);
  return value as SweepValue;
}

function sweepableNames(): string {
  return [...Object.keys(MODEL_OPTIONS), ...Object.keys(TRAINING_OPTIONS)].filter((key) => !NOT_SWEPT.has(key)).join(', ');
}
