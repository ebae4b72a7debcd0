/**
 * The pieces of a binary model file (docs/MODEL-FORMAT.md) an encoder reads, wherever the bytes
 * come from (a file on disk: ./encoder-file-node.ts; R2 by ranges: src/api/models/encoder-ranges.ts):
 * encoder.weight, read apart a block of rows at a time into the kernel's layout, and every other
 * tensor but the decoder's weights and Adam's moments (biases, the threshold, b_dec, the input
 * scaling, int8 scales), packed into one small safetensors file that the model file's own reader
 * checks, so the errors name the same fields. The decoder's weights are never read.
 *
 * Platform-free: no I/O here; the callers read the byte ranges this plans.
 */
import { METADATA_KEY } from '../formats/safetensors.js';
import { DTYPE_BYTES, type Dtype } from '../formats/tensor.js';
import { EncodingSession } from './encoding-session.js';
import type { KernelBackend } from '../backends/types.js';
import { readBinaryModelFile } from './model-file-binary.js';
import type { ModelState } from './model-file.js';
import { bf16AllFinite, type StreamedMatrix } from './weight-dtype.js';

const TENSOR_DTYPE = { f32: 'F32', bf16: 'BF16', int8: 'I8' } as const;
/** The tensors read apart (encoder.weight) or not at all (the decoder's weights). */
const APART = new Set(['encoder.weight', 'decoder.weight', 'decoder.weight_scale']);
/** Largest header read (safetensors' own readers refuse more than 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

interface Entry {
  dtype: Dtype;
  shape: number[];
  data_offsets: [number, number];
}

export type Fail = (field: string, problem: string) => never;

/** What an encoder reads of one binary model file: its header and the absolute byte ranges of the small tensors. */
export interface EncoderPlan {
  header: Record<string, unknown>;
  /** Where the tensors' data begins: 8 + the header's length. */
  dataStart: number;
  /** Bytes of the whole file. */
  size: number;
  /** Every tensor but encoder.weight, the decoder's weights and Adam's moments, by offset; `range` null for an entry the reader will name as bad. */
  small: { name: string; entry: unknown; range: [number, number] | null }[];
}

/** The header's length from the file's first 8 bytes, checked against the file's size. */
export function headerLengthOf(first8: Uint8Array, size: number, fail: Fail): number {
  if (size < 8 || first8.length < 8) fail('(header length)', `the file has ${size} bytes, fewer than the 8 of the header length`);
  const headerLength = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || headerLength > size - 8) fail('(header length)', `says the header has ${headerLength} bytes, but the file has ${size - 8} after the length`);
  return headerLength;
}

/** The header's JSON object, checked to be one. */
export function parseHeaderText(bytes: Uint8Array, fail: Fail): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    return fail('(header)', `is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('(header)', 'must be a JSON object');
  return header as Record<string, unknown>;
}

/** The small tensors an encoder reads, with their absolute byte ranges, in file order. */
export function planEncoderRead(header: Record<string, unknown>, headerLength: number, size: number): EncoderPlan {
  const dataStart = 8 + headerLength;
  const offsetsOf = (entry: unknown) => (entry as Partial<Entry> | null)?.data_offsets;
  const valid = (o: unknown): o is [number, number] => Array.isArray(o) && o.length === 2 && o.every((v) => Number.isSafeInteger(v) && v >= 0) && o[1] >= o[0] && dataStart + o[1] <= size;
  const small = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY && !APART.has(name) && !name.startsWith('optimizer.'))
    .map(([name, entry]) => {
      const o = offsetsOf(entry);
      return { name, entry, range: valid(o) ? ([dataStart + o[0], dataStart + o[1]] as [number, number]) : null };
    });
  small.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
  return { header, dataStart, size, small };
}

/**
 * One small safetensors file of the plan's small tensors (their bytes from `bytesOf`, by name), the
 * file's metadata beside them; entries whose range was bad are passed on for the reader to name.
 */
export function packSmallFile(plan: EncoderPlan, bytesOf: (name: string) => Uint8Array): Uint8Array<ArrayBuffer> {
  const small: Record<string, unknown> = {};
  if (plan.header[METADATA_KEY] !== undefined) small[METADATA_KEY] = plan.header[METADATA_KEY];
  const pieces: Uint8Array[] = [];
  let packed = 0;
  for (const { name, entry, range } of plan.small) {
    if (range === null) {
      small[name] = entry;
      continue;
    }
    const piece = bytesOf(name);
    pieces.push(piece);
    small[name] = { ...(entry as object), data_offsets: [packed, packed + piece.length] };
    packed += piece.length;
  }
  // 8-byte aligned data, as the writer pads it, so the float32 tensors are views
  const encoder = new TextEncoder();
  let text = JSON.stringify(small);
  text += ' '.repeat((8 - ((8 + encoder.encode(text).length) % 8)) % 8);
  const headerBytes = encoder.encode(text);
  const out = new Uint8Array(8 + headerBytes.length + packed);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** The checked model state of the small file (everything but the weights, which come back empty). */
export function readSmallFile(small: Uint8Array, source: string): ModelState {
  return readBinaryModelFile(small, source, { encoderOnly: true, encoderWeightApart: true, withoutHistory: true });
}

/** encoder.weight's absolute byte range, its entry checked against the state (dtype, shape, offsets). */
export function encoderWeightRange(plan: EncoderPlan, state: ModelState, fail: Fail): { begin: number; end: number; dtype: 'f32' | 'bf16' | 'int8' } {
  const { inputSize: n, hiddenSize: h } = state.shape;
  const dtype = state.stored?.dtype ?? 'f32';
  const entry = plan.header['encoder.weight'] as Partial<Entry> | undefined;
  if (!entry) fail('encoder.weight', `is missing (a ${TENSOR_DTYPE[dtype]} tensor of shape [${n}, ${h}])`);
  if (entry.dtype !== TENSOR_DTYPE[dtype]) fail('encoder.weight.dtype', `must be "${TENSOR_DTYPE[dtype]}" (the file's weightDtype is ${dtype}), got ${JSON.stringify(entry.dtype)}`);
  if (!Array.isArray(entry.shape) || entry.shape.length !== 2 || entry.shape[0] !== n || entry.shape[1] !== h) fail('encoder.weight.shape', `must be [${n}, ${h}], got ${JSON.stringify(entry.shape)}`);
  const bytesPer = DTYPE_BYTES[entry.dtype];
  const [w0, w1] = entry.data_offsets ?? [NaN, NaN];
  if (!Number.isSafeInteger(w0) || w1 - w0 !== n * h * bytesPer || plan.dataStart + w1 > plan.size) fail('encoder.weight.data_offsets', `must span ${n * h * bytesPer} bytes inside the file, got ${JSON.stringify(entry.data_offsets)}`);
  return { begin: plan.dataStart + w0, end: plan.dataStart + w1, dtype };
}

/**
 * encoder.weight as the kernels' layout step reads it, a block of rows at a time from `block`
 * (first row, row count → those rows' bytes, 8-byte aligned), each block's values checked (a bf16
 * NaN or Infinity, an int8 −128, a float32 that is not finite), naming the cell.
 */
export function streamedEncoderWeight(state: ModelState, block: (first: number, count: number) => Uint8Array, fail: Fail): StreamedMatrix {
  const h = state.shape.hiddenSize;
  const dtype = state.stored?.dtype ?? 'f32';
  const cell = (first: number, k: number) => `encoder.weight[${first + Math.floor(k / h)}][${k % h}]`;
  if (dtype === 'bf16') {
    return {
      dtype,
      rows(first, count) {
        const bytes = block(first, count);
        const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, count * h);
        if (!bf16AllFinite(bits)) for (let k = 0; k < bits.length; k++) if ((bits[k]! & 0x7f80) === 0x7f80) fail(cell(first, k), 'must be a finite bfloat16 number');
        return bits;
      },
    };
  }
  if (dtype === 'int8') {
    return {
      dtype,
      scales: (state.stored!.W1 as { scales: Float32Array }).scales,
      rows(first, count) {
        const bytes = block(first, count);
        const q = new Int8Array(bytes.buffer, bytes.byteOffset, count * h);
        for (let k = 0; k < q.length; k++) if (q[k] === -128) fail(cell(first, k), 'must be in [-127, 127] (int8 weights are symmetric), got -128');
        return q;
      },
    };
  }
  return {
    dtype,
    rows(first, count) {
      const bytes = block(first, count);
      const values = new Float32Array(bytes.buffer, bytes.byteOffset, count * h);
      for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k]!)) fail(cell(first, k), `must be a finite float32 number, got ${values[k]}`);
      return values;
    },
  };
}

/** The encode-only session of the state and its streamed encoder.weight; fails naming the architecture when the backend has none. */
export function sessionOf(state: ModelState, backend: KernelBackend, W1: StreamedMatrix, fail: Fail): EncodingSession {
  const session = EncodingSession.fromState(state, backend, W1);
  if (session === null) fail('config.architecture', `the ${backend.name} backend has no encode-only session for ${state.config.architecture}`);
  return session;
}

/** Bytes of a tensor entry's dtype (for the callers' row sizes). */
export function rowBytes(state: ModelState): number {
  return state.shape.hiddenSize * DTYPE_BYTES[TENSOR_DTYPE[state.stored?.dtype ?? 'f32']];
}

