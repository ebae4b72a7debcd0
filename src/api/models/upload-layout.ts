/**
 * What an upload of a model in parts (./upload-object.ts) knows of the model file before it is
 * whole: part 0 carries the header (safetensors: 8 bytes of length, then JSON), so once it has
 * arrived every later part is checked as it arrives — its values (a float32 or bfloat16 that is not
 * finite, an int8 −128), and the bytes of the small tensors it holds (biases, threshold, scaling,
 * int8 scales) are kept, so completion checks the model file's metadata and small tensors with the
 * model file's own reader (src/model/encoder-pieces.ts) before the object exists. Pure: no I/O.
 */
import { MODEL_FORMAT } from '../../model/model-file.js';
import { bf16AllFinite } from '../../model/weight-dtype.js';

/** R2's multipart rules: every part but the last at least 5 MiB and all of one size, at most 10,000 parts. */
export const R2_MIN_PART_BYTES = 5 * 1024 * 1024;
export const R2_MAX_PARTS = 10_000;

const DTYPE_BYTES = { F32: 4, BF16: 2, I8: 1 } as const;
type TensorDtype = keyof typeof DTYPE_BYTES;

/** One tensor with absolute byte offsets in the file. */
export interface TensorSpan {
  name: string;
  dtype: TensorDtype;
  begin: number;
  end: number;
  /** Elements a row (the last dimension), for naming a bad cell. */
  rowLength: number;
}

export interface UploadHeader {
  headerLength: number;
  tensors: TensorSpan[];
  /** The customMetadata the stored object gets: inputSize, hiddenSize, and where Adam's moments begin. */
  inputSize: number;
  hiddenSize: number;
  inferenceBytes: number;
  /** The imported model's source (JSON text of metadata.source), when the file says. */
  source: string | null;
}

/** A refusal of a part: the field of the model file named, and what is wrong. */
export class PartError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`model file field "${field}": ${problem}`);
  }
}

/** The tensors a completion reads from the kept bytes (every one but the weight matrices and Adam's moments). */
export function isSmallTensor(name: string): boolean {
  return name !== 'encoder.weight' && name !== 'decoder.weight' && !name.startsWith('optimizer.');
}

/** Reads and checks the header in part 0 against the declared size of the file. */
export function readUploadHeader(part0: Uint8Array, fileBytes: number): UploadHeader {
  if (part0.length < 8) throw new PartError('(header length)', `part 0 has ${part0.length} bytes, fewer than the 8 of the header length`);
  const headerLength = Number(new DataView(part0.buffer, part0.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > part0.length) throw new PartError('(header length)', `says the header has ${headerLength} bytes, more than part 0 holds after the length (${part0.length - 8}); a model file's header must fit in its first part`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(part0.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    throw new PartError('(header)', `is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new PartError('(header)', 'must be a JSON object');
  const metadata = (header.__metadata__ ?? {}) as Record<string, unknown>;
  if (metadata.format !== MODEL_FORMAT) throw new PartError('__metadata__.format', `must be "${MODEL_FORMAT}" (an edge-sae binary model file; convert another library's SAE with \`edge-sae import\` first), got ${JSON.stringify(metadata.format)}`);
  const dataStart = 8 + headerLength;
  const tensors: TensorSpan[] = [];
  let end = dataStart;
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = entry?.dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw new PartError(`${name}.dtype`, `must be "F32", "BF16" or "I8", got ${JSON.stringify(dtype)}`);
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new PartError(`${name}.shape`, 'must be an array of whole numbers');
    const offsets = entry.data_offsets;
    const length = shape.reduce((a: number, b: number) => a * b, 1) * DTYPE_BYTES[dtype as TensorDtype];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[1] - offsets[0] !== length) {
      throw new PartError(`${name}.data_offsets`, `must be [begin, begin + ${length}] (its shape × ${DTYPE_BYTES[dtype as TensorDtype]} bytes), got ${JSON.stringify(offsets)}`);
    }
    // (8-byte aligned, as the writer stores them: a value then never straddles two parts)
    if (offsets[0] % 8 !== 0) throw new PartError(`${name}.data_offsets`, `must begin at a multiple of 8, got ${offsets[0]}`);
    const span = { name, dtype: dtype as TensorDtype, begin: dataStart + offsets[0], end: dataStart + offsets[1], rowLength: Math.max(1, shape[shape.length - 1] ?? 1) };
    tensors.push(span);
    end = Math.max(end, span.end);
  }
  if (end !== fileBytes) throw new PartError('(size)', `the header's tensors end at byte ${end}, but the upload declared ${fileBytes} bytes; declare the file's exact size`);
  tensors.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < tensors.length; i++) {
    if (tensors[i]!.begin < tensors[i - 1]!.end) throw new PartError(`${tensors[i]!.name}.data_offsets`, `overlaps ${tensors[i - 1]!.name}`);
  }
  const whole = (field: string) => {
    const value = Number(metadata[field]);
    if (typeof metadata[field] !== 'string' || !Number.isSafeInteger(value) || value < 1) throw new PartError(`__metadata__.${field}`, `must be a whole number ≥ 1 written as a string, got ${JSON.stringify(metadata[field])}`);
    return value;
  };
  // Where Adam's moments begin, as inferenceBytes() computes it from a whole file.
  const keptEnd = Math.max(dataStart, ...tensors.filter((t) => !t.name.startsWith('optimizer.')).map((t) => t.end));
  const optimizerBegin = Math.min(Infinity, ...tensors.filter((t) => t.name.startsWith('optimizer.')).map((t) => t.begin));
  return {
    headerLength,
    tensors,
    inputSize: whole('inputSize'),
    hiddenSize: whole('hiddenSize'),
    inferenceBytes: keptEnd <= optimizerBegin ? keptEnd : fileBytes,
    source: typeof metadata.source === 'string' ? metadata.source : null,
  };
}

/** One piece of a small tensor found in a part: its absolute offset and bytes. */
export interface SmallPiece {
  name: string;
  at: number;
  bytes: Uint8Array;
}

/**
 * Checks the values of the tensors that lie in part bytes [from, from + bytes.length) and returns
 * the pieces of small tensors it holds; throws PartError naming the first bad cell.
 */
export function checkPart(header: UploadHeader, from: number, bytes: Uint8Array): SmallPiece[] {
  const to = from + bytes.length;
  const pieces: SmallPiece[] = [];
  for (const tensor of header.tensors) {
    const begin = Math.max(tensor.begin, from);
    const end = Math.min(tensor.end, to);
    if (begin >= end) continue;
    const slice = bytes.subarray(begin - from, end - from);
    const size = DTYPE_BYTES[tensor.dtype];
    const first = (begin - tensor.begin) / size;
    const cell = (k: number) => {
      const index = first + k;
      return `${tensor.name}[${Math.floor(index / tensor.rowLength)}][${index % tensor.rowLength}]`;
    };
    const aligned = slice.byteOffset % size === 0 ? slice : slice.slice();
    if (tensor.dtype === 'F32') {
      const values = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
      for (let k = 0; k < values.length; k++) if (!Number.isFinite(values[k]!)) throw new PartError(cell(k), `must be a finite float32 number, got ${values[k]}`);
    } else if (tensor.dtype === 'BF16') {
      const bits = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
      if (!bf16AllFinite(bits)) for (let k = 0; k < bits.length; k++) if ((bits[k]! & 0x7f80) === 0x7f80) throw new PartError(cell(k), 'must be a finite bfloat16 number');
    } else if (tensor.name.endsWith('.weight')) {
      const q = new Int8Array(aligned.buffer, aligned.byteOffset, aligned.length);
      for (let k = 0; k < q.length; k++) if (q[k] === -128) throw new PartError(cell(k), 'must be in [-127, 127] (int8 weights are symmetric), got -128');
    }
    if (isSmallTensor(tensor.name)) pieces.push({ name: tensor.name, at: begin, bytes: slice.slice() });
  }
  return pieces;
}

/** The part layout of a file of `fileBytes` bytes in parts of `partBytes`. */
export function partLayout(fileBytes: number, partBytes: number): { partCount: number; lastPartBytes: number } {
  const partCount = Math.max(1, Math.ceil(fileBytes / partBytes));
  return { partCount, lastPartBytes: fileBytes - (partCount - 1) * partBytes };
}
