/**
 * importSae's core, for every runtime: files (a map of names to bytes) in, a checked model state
 * out. Nothing from the files is run (the pickle reader only rebuilds tensors), and every problem
 * is a TensorFileError naming the file and the field.
 */
import { ConfigError, TensorFileError } from '../errors.js';
import type { ModelState } from '../model/model-file.js';
import { saeFiles, type SaeFiles } from './files.js';
import type { SaeFormat } from './format.js';
import { detectFormat, isSaeFormatName, SAE_FORMAT_NAMES, SAE_FORMATS } from './registry.js';
import { toModelState } from './sae.js';

export interface ImportOptions {
  /** The format; found from the files when not given. */
  format?: string;
}

/** The model state of the SAE in `files`. */
export function importSaeState(files: SaeFiles | Record<string, Uint8Array>, options: ImportOptions = {}): { state: ModelState; format: string } {
  const map = files instanceof Map ? saeFiles(files) : saeFiles(files as Record<string, Uint8Array>);
  let format: SaeFormat;
  if (options.format !== undefined) {
    if (!isSaeFormatName(options.format)) throw new ConfigError('format', `must be one of ${SAE_FORMAT_NAMES.join(', ')}, got ${JSON.stringify(options.format)}`);
    format = SAE_FORMATS[options.format];
  } else {
    format = detectFormat(map);
  }
  const sae = format.read(map);
  try {
    return { state: toModelState(sae), format: format.name };
  } catch (error) {
    // a config edge-sae refuses (k above h) after the format's own checks: named as the model's field
    if (error instanceof ConfigError) throw new TensorFileError(error.field, error.reason, format.name);
    throw error;
  }
}
