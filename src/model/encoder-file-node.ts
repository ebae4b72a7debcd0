/**
 * Node only: an encode-only session straight from a binary model file on disk, reading the
 * encoder's weights a block of rows at a time into their kernel layout, so the process never holds
 * them twice (the file's bytes and the layout): its resident memory stays near W_enc's bytes as
 * stored (the "2304 → 65536 bf16 under 1.5× its encoder's bytes" of issue 27). The decoder's
 * weights are not read at all.
 *
 * Everything else (metadata, biases, the threshold, the scaling, int8 scales) is read as one small
 * safetensors file of those tensors and checked by the model file's own reader, so the errors name
 * the same fields; encoder.weight's header entry is checked here, and its values block by block
 * (a bf16 NaN or Infinity, an int8 −128), naming the cell.
 *
 * @example
 * const { backend } = await loadNodeBackend('assemblyscript');
 * const session = openEncoderFile('gemma-scope-bf16.safetensors', backend);
 * const codes = session.encode(rows);
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import type { KernelBackend } from '../backends/types.js';
import { ModelFileError } from '../errors.js';
import { METADATA_KEY } from '../formats/safetensors.js';
import { DTYPE_BYTES, type Dtype } from '../formats/tensor.js';
import { EncodingSession } from './encoding-session.js';
import { readBinaryModelFile } from './model-file-binary.js';
import { bf16AllFinite, type StreamedMatrix } from './weight-dtype.js';

const TENSOR_DTYPE = { f32: 'F32', bf16: 'BF16', int8: 'I8' } as const;
/** The tensors read apart (encoder.weight) or not at all (the decoder's weights). */
const APART = new Set(['encoder.weight', 'decoder.weight', 'decoder.weight_scale']);

interface Entry {
  dtype: Dtype;
  shape: number[];
  data_offsets: [number, number];
}

export function openEncoderFile(path: string, backend: KernelBackend): EncodingSession {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const fail: (field: string, problem: string) => never = (field, problem) => {
      throw new ModelFileError(field, problem, path);
    };
    const read = (position: number, length: number): Buffer => {
      // (not the shared pool: its slices may be unaligned for the typed-array views below)
      const out = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const got = readSync(fd, out, done, length - done, position + done);
        if (got === 0) fail('(header length)', `the file ends at byte ${position + done}, before the ${length} bytes wanted at ${position}`);
        done += got;
      }
      return out;
    };
    if (size < 8) fail('(header length)', `the file has ${size} bytes, fewer than the 8 of the header length`);
    const headerLength = Number(read(0, 8).readBigUInt64LE(0));
    if (headerLength > 100_000_000 || headerLength > size - 8) fail('(header length)', `says the header has ${headerLength} bytes, but the file has ${size - 8} after the length`);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(read(8, headerLength).toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      return fail('(header)', `is not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('(header)', 'must be a JSON object');
    const dataStart = 8 + headerLength;

    // every tensor but the weights, as one small file the model file's reader checks (each
    // tensor's bytes read and packed in their order; a bad entry passed on for it to name)
    const small: Record<string, unknown> = {};
    const parts: Buffer[] = [];
    let packed = 0;
    const kept = Object.entries(header).filter(([name]) => name !== METADATA_KEY && !APART.has(name));
    const offsetsOf = (entry: unknown) => (entry as Partial<Entry> | null)?.data_offsets;
    const valid = (o: unknown): o is [number, number] => Array.isArray(o) && o.length === 2 && o.every((v) => Number.isSafeInteger(v) && v >= 0) && o[1] >= o[0] && dataStart + o[1] <= size;
    kept.sort(([, a], [, b]) => (valid(offsetsOf(a)) ? offsetsOf(a)![0] : 0) - (valid(offsetsOf(b)) ? offsetsOf(b)![0] : 0));
    if (header[METADATA_KEY] !== undefined) small[METADATA_KEY] = header[METADATA_KEY];
    for (const [name, entry] of kept) {
      const o = offsetsOf(entry);
      if (!valid(o)) {
        small[name] = entry;
        continue;
      }
      parts.push(read(dataStart + o[0], o[1] - o[0]));
      small[name] = { ...(entry as object), data_offsets: [packed, packed + o[1] - o[0]] };
      packed += o[1] - o[0];
    }
    // 8-byte aligned data, as the writer pads it, so the float32 tensors are views
    let text = JSON.stringify(small);
    text += ' '.repeat((8 - ((8 + Buffer.byteLength(text)) % 8)) % 8);
    const headerBytes = Buffer.from(text);
    const smallBytes = new Uint8Array(8 + headerBytes.length + packed);
    new DataView(smallBytes.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
    smallBytes.set(headerBytes, 8);
    let at = 8 + headerBytes.length;
    for (const part of parts) {
      smallBytes.set(part, at);
      at += part.length;
    }
    const state = readBinaryModelFile(smallBytes, path, { encoderOnly: true, encoderWeightApart: true, withoutHistory: true });

    // encoder.weight: its entry checked here, its values a block of rows at a time
    const { inputSize: n, hiddenSize: h } = state.shape;
    const dtype = state.stored?.dtype ?? 'f32';
    const entry = header['encoder.weight'] as Partial<Entry> | undefined;
    if (!entry) fail('encoder.weight', `is missing (a ${TENSOR_DTYPE[dtype]} tensor of shape [${n}, ${h}])`);
    if (entry.dtype !== TENSOR_DTYPE[dtype]) fail('encoder.weight.dtype', `must be "${TENSOR_DTYPE[dtype]}" (the file's weightDtype is ${dtype}), got ${JSON.stringify(entry.dtype)}`);
    if (!Array.isArray(entry.shape) || entry.shape.length !== 2 || entry.shape[0] !== n || entry.shape[1] !== h) fail('encoder.weight.shape', `must be [${n}, ${h}], got ${JSON.stringify(entry.shape)}`);
    const bytesPer = DTYPE_BYTES[entry.dtype];
    const [w0, w1] = entry.data_offsets ?? [NaN, NaN];
    if (!Number.isSafeInteger(w0) || w1 - w0 !== n * h * bytesPer || dataStart + w1 > size) fail('encoder.weight.data_offsets', `must span ${n * h * bytesPer} bytes inside the file, got ${JSON.stringify(entry.data_offsets)}`);
    const rowBytes = h * bytesPer;
    const block = (first: number, count: number): Buffer => read(dataStart + w0 + first * rowBytes, count * rowBytes);
    const cell = (first: number, k: number) => `encoder.weight[${first + Math.floor(k / h)}][${k % h}]`;
    let W1: StreamedMatrix;
    if (dtype === 'bf16') {
      W1 = {
        dtype,
        rows(first, count) {
          const bytes = block(first, count);
          const bits = new Uint16Array(bytes.buffer, bytes.byteOffset, count * h);
          if (!bf16AllFinite(bits)) for (let k = 0; k < bits.length; k++) if ((bits[k]! & 0x7f80) === 0x7f80) fail(cell(first, k), 'must be a finite bfloat16 number');
          return bits;
        },
      };
    } else if (dtype === 'int8') {
      W1 = {
        dtype,
        scales: (state.stored!.W1 as { scales: Float32Array }).scales,
        rows(first, count) {
          const bytes = block(first, count);
          const q = new Int8Array(bytes.buffer, bytes.byteOffset, count * h);
          for (let k = 0; k < q.length; k++) if (q[k] === -128) fail(cell(first, k), 'must be in [-127, 127] (int8 weights are symmetric), got -128');
          return q;
        },
      };
    } else {
      W1 = {
        dtype,
        rows(first, count) {
          const bytes = block(first, count);
          const values = new Float32Array(bytes.buffer, bytes.byteOffset, count * h);
          for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k]!)) fail(cell(first, k), `must be a finite float32 number, got ${values[k]}`);
          return values;
        },
      };
    }
    const session = EncodingSession.fromState(state, backend, W1);
    if (session === null) fail('config.architecture', `the ${backend.name} backend has no encode-only session for ${state.config.architecture}`);
    return session;
  } finally {
    closeSync(fd);
  }
}
