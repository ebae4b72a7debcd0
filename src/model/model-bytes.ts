/**
 * Reading a model file of either form from its bytes, told apart by content (never by name):
 * a binary (safetensors) file begins with an 8-byte length whose high bytes are 0, and UTF-8
 * JSON text holds no NUL byte.
 */
import { parseJsonText } from '../data/json.js';
import { readBinaryModelFile, type BinaryReadOptions } from './model-file-binary.js';
import { checkJsonDepth } from './model-file-checks.js';
import { readModelFile, type ModelState } from './model-file.js';
import { looksLikeSafetensors } from './safetensors.js';

export type ModelFileForm = 'json' | 'safetensors';

/** Which form the bytes are in. */
export function modelFileForm(bytes: Uint8Array): ModelFileForm {
  return looksLikeSafetensors(bytes) ? 'safetensors' : 'json';
}

/**
 * Reads and checks a model file of either form. Throws ModelFileError naming the field (or, for
 * text that is not JSON, DataError naming the line and column). `withoutOptimizer` applies to the
 * binary form only (a JSON file is always whole).
 */
export function readModelBytes(bytes: Uint8Array, source?: string, options: BinaryReadOptions = {}): ModelState {
  if (modelFileForm(bytes) === 'safetensors') return readBinaryModelFile(bytes, source, options);
  const text = new TextDecoder().decode(bytes);
  checkJsonDepth(text, (key) => key ?? '(root)', source);
  return readModelFile(parseJsonText(text, source ?? 'model file'), source);
}

/** The form a model is written in: binary when the path ends in `.safetensors`, else JSON. */
export function modelBytesFor(file: string, model: { toFile(): unknown; toBinaryFile(): Uint8Array }): string | Uint8Array {
  return file.toLowerCase().endsWith('.safetensors') ? model.toBinaryFile() : `${JSON.stringify(model.toFile())}\n`;
}
