/**
 * The binary model file: the same model as the JSON file (format version 1), in the safetensors
 * layout (docs/MODEL-FORMAT.md). The numbers are raw float32 tensors, the rest is JSON text in
 * `__metadata__`, so reading a 784 → 196 model is a header parse and a scan for non-finite values
 * instead of parsing a million decimals.
 *
 * Tensors (float32, row-major; weights are [inputs, outputs] as SAELens's W_enc / W_dec, so the
 * bytes are W1 and W2 exactly as the backends hold them):
 *   encoder.weight [n, h]   encoder.bias [h]   decoder.weight [h, n]   decoder.bias [n]
 *   normalization.min [n]   normalization.max [n]                       (minmax)
 *   normalization.mean [n]  normalization.std [n]                       (standardize)
 *   optimizer.m.<each of the four>   optimizer.v.<each of the four>      (with Adam's state)
 * A bf16 or int8 model (weight-dtype.ts) stores the two weight matrices as BF16 or I8 tensors,
 * int8 with their per-unit scales beside them (encoder.weight_scale [h], decoder.weight_scale [h],
 * F32), says weightDtype "bf16" | "int8" in its metadata (absent: float32), has no optimizer
 * state, and stores the encoder's tensors first and decoder.weight last (an encoder reads a prefix).
 * Metadata (strings): format, version, inputSize, hiddenSize, weightLayout ("in,out"),
 * normalization ("minmax" | "standardize" | "none"), and as JSON: config, training, optimizer ({ kind, step }),
 * metrics, lossHistory, and when present stepsSinceFired, validationHistory, bestEpoch, historyEpochs.
 */
import { PARAMETER_NAMES, parameterShapes, type ArchitectureName, type LayerShape, type ParameterName, type Parameters } from '../backends/types.js';
import { shortestFloat32 } from '../data/float32.js';
import { describeValue } from '../util/describe-value.js';
import { extraParameters, FieldReader, keptHistory, lossToJson, MODEL_FORMAT, readModelFields, versionOf, tensorNameOf, validationToJson, type ModelState, type TensorSource } from './model-file.js';
import { checkJsonDepth } from './model-file-checks.js';
import { normalizationVectors } from './normalization.js';
import { decodeSafetensors, encodeSafetensors, prefixLength, type Float32Tensor, type RawTensor } from './safetensors.js';
import { bf16AllFinite, isWeightDtype, UNIT_AXIS, widenMatrix, type StoredMatrix, type StoredWeights, type WeightDtype } from './weight-dtype.js';
import { ModelFileError } from '../errors.js';
import type { Dtype, Tensor } from '../formats/tensor.js';

/** Weights are stored [inputs, outputs] (x·W), the transpose of torch.nn.Linear's [out, in]. */
export const WEIGHT_LAYOUT = 'in,out';

type ParameterSet = 'parameters' | 'm' | 'v';

const PREFIX: Record<ParameterSet, string> = { parameters: '', m: 'optimizer.m.', v: 'optimizer.v.' };

/** Tensor names and shapes of one parameter set, in storage order (PARAMETER_NAMES). */
function parameterTensors(set: ParameterSet, shape: LayerShape, architecture: ArchitectureName): [string, ParameterName, number[]][] {
  const dims = parameterShapes(shape);
  return PARAMETER_NAMES.map((name) => [`${PREFIX[set]}${tensorNameOf(name, architecture)}`, name, dims[name]]);
}

/** Writes the binary model file of a model state. */
export function toBinaryModelFile(state: ModelState): Uint8Array<ArrayBuffer> {
  const { shape, normalization, optimizerState } = state;
  const stored = state.stored ?? null;
  if (stored && optimizerState) throw new Error(`toBinaryModelFile: a ${stored.dtype} model has no optimizer state (it cannot train)`);
  const tensors: [string, Float32Tensor | RawTensor][] = [];
  const extras = extraParameters(state.config.architecture, shape);
  const addSet = (set: ParameterSet, p: Parameters) => {
    for (const [name, key, dims] of parameterTensors(set, shape, state.config.architecture)) tensors.push([name, { shape: dims, data: p[key] }]);
    for (const extra of extras) tensors.push([`${PREFIX[set]}${extra.layer}.${extra.field}`, { shape: [...extra.dims], data: p[extra.name]! }]);
  };
  const normalizationTensors = () => {
    for (const [name, data] of normalizationVectors(normalization)) tensors.push([`normalization.${name}`, { shape: [shape.inputSize], data }]);
  };
  if (stored) {
    // Encoder first, the decoder's weights last: the encode-only reader (encoder-file.ts) needs a
    // prefix of the file, not the decoder's n·h weights.
    const p = state.parameters;
    const dims = parameterShapes(shape);
    tensors.push(...storedTensors('W1', stored.W1, dims.W1));
    tensors.push([tensorNameOf('b1', state.config.architecture), { shape: dims.b1, data: p.b1 }]);
    for (const extra of extras) tensors.push([`${extra.layer}.${extra.field}`, { shape: [...extra.dims], data: p[extra.name]! }]);
    tensors.push([tensorNameOf('b2', state.config.architecture), { shape: dims.b2, data: p.b2 }]);
    normalizationTensors();
    tensors.push(...storedTensors('W2', stored.W2, dims.W2));
  } else {
    addSet('parameters', state.parameters);
    normalizationTensors();
  }
  if (optimizerState) {
    addSet('m', optimizerState.m);
    addSet('v', optimizerState.v);
  }
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    version: String(versionOf(state)),
    inputSize: String(shape.inputSize),
    hiddenSize: String(shape.hiddenSize),
    weightLayout: WEIGHT_LAYOUT,
    normalization: normalization.kind,
    config: JSON.stringify(state.config),
    training: JSON.stringify({ ...state.training, backend: state.trainedWith }),
    metrics: JSON.stringify(state.metrics ?? {}),
  };
  // Only bf16 and int8 files say so: a float32 file is byte for byte what it was before dtypes.
  if (stored) metadata.weightDtype = stored.dtype;
  // As the JSON file writes it, so either file converts to the other and back unchanged.
  const history = keptHistory(state);
  metadata.lossHistory = JSON.stringify(lossToJson(history.lossHistory));
  if (optimizerState) metadata.optimizer = JSON.stringify({ kind: 'adam', step: optimizerState.step });
  if (state.stepsSinceFired) metadata.stepsSinceFired = JSON.stringify(Array.from(state.stepsSinceFired));
  if (history.validationHistory) metadata.validationHistory = JSON.stringify(validationToJson(history.validationHistory));
  if (history.bestEpoch !== null) metadata.bestEpoch = JSON.stringify(history.bestEpoch);
  if (history.historyEpochs) metadata.historyEpochs = JSON.stringify(history.historyEpochs);
  // version 2 (model-file.ts): an imported model's per-row normalisation and its source
  if (state.rowNormalization) metadata.normalizationPerRow = state.rowNormalization;
  if (state.source) metadata.source = JSON.stringify(state.source);
  if (state.logFeatureDensity) metadata.logFeatureDensity = JSON.stringify(Array.from(state.logFeatureDensity));
  return encodeSafetensors(tensors, metadata);
}

/** The tensor of a stored weight matrix, and its per-unit scales (int8): `encoder.weight` and `encoder.weight_scale`. */
function storedTensors(key: 'W1' | 'W2', matrix: StoredMatrix, dims: number[]): [string, Float32Tensor | RawTensor][] {
  const name = tensorNameOf(key);
  if (matrix.dtype === 'f32') return [[name, { shape: dims, data: matrix.values }]];
  if (matrix.dtype === 'bf16') return [[name, { dtype: 'BF16', shape: dims, bytes: littleEndianBytes(matrix.bits) }]];
  return [
    [name, { dtype: 'I8', shape: dims, bytes: new Uint8Array(matrix.q.buffer, matrix.q.byteOffset, matrix.q.byteLength) }],
    [scaleTensorName(key), { shape: [matrix.scales.length], data: matrix.scales }],
  ];
}

/** An int8 weight's per-unit scales: "encoder.weight_scale" [h], "decoder.weight_scale" [h]. */
export const scaleTensorName = (key: 'W1' | 'W2'): string => `${tensorNameOf(key)}_scale`;

/** The safetensors dtype of each weight dtype. */
const TENSOR_DTYPE = { f32: 'F32', bf16: 'BF16', int8: 'I8' } as const satisfies Record<WeightDtype, Dtype>;

/** The dtype each tensor of a model file must have, from its metadata's weightDtype (safetensors.ts's dtypeOf). */
function modelTensorDtype(name: string, metadata: Record<string, string>): { dtype: Dtype; why: string } {
  const weightDtype = metadata.weightDtype ?? 'f32';
  if (!isWeightDtype(weightDtype) || weightDtype === 'f32' && metadata.weightDtype !== undefined) {
    throw new ModelFileError('__metadata__.weightDtype', `must be "bf16" or "int8" (absent: float32 weights), got ${describeValue(metadata.weightDtype)}`);
  }
  if (weightDtype !== 'f32' && (name === tensorNameOf('W1') || name === tensorNameOf('W2'))) {
    return { dtype: TENSOR_DTYPE[weightDtype], why: `the file's weightDtype is ${weightDtype}` };
  }
  return { dtype: 'F32', why: weightDtype === 'f32' ? 'edge-sae models are float32' : 'only the weight matrices take the weightDtype' };
}

const isOptimizerTensor = (name: string) => name.startsWith('optimizer.');

/**
 * The bytes of a binary model file an encoder needs (readBinaryModelFile's encoderOnly): all but
 * the decoder's weights and Adam's moments when those come last (bf16 and int8 files), else the
 * inference bytes.
 */
export function encoderBytes(bytes: Uint8Array): number {
  return prefixLength(bytes, (name) => !isOptimizerTensor(name) && !isDecoderWeight(name)) ?? inferenceBytes(bytes);
}

/**
 * The bytes of a binary model file that inference needs: the header, the parameters and the
 * normalisation, which the writer stores before Adam's moments (a third of the file with them).
 * A reader of `inferenceBytes(file)` bytes of it reads it with `{ withoutOptimizer: true }`.
 */
export function inferenceBytes(bytes: Uint8Array): number {
  return prefixLength(bytes, (name) => !isOptimizerTensor(name)) ?? bytes.length;
}

export interface BinaryReadOptions {
  /**
   * The bytes may stop before Adam's moments (a prefix of inferenceBytes() bytes or more): the
   * model is read without optimizer state, for inference.
   */
  withoutOptimizer?: boolean;
  /**
   * Leave the histories (lossHistory, validationHistory, bestEpoch, historyEpochs) unparsed and
   * empty: inference does not need them (the Worker's cold encode path), only pictures and training do.
   */
  withoutHistory?: boolean;
  /**
   * Only what encoding reads (src/model/encoder-file.ts): the decoder's weights are not read (the
   * bytes may stop before them, a bf16 / int8 file's encoder prefix) and come back empty, and a
   * bf16 or int8 W_enc is left as stored (`stored.W1`; parameters.W1 empty), not widened. Implies
   * withoutOptimizer. Such a state encodes; it is no model (do not write or train it).
   */
  encoderOnly?: boolean;
  /**
   * With encoderOnly: encoder.weight is not among the bytes (src/model/encoder-file-node.ts reads
   * it from the file itself, a block of rows at a time). stored.W1 comes back empty (an int8 file's
   * scales read and checked), parameters.W1 too.
   */
  encoderWeightApart?: boolean;
}

const EMPTY = new Float32Array(0);

/** The decoder's weight tensors, which an encoder-only read leaves out. */
const isDecoderWeight = (name: string) => name === tensorNameOf('W2') || name === scaleTensorName('W2');

/**
 * Reads and checks a binary model file. Throws ModelFileError naming the first field that does
 * not match: the header and byte ranges, a tensor (missing, extra, wrong shape or dtype, a
 * non-finite value), or a metadata field as the JSON reader names it (e.g. config.sparsityTarget).
 */
export function readBinaryModelFile(bytes: Uint8Array, source?: string, options: BinaryReadOptions = {}): ModelState {
  const encoderOnly = options.encoderOnly === true;
  const apart = encoderOnly && options.encoderWeightApart === true;
  const withoutOptimizer = options.withoutOptimizer === true || encoderOnly;
  const { tensors, raw, metadata, omitted } = decodeSafetensors(bytes, source, { prefix: withoutOptimizer, dtypeOf: modelTensorDtype });
  const read: FieldReader = new FieldReader(source);
  const cut = omitted.find((name) => !isOptimizerTensor(name) && !(encoderOnly && isDecoderWeight(name)));
  if (cut !== undefined) read.fail(`${cut}.data_offsets`, encoderOnly ? 'is past the end of the bytes read (an encoder needs every tensor but the decoder\'s weights)' : 'is past the end of the bytes read (only Adam\'s moments may be left out)');
  if (metadata.weightLayout !== WEIGHT_LAYOUT) {
    read.fail('__metadata__.weightLayout', `must be "${WEIGHT_LAYOUT}" (weights stored [inputs, outputs]), got ${describeValue(metadata.weightLayout)}`);
  }
  const json = (key: string, fallback: unknown): unknown => {
    const text = metadata[key];
    if (text === undefined) return fallback;
    checkJsonDepth(text, () => `__metadata__.${key}`, source);
    try {
      return JSON.parse(text);
    } catch {
      return read.fail(`__metadata__.${key}`, 'must be JSON text');
    }
  };
  // The JSON file's layout, so the checks (and the field names in errors) are the JSON reader's.
  const file: Record<string, unknown> = {
    format: metadata.format,
    version: integerText(metadata.version),
    inputSize: integerText(metadata.inputSize),
    hiddenSize: integerText(metadata.hiddenSize),
    normalization: { kind: metadata.normalization, ...(metadata.normalizationPerRow !== undefined ? { perRow: metadata.normalizationPerRow } : {}) },
    ...(metadata.source !== undefined ? { source: json('source', undefined) } : {}),
    ...(metadata.logFeatureDensity !== undefined ? { logFeatureDensity: json('logFeatureDensity', undefined) } : {}),
    config: json('config', undefined),
    training: json('training', {}),
    optimizerState: withoutOptimizer ? undefined : json('optimizer', undefined),
    metrics: json('metrics', {}),
    stepsSinceFired: json('stepsSinceFired', undefined),
    ...(options.withoutHistory === true
      ? { lossHistory: [] }
      : {
          lossHistory: json('lossHistory', []),
          validationHistory: json('validationHistory', undefined),
          bestEpoch: json('bestEpoch', undefined),
          historyEpochs: json('historyEpochs', undefined),
        }),
  };

  const used = new Set<string>();
  const tensor = (name: string, dims: number[]): Float32Array => {
    const found = tensors.get(name);
    if (!found) read.fail(name, `is missing (a tensor of shape [${dims.join(', ')}])`);
    if (found.shape.length !== dims.length || found.shape.some((size, k) => size !== dims[k])) {
      read.fail(`${name}.shape`, `must be [${dims.join(', ')}] (inputSize ${file.inputSize}, hiddenSize ${file.hiddenSize}), got [${found.shape.join(', ')}]`);
    }
    checkFinite(found.data, name, dims, read);
    used.add(name);
    return found.data;
  };
  const weightDtype = (metadata.weightDtype ?? 'f32') as WeightDtype;
  const kept: { stored: StoredWeights | null } = { stored: null };
  const numbers: TensorSource = {
    parameters: (set, shape, architecture) => {
      const out = {} as Parameters;
      if (set === 'parameters' && weightDtype !== 'f32') {
        if (metadata.optimizer !== undefined) read.fail('__metadata__.optimizer', `a ${weightDtype} model has no optimizer state (it cannot train: docs/MODEL-FORMAT.md)`);
        const dims = parameterShapes(shape);
        const W1: StoredMatrix = !apart
          ? storedMatrix(raw, tensors, 'W1', dims.W1, weightDtype, read, used, file)
          : weightDtype === 'int8'
            ? { dtype: 'int8', q: new Int8Array(0), scales: readScales(tensors, 'W1', dims.W1[1]!, read, used) }
            : { dtype: 'bf16', bits: new Uint16Array(0) };
        const W2: StoredMatrix = encoderOnly ? { dtype: 'f32', values: EMPTY } : storedMatrix(raw, tensors, 'W2', dims.W2, weightDtype, read, used, file);
        kept.stored = { dtype: weightDtype, W1, W2 };
        out.W1 = encoderOnly ? EMPTY : widenMatrix(W1, dims.W1[0]!, dims.W1[1]!, UNIT_AXIS.W1);
        out.b1 = tensor(tensorNameOf('b1', architecture), dims.b1);
        out.W2 = encoderOnly ? EMPTY : widenMatrix(W2, dims.W2[0]!, dims.W2[1]!, UNIT_AXIS.W2);
        out.b2 = tensor(tensorNameOf('b2', architecture), dims.b2);
        return out;
      }
      for (const [name, key, dims] of parameterTensors(set, shape, architecture)) out[key] = (encoderOnly && key === 'W2') || (apart && key === 'W1') ? EMPTY : tensor(name, dims);
      return out;
    },
    // A copy (n floats): the model keeps its normalisation, and a view would keep the whole file.
    normalization: (vector, length) => tensor(`normalization.${vector}`, [length]).slice(),
    extra: (set, { layer, field, dims }) => tensor(`${PREFIX[set]}${layer}.${field}`, [...dims]),
    momentName: (set, key, architecture) => `${PREFIX[set]}${tensorNameOf(key, architecture)}`,
  };
  const state = readModelFields(read, file, numbers);
  if (kept.stored) state.stored = kept.stored;
  for (const name of [...tensors.keys(), ...raw.keys()]) {
    if (withoutOptimizer && isOptimizerTensor(name)) continue;
    if (encoderOnly && isDecoderWeight(name)) continue;
    if (!used.has(name)) read.fail(name, 'is not a tensor of this model (see docs/MODEL-FORMAT.md for the names)');
  }
  return state;
}

/**
 * A bf16 or int8 weight matrix of the file, checked: its shape, no bf16 NaN or Infinity, no int8
 * −128 (the quantiser's range is symmetric, and the kernels' integer sums assume it), and for
 * int8 its scales tensor [h], finite and ≥ 0. Views of the file's bytes where aligned.
 */
function storedMatrix(
  raw: Map<string, Tensor>,
  tensors: Map<string, Float32Tensor>,
  key: 'W1' | 'W2',
  dims: number[],
  dtype: 'bf16' | 'int8',
  read: FieldReader,
  used: Set<string>,
  file: Record<string, unknown>,
): StoredMatrix {
  const name = tensorNameOf(key);
  const found = raw.get(name);
  if (!found) read.fail(name, `is missing (a ${TENSOR_DTYPE[dtype]} tensor of shape [${dims.join(', ')}])`);
  if (found.shape.length !== 2 || found.shape[0] !== dims[0] || found.shape[1] !== dims[1]) {
    read.fail(`${name}.shape`, `must be [${dims.join(', ')}] (inputSize ${file.inputSize}, hiddenSize ${file.hiddenSize}), got [${found.shape.join(', ')}]`);
  }
  used.add(name);
  const cols = dims[1]!;
  if (dtype === 'bf16') {
    const bits = uint16s(found.bytes);
    if (!bf16AllFinite(bits)) for (let k = 0; k < bits.length; k++) {
      if ((bits[k]! & 0x7f80) === 0x7f80) read.fail(`${name}[${Math.floor(k / cols)}][${k % cols}]`, `must be a finite bfloat16 number, got ${(bits[k]! & 0x7f) === 0 ? (bits[k]! & 0x8000 ? '-Infinity' : 'Infinity') : 'NaN'}`);
    }
    return { dtype, bits };
  }
  const q = new Int8Array(found.bytes.buffer, found.bytes.byteOffset, found.bytes.byteLength);
  for (let k = 0; k < q.length; k++) {
    if (q[k] === -128) read.fail(`${name}[${Math.floor(k / cols)}][${k % cols}]`, 'must be in [-127, 127] (int8 weights are symmetric), got -128');
  }
  return { dtype, q, scales: readScales(tensors, key, key === 'W1' ? dims[1]! : dims[0]!, read, used) };
}

/** An int8 weight's per-unit scales tensor [units], checked: finite and ≥ 0. */
function readScales(tensors: Map<string, Float32Tensor>, key: 'W1' | 'W2', units: number, read: FieldReader, used: Set<string>): Float32Array {
  const scaleName = scaleTensorName(key);
  const scale = tensors.get(scaleName);
  if (!scale) read.fail(scaleName, `is missing (the int8 weight's per-unit scales, an F32 tensor of shape [${units}])`);
  if (scale.shape.length !== 1 || scale.shape[0] !== units) read.fail(`${scaleName}.shape`, `must be [${units}] (one scale per hidden unit), got [${scale.shape.join(', ')}]`);
  for (let j = 0; j < units; j++) {
    const v = scale.data[j]!;
    if (!Number.isFinite(v) || v < 0) read.fail(`${scaleName}[${j}]`, `must be a finite number ≥ 0, got ${v}`);
  }
  used.add(scaleName);
  return scale.data;
}

/** bf16 bits of little-endian bytes: a view when aligned on a little-endian machine, else a copy. */
function uint16s(bytes: Uint8Array): Uint16Array {
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const out = new Uint16Array(bytes.byteLength / 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let k = 0; k < out.length; k++) out[k] = view.getUint16(2 * k, true);
  return out;
}

/** The little-endian bytes of bf16 bits (a view on a little-endian machine). */
function littleEndianBytes(bits: Uint16Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
  const out = new Uint8Array(bits.byteLength);
  const view = new DataView(out.buffer);
  for (let k = 0; k < bits.length; k++) view.setUint16(2 * k, bits[k]!, true);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** "12" → 12, so the JSON reader's integer checks apply; anything else stays text and fails there. */
function integerText(text: string | undefined): unknown {
  return text !== undefined && /^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : text;
}

/** True when no value of `bits` (float32 bit patterns) is NaN or ±Infinity. */
function noneNonFinite(bits: Int32Array): boolean {
  const EXPONENT = 0x7f800000;
  const CARRY = 0x00800000;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  const end4 = bits.length & ~3;
  let k = 0;
  for (; k < end4; k += 4) {
    a0 |= (bits[k]! & EXPONENT) + CARRY;
    a1 |= (bits[k + 1]! & EXPONENT) + CARRY;
    a2 |= (bits[k + 2]! & EXPONENT) + CARRY;
    a3 |= (bits[k + 3]! & EXPONENT) + CARRY;
  }
  for (; k < bits.length; k++) a0 |= (bits[k]! & EXPONENT) + CARRY;
  return ((a0 | a1 | a2 | a3) & 0x80000000) === 0;
}

/** Names the first NaN or ±Infinity as name[i][j] (matrices) or name[k]. */
function checkFinite(data: Float32Array, name: string, dims: number[], read: FieldReader): void {
  // A float32 is NaN or ±Infinity exactly when its exponent bits are all ones; adding one to the
  // exponent field then carries into the sign bit. So one branch-free pass over the bits (a
  // million values at 784 → 196 with Adam's state; four accumulators, ≈ 35% faster than one
  // chain of x·0 sums in V8), and a search only when it fails.
  if (noneNonFinite(new Int32Array(data.buffer, data.byteOffset, data.length))) return;
  for (let k = 0; k < data.length; k++) {
    if (Number.isFinite(data[k]!)) continue;
    const at = dims.length === 2 ? `[${Math.floor(k / dims[1]!)}][${k % dims[1]!}]` : `[${k}]`;
    read.fail(`${name}${at}`, `must be a finite float32 number, got ${String(data[k])}`);
  }
}
