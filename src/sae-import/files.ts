/**
 * The files of an SAE to import, as a map of names (relative to its folder, "/"-separated) to
 * bytes, so the same code runs in Node (a folder read into the map), in the Worker (a zip's
 * members) and in the browser. The helpers name the file in every error (TensorFileError:
 * `FILE: FIELD: problem`), so a bad cfg.json says `cfg.json: d_sae: …`.
 */
import { TensorFileError } from '../errors.js';
import { readTensorFile, type TensorFile } from '../formats/tensor-file.js';
import type { Tensor } from '../formats/tensor.js';
import { findDeepNesting, MAX_JSON_DEPTH } from '../util/json-depth.js';
import { describeValue } from '../util/describe-value.js';

export type SaeFiles = ReadonlyMap<string, Uint8Array>;

/** A file map from a plain object or a map; names normalised to "/" without a leading "./". */
export function saeFiles(files: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>): SaeFiles {
  const entries = files instanceof Map ? [...files] : Object.entries(files);
  return new Map(entries.map(([name, bytes]) => [name.replace(/\\/g, '/').replace(/^(\.\/)+/, ''), bytes]));
}

/** The file whose name is `name` or ends with "/name" (one folder level is allowed: a zip of the folder). */
export function findFile(files: SaeFiles, name: string): string | null {
  if (files.has(name)) return name;
  const nested = [...files.keys()].filter((key) => key.endsWith(`/${name}`) && key.split('/').length === name.split('/').length + 1);
  return nested.length === 1 ? nested[0]! : null;
}

export function hasFile(files: SaeFiles, name: string): boolean {
  return findFile(files, name) !== null;
}

/** The file `name`, or an error saying what the folder holds. */
export function requireFile(files: SaeFiles, name: string, why: string): { name: string; bytes: Uint8Array } {
  const found = findFile(files, name);
  if (found === null) throw new TensorFileError('(file)', `is missing: ${why} (the folder holds ${describeFiles(files)})`, name);
  return { name: found, bytes: files.get(found)! };
}

export function describeFiles(files: SaeFiles): string {
  const names = [...files.keys()].sort();
  if (names.length === 0) return 'no files';
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown} and ${names.length - 12} more` : shown;
}

/** A JSON object file (cfg.json, config.json, hyperparams.json), checked for depth before parsing. */
export function readJsonObject(files: SaeFiles, name: string, why: string): { name: string; json: Record<string, unknown> } {
  const file = requireFile(files, name, why);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(file.bytes);
  } catch {
    throw new TensorFileError('(text)', 'is not UTF-8 text', file.name);
  }
  const deep = findDeepNesting(text, MAX_JSON_DEPTH);
  if (deep !== null) throw new TensorFileError(deep.key ?? '(json)', `nests more than ${MAX_JSON_DEPTH} levels deep`, file.name);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TensorFileError('(json)', `is not JSON (${error instanceof Error ? error.message : String(error)})`, file.name);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new TensorFileError('(json)', 'must be a JSON object', file.name);
  return { name: file.name, json: json as Record<string, unknown> };
}

/**
 * The files' bytes the importer may write into (importSaeState's `filesOwned`: bytes it read
 * itself, which nobody else holds), so a float32 tensor's values are used where they lie, not
 * copied (a large SAE's weights held once, not twice).
 */
const OWNED_BYTES = new WeakSet<Uint8Array>();
const OWNED_TENSORS = new WeakSet<Tensor>();

export function markOwned(files: Iterable<Uint8Array>): void {
  for (const bytes of files) OWNED_BYTES.add(bytes);
}

/** Whether a tensor's bytes lie in a file the importer owns (floatValues may then keep a view of them). */
export function isOwnedTensor(tensor: Tensor): boolean {
  return OWNED_TENSORS.has(tensor);
}

/** A tensor file of the folder, any format src/formats/ reads (told apart by content). */
export function readTensors(files: SaeFiles, name: string, why: string): TensorFile & { name: string } {
  const file = requireFile(files, name, why);
  const read = readTensorFile(file.bytes, file.name);
  if (OWNED_BYTES.has(file.bytes)) for (const tensor of read.tensors.values()) OWNED_TENSORS.add(tensor);
  return { ...read, name: file.name };
}

/** Reads fields of a JSON config, each error naming the file and the field. */
export class ConfigReader {
  constructor(
    readonly file: string,
    readonly json: Record<string, unknown>,
  ) {}

  fail(field: string, problem: string): never {
    throw new TensorFileError(field, problem, this.file);
  }

  has(field: string): boolean {
    return this.json[field] !== undefined && this.json[field] !== null;
  }

  /** A nested object's reader (its fields named "parent.child"). */
  object(field: string): ConfigReader | null {
    const value = this.json[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(field, `must be an object, got ${describeValue(value)}`);
    const inner = new ConfigReader(this.file, value as Record<string, unknown>);
    const outer = this;
    // errors of the inner reader name the outer field
    inner.fail = (name: string, problem: string): never => outer.fail(`${field}.${name}`, problem);
    return inner;
  }

  integer(field: string, min = 1): number {
    const value = this.json[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) this.fail(field, `must be a whole number of at least ${min}, got ${describeValue(value)}`);
    return value;
  }

  optionalInteger(field: string, min = 0): number | undefined {
    return this.has(field) ? this.integer(field, min) : undefined;
  }

  number(field: string): number {
    const value = this.json[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, `must be a finite number, got ${describeValue(value)}`);
    return value;
  }

  string(field: string): string {
    const value = this.json[field];
    if (typeof value !== 'string') this.fail(field, `must be a string, got ${describeValue(value)}`);
    return value;
  }

  optionalString(field: string): string | undefined {
    const value = this.json[field];
    return typeof value === 'string' ? value.slice(0, 512) : undefined;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.json[field];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') this.fail(field, `must be true or false, got ${describeValue(value)}`);
    return value;
  }

  /** One of `choices` (absent: `fallback`). */
  choice<T extends string>(field: string, choices: readonly T[], fallback: T): T {
    const value = this.json[field];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      this.fail(field, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${describeValue(value)}`);
    }
    return value as T;
  }
}

/** A tensor of a tensor file by name, or an error naming the file and listing its tensors. */
export function tensorOf(file: TensorFile & { name: string }, ...names: string[]): Tensor {
  for (const name of names) {
    const found = file.tensors.get(name);
    if (found) return found;
  }
  throw new TensorFileError(names[0]!, `is missing (the file holds ${[...file.tensors.keys()].join(', ') || 'no tensors'})`, file.name);
}

export function optionalTensor(file: TensorFile, ...names: string[]): Tensor | null {
  for (const name of names) {
    const found = file.tensors.get(name);
    if (found) return found;
  }
  return null;
}
