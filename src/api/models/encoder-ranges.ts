/**
 * A cold encode in the Worker reads from R2 only what the encoder needs (issue 27, item 4): the
 * header, then the small tensors (encoder.bias, the threshold, decoder.bias, the input scaling,
 * int8 scales; a few contiguous runs), then encoder.weight as one range — never the decoder's
 * weights nor Adam's moments, wherever they lie in the file (a float32 file stores decoder.weight
 * between encoder.bias and decoder.bias; bf16 and int8 files store it last). The pieces and their
 * checks are the Node file reader's (src/model/encoder-pieces.ts). Every read is conditional on
 * the etag `head` saw (./tensor-ranges.ts: a retrain in between is a 409).
 */
import type { KernelBackend } from '../../backends/types.js';
import { ModelFileError } from '../../errors.js';
import { encoderWeightRange, headerLengthOf, packSmallFile, parseHeaderText, planEncoderRead, readSmallFile, rowBytes, streamedEncoderWeight, type EncoderPlan, type Fail } from '../../model/encoder-pieces.js';
import { EncodingSession } from '../../model/encoding-session.js';
import type { ModelState } from '../../model/model-file.js';
import type { StoredModel } from '../model-store.js';
import { MODEL_KEYS } from '../storage-keys.js';
import { rangeRead } from './tensor-ranges.js';

/** Small tensors this close are read in one range: only alignment padding between them, never another tensor. */
const MERGE_GAP_BYTES = 8;

/** A stored model's encoder, planned: its checked small tensors read, encoder.weight not yet. */
export interface EncoderRead {
  state: ModelState;
  /** encoder.weight's absolute byte range in the object. */
  weight: { begin: number; end: number };
  /** Bytes the header and the small tensors took. */
  bytesRead: number;
  /** Builds the encode-only session, reading encoder.weight (null: the backend has no encode-only session for this architecture). */
  load(backend: KernelBackend): Promise<EncodingSession | null>;
}

/** Reads the header and the small tensors of a stored binary model; encoder.weight is read by `load`. */
export async function openEncoder(bucket: R2Bucket, head: StoredModel): Promise<EncoderRead> {
  const key = MODEL_KEYS.key(head.summary.id);
  const source = `model ${head.summary.id}`;
  const fail: Fail = (field, problem) => {
    throw new ModelFileError(field, problem, source);
  };
  const bytes = async (offset: number, length: number) => new Uint8Array(await (await rangeRead(bucket, key, head.etag, offset, length)).arrayBuffer());
  const headerLength = headerLengthOf(await bytes(0, Math.min(8, head.size)), head.size, fail);
  const plan = planEncoderRead(parseHeaderText(await bytes(8, headerLength), fail), headerLength, head.size);
  let bytesRead = 8 + headerLength;
  const pieces = new Map<string, Uint8Array>();
  for (const [from, to] of runsOf(plan)) {
    const run = await bytes(from, to - from);
    bytesRead += run.length;
    for (const { name, range } of plan.small) if (range && range[0] >= from && range[1] <= to) pieces.set(name, run.subarray(range[0] - from, range[1] - from));
  }
  const state = readSmallFile(packSmallFile(plan, (name) => pieces.get(name)!), source);
  const weight = encoderWeightRange(plan, state, fail);
  return {
    state,
    weight,
    bytesRead,
    async load(backend) {
      // One range, streamed into one buffer of its size (arrayBuffer() would gather the chunks and
      // copy them, twice the bytes at the peak); the kernels then lay it out synchronously.
      const all = await streamInto(await rangeRead(bucket, key, head.etag, weight.begin, weight.end - weight.begin), weight.end - weight.begin, source);
      const row = rowBytes(state);
      const W1 = streamedEncoderWeight(state, (first, count) => all.subarray(first * row, (first + count) * row), fail);
      return EncodingSession.fromState(state, backend, W1);
    },
  };
}

/** A ranged body read chunk by chunk into one buffer of its expected length. */
async function streamInto(object: R2ObjectBody, length: number, source: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const reader = object.body.getReader();
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > length) throw new ModelFileError('encoder.weight', `the stored bytes are longer than the ${length} expected`, source);
    out.set(value, at);
    at += value.length;
  }
  if (at !== length) throw new ModelFileError('encoder.weight', `the stored bytes end after ${at} of the ${length} expected`, source);
  return out;
}

/** The small tensors' byte ranges merged into runs (neighbours read together). */
function runsOf(plan: EncoderPlan): [number, number][] {
  const runs: [number, number][] = [];
  for (const { range } of plan.small) {
    if (range === null || range[1] === range[0]) continue;
    const last = runs[runs.length - 1];
    if (last && range[0] - last[1] <= MERGE_GAP_BYTES) last[1] = Math.max(last[1], range[1]);
    else runs.push([range[0], range[1]]);
  }
  return runs;
}
