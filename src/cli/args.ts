/**
 * Command-line options: the option table of each command (docs/SPEC.md section 4), strict parsing with
 * node:util parseArgs, and checking that numeric flags hold numbers. Ranges are checked later by
 * the model's own config validation (src/model/config.ts), reported under the flag's name.
 */
import { parseArgs } from 'node:util';
import { InputError } from '../errors.js';

/** Bad command-line usage: unknown command or option, missing or malformed value. Exit code 2. */
export class UsageError extends InputError {
  override name = 'UsageError';
}

/** `flag` takes no value (--quiet); `size` is WIDTHxHEIGHT (--shape 28x28). */
export type OptionKind = 'path' | 'integer' | 'integers' | 'number' | 'choice' | 'flag' | 'size' | 'text';

export interface OptionSpec {
  /** The flag without its dashes, kebab-case: "batch-size". */
  readonly name: string;
  readonly kind: OptionKind;
  /** Placeholder shown in help: "FILE", "N", "X"; empty for a flag. */
  readonly value: string;
  readonly choices?: readonly string[];
  readonly required?: boolean;
  readonly help: string;
}

export interface CommandSpec {
  readonly name: 'train' | 'encode' | 'evaluate' | 'plot' | 'filters' | 'export' | 'convert' | 'sweep' | 'upload' | 'job' | 'density';
  readonly summary: string;
  readonly options: readonly OptionSpec[];
}

const INTEGER = /^[+-]?\d+$/;
const SIZE = /^\d+x\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The options as parsed and type-checked; accessors return undefined for flags not given. */
export class ParsedOptions {
  constructor(
    private readonly command: CommandSpec,
    private readonly values: Readonly<Record<string, string | undefined>>,
  ) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  string(name: string): string | undefined {
    return this.values[name];
  }

  /** The value of a flag the spec marks required (parse already checked it is there). */
  required(name: string): string {
    const value = this.values[name];
    if (value === undefined) throw new UsageError(`${this.command.name}: missing --${name}`);
    return value;
  }

  number(name: string): number | undefined {
    const value = this.values[name];
    return value === undefined ? undefined : Number(value);
  }

  /** True when a value-less flag (--quiet) was given. */
  flag(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** A list of whole numbers given as 12,12,24 (parse checked its form). */
  integers(name: string): number[] | undefined {
    const value = this.values[name];
    return value === undefined ? undefined : value.split(',').map(Number);
  }

  choice<T extends string>(name: string): T | undefined {
    return this.values[name] as T | undefined;
  }
}

/**
 * Parses the arguments after the command name. Throws UsageError for an unknown flag, a flag
 * without its value, a positional argument, a missing required flag, a number flag that is not
 * a number or a choice flag outside its choices. Returns null when --help was asked for.
 */
export function parseCommandArgs(command: CommandSpec, argv: readonly string[]): ParsedOptions | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const spec of command.options) options[spec.name] = { type: spec.kind === 'flag' ? 'boolean' : 'string' };

  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    throw new UsageError(describeParseArgsError(command.name, error));
  }
  if (parsed.values.help === true) return null;
  if (parsed.positionals.length > 0) {
    throw new UsageError(`${command.name}: unexpected argument ${JSON.stringify(parsed.positionals[0])} (options take the form --name VALUE; see edge-sae ${command.name} --help)`);
  }

  const values: Record<string, string | undefined> = {};
  for (const spec of command.options) {
    const raw = parsed.values[spec.name];
    if (raw === undefined) {
      if (spec.required) throw new UsageError(`${command.name}: missing --${spec.name} ${spec.value} (see edge-sae ${command.name} --help)`);
      continue;
    }
    values[spec.name] = checkValue(spec, String(raw));
  }
  return new ParsedOptions(command, values);
}

function checkValue(spec: OptionSpec, raw: string): string {
  const value = raw.trim();
  const flag = `--${spec.name}`;
  switch (spec.kind) {
    case 'integer':
      if (!INTEGER.test(value)) throw new UsageError(`${flag}: expected a whole number, got ${JSON.stringify(raw)}`);
      return value;
    case 'integers':
      if (!/^\d+(,\d+)*$/.test(value.replace(/\s+/g, ''))) throw new UsageError(`${flag}: expected whole numbers separated by commas, such as 12,12,24, got ${JSON.stringify(raw)}`);
      return value.replace(/\s+/g, '');
    case 'number':
      if (!DECIMAL.test(value) || !Number.isFinite(Number(value))) {
        throw new UsageError(`${flag}: expected a number, got ${JSON.stringify(raw)}`);
      }
      return value;
    case 'choice':
      if (!spec.choices?.includes(value)) {
        throw new UsageError(`${flag}: expected one of ${spec.choices?.join(', ')}, got ${JSON.stringify(raw)}`);
      }
      return value;
    case 'flag':
      return 'true';
    case 'size':
      if (!SIZE.test(value.toLowerCase()) || value.toLowerCase().split('x').some((side) => Number(side) < 1)) {
        throw new UsageError(`${flag}: expected WIDTHxHEIGHT with whole numbers ≥ 1, such as 28x28, got ${JSON.stringify(raw)}`);
      }
      return value.toLowerCase();
    case 'text':
      return raw;
    case 'path':
      if (raw === '') throw new UsageError(`${flag}: expected a file path, got an empty string`);
      return raw;
  }
}

/** Rewrites parseArgs' errors (which suggest "--" separators) into short, flag-naming messages. */
function describeParseArgsError(command: string, error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${command}: unknown option ${option ?? message} (see edge-sae ${command} --help)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(message)) return `${command}: ${option ?? 'an option'} does not take a value`;
      return /ambiguous/.test(message)
        ? `${command}: ${option ?? 'an option'} needs a value (write ${option ?? '--name'}=VALUE for a value starting with "-")`
        : `${command}: ${option ?? 'an option'} needs a value`;
    default:
      return `${command}: ${message}`;
  }
}
