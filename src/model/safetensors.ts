/**
 * The safetensors container, float32 tensors only: an 8-byte little-endian header length N, N
 * bytes of JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": {
 * string: string } }` padded with spaces to a multiple of 8 (as the reference writer does, so
 * the data is aligned), then the tensors' raw little-endian bytes, offsets counted from the end
 * of the header.
 *
 * Hand-written: the format is a page long, and no maintained JavaScript package reads and writes
 * it (the npm packages found are unmaintained readers, or pull in a tensor library). Decoding
 * checks what the reference reader checks (header inside the file, valid JSON, known dtype,
 * byte ranges that match the shapes and tile the data exactly, without gaps or overlaps) and
 * returns Float32Array views of the file's own bytes (no copy when aligned, no per-number objects).
 * A problem throws ModelFileError whose `field` is the header entry at fault.
 */
import { ModelFileError } from '../errors.js';
import { checkJsonDepth } from './model-file-checks.js';
import { describeValue } from '../util/describe-value.js';

export interface Float32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsFile {
  /** Tensors by name, in the order their bytes are stored. */
  tensors: Map<string, Float32Tensor>;
  metadata: Record<string, string>;
}

/** The field of the 8-byte header length, and of the header as a whole, in errors. */
export const HEADER_LENGTH_FIELD = '(header length)';
export const HEADER_FIELD = '(header)';
const METADATA_KEY = '__metadata__';
/** The reference reader refuses headers above 100 MB; so do we, before decoding them. */
const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes tensors (stored in the order given) and metadata. The header lists `__metadata__`
 * first, then the tensors, as the reference writer does.
 */
export function encodeSafetensors(tensors: ReadonlyArray<readonly [string, Float32Tensor]>, metadata: Record<string, string>): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = { [METADATA_KEY]: metadata };
  let offset = 0;
  for (const [name, { shape, data }] of tensors) {
    if (name === METADATA_KEY) throw new Error(`safetensors: "${METADATA_KEY}" cannot name a tensor`);
    if (elementCount(shape) !== data.length) throw new Error(`safetensors: ${name} has ${data.length} values for shape [${shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length * 4] };
    offset += data.length * 4;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length; // a multiple of 8, so every float32 below is aligned
  for (const [, { data }] of tensors) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else {
      const view = new DataView(out.buffer, at, data.byteLength);
      for (let k = 0; k < data.length; k++) view.setFloat32(k * 4, data[k]!, true);
    }
    at += data.byteLength;
  }
  return out;
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
}

/** Reads a safetensors file of float32 tensors; throws ModelFileError naming what is wrong. */
export function decodeSafetensors(bytes: Uint8Array, source?: string, options: DecodeOptions = {}): SafetensorsFile & { omitted: string[] } {
  const fail = (field: string, problem: string): never => {
    throw new ModelFileError(field, problem, source);
  };
  if (bytes.length < 8) fail(HEADER_LENGTH_FIELD, `the file has ${bytes.length} bytes, fewer than the 8 of the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) {
    fail(HEADER_LENGTH_FIELD, `says the header has ${declared} bytes, but only ${bytes.length - 8} follow (the file is truncated or not safetensors)`);
  }
  const headerLength = Number(declared);
  if (headerLength > MAX_HEADER_BYTES) fail(HEADER_LENGTH_FIELD, `${headerLength} bytes is above the ${MAX_HEADER_BYTES} a header may have`);
  if (headerLength < 2) fail(HEADER_LENGTH_FIELD, `${headerLength} bytes cannot hold a JSON object`);

  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
    checkJsonDepth(text, (key) => key ?? HEADER_FIELD, source);
    header = JSON.parse(text);
  } catch (error) {
    if (error instanceof ModelFileError) throw error;
    fail(HEADER_FIELD, `is not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(HEADER_FIELD, 'must be a JSON object');
  const entries = header as Record<string, unknown>;

  const metadata = readMetadata(entries[METADATA_KEY], fail);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const spans: { name: string; shape: number[]; begin: number; end: number }[] = [];
  const omitted: string[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    if (name === METADATA_KEY) continue;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(name, 'must be an object { dtype, shape, data_offsets }');
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (dtype !== 'F32') fail(`${name}.dtype`, `must be "F32" (edge-sae models are float32), got ${describeValue(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${name}.shape`, `must be an array of non-negative integers, got ${describeValue(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      fail(`${name}.data_offsets`, `must be [begin, end], two non-negative integers, got ${describeValue(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`${name}.data_offsets`, `end ${end} is before begin ${begin}`);
    if (end > dataLength && options.prefix) {
      omitted.push(name);
      continue;
    }
    if (end > dataLength) fail(`${name}.data_offsets`, `end ${end} is past the ${dataLength} bytes of data (the file is truncated?)`);
    const expected = elementCount(shape as number[]) * 4;
    if (end - begin !== expected) {
      fail(`${name}.data_offsets`, `[${begin}, ${end}] spans ${end - begin} bytes, but shape [${(shape as number[]).join(', ')}] of F32 takes ${expected}`);
    }
    spans.push({ name, shape: shape as number[], begin, end });
  }

  // The byte ranges must tile the data: sorted, each starts where the previous ended.
  spans.sort((x, y) => x.begin - y.begin || x.end - y.end);
  let expectedBegin = 0;
  for (const span of spans) {
    if (span.begin < expectedBegin) fail(`${span.name}.data_offsets`, `[${span.begin}, ${span.end}] overlaps the tensor before it, which ends at ${expectedBegin}`);
    if (span.begin > expectedBegin) fail(`${span.name}.data_offsets`, `begins at ${span.begin}, leaving bytes ${expectedBegin}–${span.begin} unused`);
    expectedBegin = span.end;
  }
  // (in a prefix, bytes after the last whole tensor are the start of one left out)
  if (omitted.length > 0 ? expectedBegin > dataLength : expectedBegin !== dataLength) {
    fail(HEADER_FIELD, `its tensors cover ${expectedBegin} bytes, but ${dataLength} bytes of data follow the header`);
  }

  const tensors = new Map<string, Float32Tensor>();
  for (const { name, shape, begin, end } of spans) {
    tensors.set(name, { shape, data: float32s(bytes, dataStart + begin, (end - begin) / 4) });
  }
  return { tensors, metadata, omitted };
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

function readMetadata(value: unknown, fail: (field: string, problem: string) => never): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(METADATA_KEY, 'must be an object of strings');
  const metadata = value as Record<string, unknown>;
  for (const [key, entry] of Object.entries(metadata)) {
    if (typeof entry !== 'string') fail(`${METADATA_KEY}.${key}`, `must be a string, got ${describeValue(entry)}`);
  }
  return metadata as Record<string, string>;
}

/** A view of the file's bytes when aligned (the reference writer aligns them), else a copy. */
function float32s(bytes: Uint8Array, at: number, count: number): Float32Array {
  const offset = bytes.byteOffset + at;
  if (LITTLE_ENDIAN && offset % 4 === 0) return new Float32Array(bytes.buffer, offset, count);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, offset, count * 4);
  for (let k = 0; k < count; k++) out[k] = view.getFloat32(k * 4, true);
  return out;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}
