/**
 * edge-sae's own files in the safetensors container: float32 tensors, and the weight matrices of a
 * bf16 or int8 model (src/model/weight-dtype.ts) as BF16 / I8 tensors kept raw. The container itself
 * (header checks, every dtype) is src/formats/safetensors.ts; this module reads and writes it
 * with float32 tensors as Float32Array views of the file's own bytes (no copy when aligned, no
 * per-number objects), and reports problems as ModelFileError whose `field` is the header entry
 * at fault, as edge-sae's model files always have.
 */
import { ModelFileError, TensorFileError } from '../errors.js';
import { METADATA_KEY, readSafetensors, writeSafetensors } from '../formats/safetensors.js';
import type { Dtype, Tensor } from '../formats/tensor.js';

export interface Float32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsFile {
  /** The float32 tensors by name, in the order their bytes are stored. */
  tensors: Map<string, Float32Tensor>;
  /** The tensors of another dtype (`DecodeOptions.dtypeOf` allowed them), raw (views of the file's bytes). */
  raw: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** A tensor of another dtype than F32, given as its raw little-endian bytes (BF16, I8). */
export interface RawTensor {
  readonly dtype: Exclude<Dtype, 'F32'>;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes tensors (stored in the order given) and metadata. The header lists `__metadata__`
 * first, then the tensors, as the reference writer does.
 */
export function encodeSafetensors(tensors: ReadonlyArray<readonly [string, Float32Tensor | RawTensor]>, metadata: Record<string, string>): Uint8Array<ArrayBuffer> {
  const stored: Tensor[] = tensors.map(([name, tensor]) => {
    if ('dtype' in tensor) return { name, dtype: tensor.dtype, shape: tensor.shape, bytes: tensor.bytes };
    const { shape, data } = tensor;
    if (elementCount(shape) !== data.length) throw new Error(`safetensors: ${name} has ${data.length} values for shape [${shape.join(', ')}]`);
    return { name, dtype: 'F32', shape, bytes: float32Bytes(data) };
  });
  return writeSafetensors(stored, metadata);
}

/**
 * Whether bytes are (or were meant to be) a binary file rather than JSON text: UTF-8 JSON never
 * holds a NUL byte, and a safetensors file's 8-byte length always does (its high bytes are 0).
 */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  const end = Math.min(8, bytes.length);
  for (let k = 0; k < end; k++) if (bytes[k] === 0) return true;
  return false;
}

export interface DecodeOptions {
  /**
   * The bytes are a prefix of the file that ends where a tensor ends: tensors past its end are
   * left out (their names in `omitted`) instead of being an error. The header and the tensors
   * inside the prefix are checked as in a whole file.
   */
  prefix?: boolean;
  /**
   * The dtype a tensor must have, from its name and the file's metadata, and why (the error says
   * it); default: F32 for every tensor, "edge-sae models are float32".
   */
  dtypeOf?: (name: string, metadata: Record<string, string>) => { dtype: Dtype; why: string };
}

const FLOAT32_ONLY = () => ({ dtype: 'F32' as const, why: 'edge-sae models are float32' });

/** Reads a safetensors file of float32 tensors (and raw ones `dtypeOf` allows); throws ModelFileError naming what is wrong. */
export function decodeSafetensors(bytes: Uint8Array, source?: string, options: DecodeOptions = {}): SafetensorsFile & { omitted: string[] } {
  let contents;
  try {
    contents = readSafetensors(bytes, source, { prefix: options.prefix === true, dtypeOf: options.dtypeOf ?? FLOAT32_ONLY });
  } catch (error) {
    // The same field and words, in the model file's own error (messages say "model file field").
    if (error instanceof TensorFileError) throw new ModelFileError(error.field, error.reason, source);
    throw error;
  }
  const tensors = new Map<string, Float32Tensor>();
  const raw = new Map<string, Tensor>();
  for (const [name, tensor] of contents.tensors) {
    if (tensor.dtype === 'F32') tensors.set(name, { shape: tensor.shape, data: float32s(tensor.bytes) });
    else raw.set(name, tensor);
  }
  return { tensors, raw, metadata: contents.metadata, omitted: contents.omitted };
}

/**
 * The length of the prefix of a safetensors file that holds every tensor `keep` accepts, when
 * those come before all the others in the data; null when they do not (then only the whole file
 * holds them). The file must be one this module wrote or checked.
 */
export function prefixLength(bytes: Uint8Array, keep: (name: string) => boolean): number | null {
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets?: [number, number] }>;
  let keptEnd = 0;
  let otherBegin = Infinity;
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY || !entry.data_offsets) continue;
    const [begin, end] = entry.data_offsets;
    if (keep(name)) keptEnd = Math.max(keptEnd, end);
    else otherBegin = Math.min(otherBegin, begin);
  }
  return keptEnd <= otherBegin ? 8 + headerLength + keptEnd : null;
}

/** A view of the file's bytes when aligned (the reference writer aligns them), else a copy. */
function float32s(bytes: Uint8Array): Float32Array {
  const count = bytes.length / 4;
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let k = 0; k < count; k++) out[k] = view.getFloat32(k * 4, true);
  return out;
}

/** The values' little-endian bytes: a view on a little-endian machine, a copy elsewhere. */
function float32Bytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let k = 0; k < data.length; k++) view.setFloat32(k * 4, data[k]!, true);
  return out;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}
