/**
 * Reads parts of a stored binary model (safetensors layout, docs/MODEL-FORMAT.md) by R2 range
 * reads, without reading the object whole: its header once (8 bytes, then the header's length),
 * then only the bytes a request needs — a feature's decoder row, the decoder rows a sparse decode
 * names, the small vectors beside them. Every read is conditional on the object's etag as `head`
 * saw it, so one request never mixes two versions of a model (a retrain in between is a 409).
 *
 * Headers are kept per isolate (a few, by id and etag): a second request for the same version
 * reads no header again. A body that is not binary (a model stored as JSON before the binary form)
 * or a tensor in a dtype other than F32/BF16 gives null, and the caller reads the model whole.
 */
import { ApiError } from '../problem.js';
import { MODEL_KEYS } from '../storage-keys.js';
import type { StoredModel } from '../model-store.js';

interface TensorEntry {
  dtype: 'F32' | 'BF16';
  shape: number[];
  /** Absolute byte offsets in the object. */
  begin: number;
  end: number;
}

export interface TensorHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

/** Headers are small next to weights, but a model's metadata can hold 10,000 epochs of history: keep a few. */
const HEADER_CACHE_ENTRIES = 16;
const headers = new Map<string, TensorHeader>();

/** Largest header read (safetensors' own readers refuse more than 100 MB; ours are well under 1 MiB). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export class StoredTensors {
  private constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly etag: string,
    readonly header: TensorHeader,
  ) {}

  /** The tensors of a stored model as `head` saw it; null when its body is not the binary form. */
  static async open(bucket: R2Bucket, head: StoredModel): Promise<StoredTensors | null> {
    const key = MODEL_KEYS.key(head.summary.id);
    const cacheKey = `${key}@${head.etag}`;
    const cached = headers.get(cacheKey);
    if (cached) {
      headers.delete(cacheKey);
      headers.set(cacheKey, cached);
      return new StoredTensors(bucket, key, head.etag, cached);
    }
    if (head.inferenceBytes === null) return null; // a JSON body: no tensors to range over
    const reader = new StoredTensors(bucket, key, head.etag, { tensors: new Map(), metadata: {} });
    const lengthBytes = await reader.bytes(0, 8);
    const view = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8);
    const headerLength = Number(view.getBigUint64(0, true));
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) return null;
    const text = new TextDecoder().decode(await reader.bytes(8, headerLength));
    const header = parseHeader(text, 8 + headerLength);
    if (header === null) return null;
    headers.set(cacheKey, header);
    while (headers.size > HEADER_CACHE_ENTRIES) headers.delete(headers.keys().next().value!);
    return new StoredTensors(bucket, key, head.etag, header);
  }

  /** A tensor's entry, or undefined. */
  entry(name: string): TensorEntry | undefined {
    return this.header.tensors.get(name);
  }

  /** `count` values of a tensor from element `first`, widened to float32. */
  async read(name: string, first: number, count: number): Promise<Float32Array> {
    const entry = this.require(name);
    const size = entry.dtype === 'F32' ? 4 : 2;
    return widen(await this.bytes(entry.begin + first * size, count * size), entry.dtype);
  }

  /** A whole tensor, widened to float32. */
  async readAll(name: string): Promise<Float32Array> {
    const entry = this.require(name);
    return this.read(name, 0, (entry.end - entry.begin) / (entry.dtype === 'F32' ? 4 : 2));
  }

  /**
   * Rows `wanted` (ascending, distinct) of a 2-D tensor, each handed to `onRow` as it arrives; at
   * most `maxReads` range reads (nearby rows are read together, the smallest gaps merged first), each
   * streamed, so memory holds one row and one chunk, never a whole range.
   */
  async streamRows(name: string, wanted: readonly number[], maxReads: number, onRow: (row: number, values: Float32Array) => void): Promise<void> {
    const entry = this.require(name);
    const rowLength = entry.shape[1]!;
    const rowBytes = rowLength * (entry.dtype === 'F32' ? 4 : 2);
    for (const [from, to] of mergeRuns(wanted, maxReads)) {
      const object = await this.get(entry.begin + from * rowBytes, (to - from + 1) * rowBytes);
      const needed = new Set(wanted.filter((r) => r >= from && r <= to));
      const row = new Uint8Array(rowBytes);
      let filled = 0;
      let current = from;
      const reader = object.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let at = 0;
        while (at < value.length) {
          const take = Math.min(rowBytes - filled, value.length - at);
          // Rows no one asked for (inside a merged gap) are skipped without copying.
          if (needed.has(current)) row.set(value.subarray(at, at + take), filled);
          filled += take;
          at += take;
          if (filled === rowBytes) {
            if (needed.has(current)) onRow(current, widen(row, entry.dtype));
            current++;
            filled = 0;
          }
        }
      }
      if (current !== to + 1) throw changed(this.key);
    }
  }

  /**
   * Columns [from, to) of a 2-D tensor, as stored (F32 or BF16 bytes, little-endian), packed
   * [rows × (to − from)]. A row-major tensor's columns are spread over every row, so this streams
   * the whole tensor in one read and keeps only the slice: memory holds the slice and one chunk
   * (an encoder shard's load, src/api/shards/slice.ts).
   */
  async readColumns(name: string, from: number, to: number): Promise<Uint8Array<ArrayBuffer>> {
    const entry = this.require(name);
    const [rows, cols] = entry.shape as [number, number];
    const size = entry.dtype === 'F32' ? 4 : 2;
    const rowBytes = cols * size;
    const begin = from * size;
    const end = to * size;
    const width = end - begin;
    const out = new Uint8Array(rows * width);
    const object = await this.get(entry.begin, rows * rowBytes);
    const reader = object.body.getReader();
    let position = 0; // bytes of the tensor seen so far
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let at = 0;
      while (at < value.length) {
        const row = Math.floor(position / rowBytes);
        const inRow = position - row * rowBytes;
        const take = Math.min(rowBytes - inRow, value.length - at);
        // The part of [inRow, inRow + take) inside the slice's [begin, end) of this row.
        const lo = Math.max(inRow, begin);
        const hi = Math.min(inRow + take, end);
        if (hi > lo) out.set(value.subarray(at + lo - inRow, at + hi - inRow), row * width + lo - begin);
        at += take;
        position += take;
      }
    }
    if (position !== rows * rowBytes) throw changed(this.key);
    return out;
  }

  private require(name: string): TensorEntry {
    const entry = this.header.tensors.get(name);
    if (!entry) throw new Error(`the stored model has no tensor ${name}`);
    return entry;
  }

  private async bytes(offset: number, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    return new Uint8Array(await (await this.get(offset, length)).arrayBuffer());
  }

  private get(offset: number, length: number): Promise<R2ObjectBody> {
    return rangeRead(this.bucket, this.key, this.etag, offset, length);
  }
}

/**
 * `length` bytes of an object from `offset`, only if it still has `etag`: a failing store is a
 * 503 storage-unavailable, another version (or none) a 409, so one request never mixes versions.
 */
export async function rangeRead(bucket: R2Bucket, key: string, etag: string, offset: number, length: number): Promise<R2ObjectBody> {
  let object: R2Object | R2ObjectBody | null;
  try {
    object = await bucket.get(key, { range: { offset, length }, onlyIf: { etagMatches: etag } });
  } catch (error) {
    console.error('edge-sae: a ranged model read failed', error);
    throw new ApiError(503, { type: 'storage-unavailable', title: 'Service Unavailable', detail: 'The model store failed while reading. Retry later.', headers: { 'retry-after': '1' } });
  }
  if (object === null || !('body' in object)) throw changed(key);
  return object;
}

function changed(key: string): ApiError {
  return new ApiError(409, {
    type: 'conflict',
    detail: `Model ${MODEL_KEYS.idOf(key)} changed (retrained or deleted) while this request read it. Retry.`,
  });
}

/** Tensor entries with absolute offsets; null when a tensor is in a dtype these reads do not widen. */
function parseHeader(text: string, dataStart: number): TensorHeader | null {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === '__metadata__') {
      metadata = value as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = value as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32' && dtype !== 'BF16') {
      if (name.startsWith('optimizer.')) continue;
      return null;
    }
    tensors.set(name, { dtype, shape, begin: dataStart + offsets[0], end: dataStart + offsets[1] });
  }
  return { tensors, metadata };
}

function widen(bytes: Uint8Array, dtype: 'F32' | 'BF16'): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    const out = new Float32Array(bytes.length / 4);
    for (let k = 0; k < out.length; k++) out[k] = view.getFloat32(4 * k, true);
    return out;
  }
  // bfloat16 is the high half of a float32.
  const words = new Uint32Array(bytes.length / 2);
  for (let k = 0; k < words.length; k++) words[k] = view.getUint16(2 * k, true) << 16;
  return new Float32Array(words.buffer);
}

/**
 * Runs of rows [from, to] covering `wanted` (ascending, distinct) in at most `maxReads` runs:
 * starting from one run per row (consecutive rows share one), the smallest gaps are merged first.
 */
export function mergeRuns(wanted: readonly number[], maxReads: number): [number, number][] {
  if (wanted.length === 0) return [];
  let runs: [number, number][] = [];
  for (const row of wanted) {
    const last = runs[runs.length - 1];
    if (last && row === last[1] + 1) last[1] = row;
    else runs.push([row, row]);
  }
  if (runs.length <= maxReads) return runs;
  // Keep the (maxReads − 1) largest gaps as the boundaries; merge across every other gap.
  const gaps = runs.slice(1).map((run, i) => ({ i, gap: run[0] - runs[i]![1] }));
  const kept = new Set(
    gaps
      .sort((a, b) => b.gap - a.gap || a.i - b.i)
      .slice(0, Math.max(0, maxReads - 1))
      .map(({ i }) => i),
  );
  const merged: [number, number][] = [[runs[0]![0], runs[0]![1]]];
  for (let i = 1; i < runs.length; i++) {
    if (kept.has(i - 1)) merged.push([runs[i]![0], runs[i]![1]]);
    else merged[merged.length - 1]![1] = runs[i]![1];
  }
  runs = merged;
  return runs;
}
