/**
 * The safetensors container with every whole-byte dtype (https://github.com/huggingface/safetensors,
 * "Format"): an 8-byte little-endian header length N, N bytes of UTF-8 JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }`
 * (padded with spaces, so the data is aligned), then the tensors' raw little-endian bytes,
 * offsets counted from the end of the header.
 *
 * Hand-written: the format is a page long, and no maintained JavaScript package reads and writes
 * it (the npm packages found are unmaintained readers, or pull in a tensor library).
 *
 * The header is checked whole before a byte of data is touched, as the reference reader does and
 * more: valid JSON inside the file, a known dtype, whole-number shapes whose product is computed
 * exactly (a product that wraps around in 64 bits is caught), byte ranges inside the file whose
 * length is the shape × the dtype's size, tiling the data with neither gap nor overlap. Each
 * problem throws TensorFileError naming the file and the header entry. src/model/safetensors.ts
 * (edge-sae's own float32 files) reads through this module.
 */
import { findDeepNesting, MAX_JSON_DEPTH } from '../util/json-depth.js';
import { TensorFileError } from '../errors.js';
import { describeValue } from '../util/describe-value.js';
import { byteLength, describeTensor, DTYPE_BYTES, isDtype, isShape, type Dtype, type Tensor } from './tensor.js';

/** The field of the 8-byte header length, and of the header as a whole, in errors. */
export const HEADER_LENGTH_FIELD = '(header length)';
export const HEADER_FIELD = '(header)';
export const METADATA_KEY = '__metadata__';
/** The reference reader refuses headers above 100 MB; so does this one, before decoding them. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsContents {
  /** Tensors by name, in the order their bytes are stored; their bytes are views of the file's. */
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
  /** With `prefix`: the tensors whose bytes lie past the end of the prefix. */
  omitted: string[];
}

export interface ReadSafetensorsOptions {
  /**
   * The bytes are a prefix of the file that ends where a tensor ends: tensors past its end are
   * left out (their names in `omitted`) instead of being an error. The header and the tensors
   * inside the prefix are checked as in a whole file.
   */
  prefix?: boolean;
  /** When given, a tensor of another dtype is refused (at its `.dtype`), saying `why`. */
  onlyDtype?: { dtype: Dtype; why: string };
  /** As onlyDtype, tensor by tensor: the dtype `name` must have in a file of this metadata (edge-sae's bf16 / int8 model files). */
  dtypeOf?: (name: string, metadata: Record<string, string>) => { dtype: Dtype; why: string };
}

/** Reads a safetensors file; throws TensorFileError naming the file (`source`) and the entry at fault. */
export function readSafetensors(bytes: Uint8Array, source?: string, options: ReadSafetensorsOptions = {}): SafetensorsContents {
  const fail: (field: string, problem: string) => never = (field, problem) => {
    throw new TensorFileError(field, problem, source);
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
    // Refused before parsing: a header nested thousands of levels deep overflows the stack of
    // whatever walks it after JSON.parse (util/json-depth.ts); a header needs 3 levels.
    const deep = findDeepNesting(text, MAX_JSON_DEPTH);
    if (deep !== null) {
      fail(deep.key ?? HEADER_FIELD, `nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (at character ${deep.offset}); no header entry does, so the header is refused before it is parsed`);
    }
    header = JSON.parse(text);
  } catch (error) {
    if (error instanceof TensorFileError) throw error;
    fail(HEADER_FIELD, `is not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(HEADER_FIELD, 'must be a JSON object');
  const entries = header as Record<string, unknown>;

  const metadata = readMetadata(entries[METADATA_KEY], fail);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const spans: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  const omitted: string[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    if (name === METADATA_KEY) continue;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(name, 'must be an object { dtype, shape, data_offsets }');
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (!isDtype(dtype)) fail(`${name}.dtype`, `${describeValue(dtype)} is not a safetensors dtype this reader knows (${Object.keys(DTYPE_BYTES).join(', ')})`);
    const expected = options.dtypeOf?.(name, metadata) ?? options.onlyDtype;
    if (expected && dtype !== expected.dtype) {
      fail(`${name}.dtype`, `must be "${expected.dtype}" (${expected.why}), got ${describeValue(dtype)}`);
    }
    if (!isShape(shape)) fail(`${name}.shape`, `must be an array of whole numbers from 0 to 2^53 − 1, got ${describeValue(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isShape(offsets)) {
      fail(`${name}.data_offsets`, `must be [begin, end], two non-negative integers, got ${describeValue(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`${name}.data_offsets`, `end ${end} is before begin ${begin}`);
    // Sized exactly against the file (a prefix: against 2^53): a product that overflows 64 bits
    // cannot pass as small.
    const size = byteLength(dtype, shape, options.prefix ? Number.MAX_SAFE_INTEGER : bytes.length);
    if (size === null) {
      fail(`${name}.shape`, `${describeTensor({ dtype, shape })} takes more bytes than ${options.prefix ? 'a file can' : `the whole file (${bytes.length} bytes)`} hold`);
    }
    if (end - begin !== size) {
      fail(`${name}.data_offsets`, `[${begin}, ${end}] spans ${end - begin} bytes, but shape ${describeTensor({ dtype, shape })} takes ${size}`);
    }
    if (end > dataLength && options.prefix) {
      omitted.push(name);
      continue;
    }
    if (end > dataLength) fail(`${name}.data_offsets`, `end ${end} is past the ${dataLength} bytes of data (the file is truncated?)`);
    spans.push({ name, dtype, shape, begin, end });
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

  const tensors = new Map<string, Tensor>();
  for (const { name, dtype, shape, begin, end } of spans) {
    tensors.set(name, { name, dtype, shape, bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  return { tensors, metadata, omitted };
}

/**
 * Writes tensors (their bytes in the order given) and metadata. The header lists `__metadata__`
 * first, then the tensors, and is padded with spaces to a multiple of 8, as the reference writer
 * does, so that every tensor of a dtype up to 8 bytes is aligned.
 */
export function writeSafetensors(tensors: readonly Tensor[], metadata: Record<string, string>): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = { [METADATA_KEY]: metadata };
  let offset = 0;
  for (const { name, dtype, shape, bytes } of tensors) {
    if (name === METADATA_KEY) throw new Error(`safetensors: "${METADATA_KEY}" cannot name a tensor`);
    if (name in header) throw new Error(`safetensors: two tensors are named ${name}`);
    if (byteLength(dtype, shape) !== bytes.length) throw new Error(`safetensors: ${name} has ${bytes.length} bytes for ${describeTensor({ dtype, shape })}`);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const { bytes } of tensors) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
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
