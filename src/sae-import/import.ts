/**
 * importSae's core, for every runtime: files (a map of names to bytes) in, a checked model state
 * out. Nothing from the files is run (the pickle reader only rebuilds tensors), and every problem
 * is a TensorFileError naming the file and the field.
 */
import { ConfigError, TensorFileError } from '../errors.js';
import type { ModelState } from '../model/model-file.js';
import { checkInflatedSize, filesFromArchive, isFolderArchive } from './archive.js';
import { markOwned, saeFiles, type SaeFiles } from './files.js';
import { tensorFileFormat } from '../formats/tensor-file.js';
import { isZip } from '../formats/zip.js';
import type { SaeFormat } from './format.js';
import { detectFormat, isSaeFormatName, SAE_FORMAT_NAMES, SAE_FORMATS } from './registry.js';
import { toModelState } from './sae.js';
import { convertWeightDtype } from '../model/convert-dtype.js';
import { WEIGHT_DTYPES, type WeightDtype } from '../model/weight-dtype.js';

export interface ImportOptions {
  /** The format; found from the files when not given. */
  format?: string;
  /**
   * The weight matrices' dtype in the model (src/model/convert-dtype.ts): f32 (the default), bf16
   * (exact for a bf16 source: its values widened to f32 and narrowed back), int8 (one scale per unit).
   */
  dtype?: string;
  /**
   * The files' bytes are the importer's to write into (read by it, held by no one else: a folder
   * read from disk, a zip just inflated): float32 weights are then folded where they lie instead
   * of copied, so a large SAE's weights are in memory once. Off by default (a caller's map is left
   * as it was).
   */
  filesOwned?: boolean;
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
  if (options.dtype !== undefined && !(WEIGHT_DTYPES as readonly string[]).includes(options.dtype)) {
    throw new ConfigError('dtype', `must be one of ${WEIGHT_DTYPES.join(', ')}, got ${JSON.stringify(options.dtype)}`);
  }
  if (options.filesOwned === true) markOwned(map.values());
  const sae = format.read(map);
  try {
    const state = toModelState(sae);
    return { state: options.dtype === undefined ? state : narrowed(state, options.dtype as WeightDtype), format: format.name };
  } catch (error) {
    // a config edge-sae refuses (k above h) after the format's own checks: named as the model's field
    if (error instanceof ConfigError) throw new TensorFileError(error.field, error.reason, format.name);
    throw error;
  }
}

/** The state with its weights in `dtype`; a weight bf16 cannot hold (above its range) refused as the dtype's fault. */
function narrowed(state: ModelState, dtype: WeightDtype): ModelState {
  try {
    return convertWeightDtype(state, dtype);
  } catch (error) {
    if (error instanceof RangeError) throw new ConfigError('dtype', `cannot be ${dtype}: ${error.message}`);
    throw error;
  }
}

/** What importSae takes besides a path: a map of file names to bytes, or the bytes of a zip of the folder or of one .pt / .npz file. */
export type SaeSource = Uint8Array | ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>;

/** The files of a source that is not a path (every runtime). */
export function filesOfSource(source: SaeSource, name = 'upload'): SaeFiles {
  if (!(source instanceof Uint8Array)) return source instanceof Map ? saeFiles(source) : saeFiles(source as Record<string, Uint8Array>);
  if (isFolderArchive(source)) return filesFromArchive(source, name);
  const format = tensorFileFormat(source);
  if ((format === 'torch' || format === 'npz') && isZip(source)) checkInflatedSize(source, name);
  // one file alone: an OpenAI checkpoint or a Gemma Scope params.npz, named as their folders name them
  if (format === 'torch') return new Map([[name.endsWith('.pt') ? name : 'sae.pt', source]]);
  if (format === 'npz') return new Map([['params.npz', source]]);
  throw new TensorFileError('(format)', 'is neither a zip of an SAE folder nor a .pt or .npz file (a safetensors file needs its config beside it: send the folder as a zip)', name);
}
