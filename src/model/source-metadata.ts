/**
 * Where an imported model came from (issue 26): the library that wrote it and what it was trained
 * on, as the source's own config says. Kept in the model file (its `source` field) and shown by the
 * API's model view and listing; informational, nothing computes with it.
 */
import { describeValue } from '../util/describe-value.js';

/** What the model-file readers lend (model-file.ts's FieldReader; structural, so neither imports the other). */
interface Reader {
  fail(field: string, problem: string): never;
  object(value: unknown, field: string): Record<string, unknown>;
  integer(value: unknown, field: string, min: number): number;
}

export interface SourceMetadata {
  /** The format read (saelens, sparsify, gemma-scope, …). */
  readonly format: string;
  /** The library that wrote it ("sae_lens", "sparsify", …). */
  readonly library: string;
  readonly libraryVersion?: string;
  /** The source's architecture name, as it spells it ("standard", "AutoEncoderTopK", …). */
  readonly architecture?: string;
  readonly modelName?: string;
  readonly hookName?: string;
  readonly contextSize?: number;
  readonly neuronpediaId?: string;
  /** The dtype its weights were stored in (F32, BF16, …); edge-sae holds them as float32. */
  readonly dtype?: string;
}

const STRING_FIELDS = ['format', 'library', 'libraryVersion', 'architecture', 'modelName', 'hookName', 'neuronpediaId', 'dtype'] as const;
const FIELDS: readonly string[] = [...STRING_FIELDS, 'contextSize'];
const MAX_TEXT = 512;

/** Checks a file's `source` field: an object of the fields above, strings of at most 512 characters. */
export function readSourceMetadata(read: Reader, value: unknown, field = 'source'): SourceMetadata | null {
  if (value === undefined || value === null) return null;
  const object = read.object(value, field);
  const out: Record<string, string | number> = {};
  for (const [key, entry] of Object.entries(object)) {
    if (!FIELDS.includes(key)) read.fail(`${field}.${key}`, `is not a field of source (known: ${FIELDS.join(', ')})`);
    if (entry === undefined || entry === null) continue;
    if (key === 'contextSize') {
      out[key] = read.integer(entry, `${field}.${key}`, 0);
    } else if (typeof entry !== 'string' || entry.length > MAX_TEXT) {
      read.fail(`${field}.${key}`, `must be a string of at most ${MAX_TEXT} characters, got ${describeValue(entry)}`);
    } else {
      out[key] = entry;
    }
  }
  if (typeof out.format !== 'string') read.fail(`${field}.format`, 'must be a string (the format the model was imported from)');
  if (typeof out.library !== 'string') read.fail(`${field}.library`, 'must be a string (the library that wrote the model)');
  return out as unknown as SourceMetadata;
}
