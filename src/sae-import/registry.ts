/**
 * The formats importSae reads, in one table: adding one is its module (formats/<name>.ts) and one
 * line here. Detection tries them in this order and takes the first whose files are there (the
 * more specific layouts first: sparsify's cfg.json is told from SAELens' by sae.safetensors).
 */
import { TensorFileError } from '../errors.js';
import { describeFiles, type SaeFiles } from './files.js';
import type { SaeFormat } from './format.js';
import { dictionaryLearning } from './formats/dictionary-learning.js';
import { gemmaScope, gemmaScope2 } from './formats/gemma-scope.js';
import { llamaScope } from './formats/llama-scope.js';
import { openai } from './formats/openai.js';
import { saelens } from './formats/saelens.js';
import { sparsify } from './formats/sparsify.js';

export const SAE_FORMATS = {
  saelens,
  sparsify,
  'gemma-scope': gemmaScope,
  'gemma-scope-2': gemmaScope2,
  'llama-scope': llamaScope,
  'dictionary-learning': dictionaryLearning,
  openai,
} as const satisfies Record<string, SaeFormat>;

export type SaeFormatName = keyof typeof SAE_FORMATS;
export const SAE_FORMAT_NAMES = Object.keys(SAE_FORMATS) as SaeFormatName[];

export function isSaeFormatName(value: unknown): value is SaeFormatName {
  return typeof value === 'string' && Object.hasOwn(SAE_FORMATS, value);
}

/** The format of a folder, from its files; an error listing what was found when none fits. */
export function detectFormat(files: SaeFiles): SaeFormat {
  for (const format of Object.values(SAE_FORMATS) as SaeFormat[]) if (format.detect(files)) return format;
  const known = (Object.values(SAE_FORMATS) as SaeFormat[]).map((f) => `${f.name} (${f.files})`).join('; ');
  throw new TensorFileError('(format)', `is none edge-sae imports: the folder holds ${describeFiles(files)}; it reads ${known}`, '(folder)');
}
