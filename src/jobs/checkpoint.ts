/**
 * A training checkpoint as one binary object: everything needed to resume a run exactly, written
 * after every slice of a job. Parameters and Adam moments are stored as raw float32 (bit exact, no
 * decimal round trip); the position and loss history as a small JSON header.
 *
 * ```
 * offset 0   "ESCK"                      magic
 *        4   u32 LE  header length L     (bytes of UTF-8 JSON)
 *        8   header JSON                 { version, shape, position, lossHistory, adamStep | null, stepsSinceFired | null,
 *                                          validationHistory?, standardization?, earlyStopping?, best?, metrics? }
 *   8+L..    zero padding to a multiple of 4
 *        P   float32 LE payload          W1 b1 W2 b2, then (Adam only) m.W1 m.b1 m.W2 m.b2 v.W1 v.b1 v.W2 v.b2
 *                                        (each set in PARAMETER_NAMES order, sized by parameterSizes),
 *                                        then with `best`: the best epoch's sets, in the same order
 *                                        (its Adam moments when best.adamStep is not null)
 * ```
 *
 * With early stopping (patience) the run keeps its best epoch so far: the counters
 * (`earlyStopping`: best validation loss, its epoch, epochs waited since) and that epoch's
 * weights, Adam state and topk dead-unit counts (`best`) — all the library's EpochLoop keeps,
 * since the finished model file holds the Adam state too. Files without these fields (written
 * before jobs took early stopping) read as "no early-stopping state yet"; the version stays 1.
 *
 * The loss history is kept as JSON numbers (float64, which JSON round-trips exactly).
 *
 * Once the run's steps are done, the final metrics pass runs over slices too (MetricsPass): `metrics`
 * is where it is (the parts finished, the next shard, the float64 sums so far), with the numbers
 * JSON cannot carry (NaN, ±Infinity, −0) written as strings, so a resumed pass ends bit for bit
 * where an unbroken one does.
 */
import { PARAMETER_NAMES, parameterCount, parameterSizes, type AdamState, type LayerShape, type Parameters } from '../backends/types.js';
import type { Normalization } from '../model/normalization.js';
import type { EarlyStoppingState } from '../model/early-stopping.js';
import type { KeptWeights } from '../model/epoch-loop.js';
import type { TrainingPosition } from '../model/training-run.js';
import type { MetricsProgress } from '../model/metrics-pass.js';

const MAGIC = 0x4b435345; // "ESCK" read as a little-endian u32
const FORMAT_VERSION = 1;

export interface Checkpoint {
  shape: LayerShape;
  /** Where the run is (epoch, batch, RNG state at the start of the epoch, Σ loss so far in it). */
  position: TrainingPosition;
  /** The loss of every finished epoch of the run so far. */
  lossHistory: number[];
  parameters: Parameters;
  optimizerState: AdamState | null;
  /** topk's steps since each unit last fired (null for the other architectures). */
  stepsSinceFired: Uint32Array | null;
  /** With validationSplit: the validation loss of every finished epoch (absent: none). */
  validationHistory?: number[];
  /**
   * normalize "standardize": the scaling fitted in the run's first slice (two passes over the
   * shards), so a resumed run neither repeats them nor could fit other values. Absent otherwise.
   */
  normalization?: Extract<Normalization, { kind: 'standardize' }>;
  /** With early stopping: its counters (absent: none yet, or no patience). */
  earlyStopping?: EarlyStoppingState;
  /** With early stopping: the best epoch's weights, Adam state and dead-unit counts so far. */
  best?: KeptWeights;
  /** Once every step has run: how far the final metrics pass has got (absent: not begun). */
  metrics?: MetricsProgress;
}

interface Header {
  version: number;
  shape: LayerShape;
  position: TrainingPosition;
  lossHistory: number[];
  adamStep: number | null;
  /** Absent in checkpoints written before topk saved it: all 0. */
  stepsSinceFired?: number[] | null;
  validationHistory?: number[];
  /** float32 values as JSON numbers (exact both ways). */
  standardization?: { mean: number[]; std: number[] };
  earlyStopping?: EarlyStoppingState;
  /** The best epoch's sets follow the run's in the payload. */
  best?: { adamStep: number | null; stepsSinceFired: number[] | null };
  /** MetricsProgress with its numbers through exactNumbers. */
  metrics?: unknown;
}

/** Serialises a checkpoint (little-endian, as every Workers and Node host is). */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const header: Header = {
    version: FORMAT_VERSION,
    shape: checkpoint.shape,
    position: checkpoint.position,
    lossHistory: checkpoint.lossHistory,
    adamStep: checkpoint.optimizerState?.step ?? null,
    stepsSinceFired: checkpoint.stepsSinceFired ? Array.from(checkpoint.stepsSinceFired) : null,
    ...(checkpoint.validationHistory?.length ? { validationHistory: checkpoint.validationHistory } : {}),
    ...(checkpoint.normalization ? { standardization: { mean: Array.from(checkpoint.normalization.mean), std: Array.from(checkpoint.normalization.std) } } : {}),
    ...(checkpoint.earlyStopping ? { earlyStopping: checkpoint.earlyStopping } : {}),
    ...(checkpoint.best
      ? { best: { adamStep: checkpoint.best.optimizerState?.step ?? null, stepsSinceFired: checkpoint.best.stepsSinceFired ? Array.from(checkpoint.best.stepsSinceFired) : null } }
      : {}),
    ...(checkpoint.metrics ? { metrics: exactNumbers(checkpoint.metrics) } : {}),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const payloadOffset = align4(8 + headerBytes.length);
  const blocks: Float32Array[] = [];
  const sizes = parameterSizes(checkpoint.shape);
  const setsOf = (parameters: Parameters, state: AdamState | null) => (state ? [parameters, state.m, state.v] : [parameters]);
  const sets = setsOf(checkpoint.parameters, checkpoint.optimizerState);
  if (checkpoint.best) sets.push(...setsOf(checkpoint.best.parameters, checkpoint.best.optimizerState));
  for (const set of sets) {
    for (const name of PARAMETER_NAMES) {
      if (set[name].length !== sizes[name]) throw new Error(`checkpoint: ${name} has ${set[name].length} values, expected ${sizes[name]}`);
      blocks.push(set[name]);
    }
  }
  const floats = blocks.reduce((sum, block) => sum + block.length, 0);
  const out = new Uint8Array(payloadOffset + floats * 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, headerBytes.length, true);
  out.set(headerBytes, 8);
  const payload = new Float32Array(out.buffer, payloadOffset, floats);
  let offset = 0;
  for (const block of blocks) {
    payload.set(block, offset);
    offset += block.length;
  }
  return out;
}

/** Reads a checkpoint written by encodeCheckpoint; throws on anything else. */
export function decodeCheckpoint(bytes: ArrayBuffer | Uint8Array): Checkpoint {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  // Copy so the payload is 4-byte aligned whatever the source buffer's offset.
  const buffer = u8.slice().buffer;
  const view = new DataView(buffer);
  if (buffer.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new Error('checkpoint: bad magic');
  const headerLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength))) as Header;
  if (header.version !== FORMAT_VERSION) throw new Error(`checkpoint: unsupported version ${header.version}`);
  const sizes = parameterSizes(header.shape);
  const perSet = parameterCount(header.shape);
  const setsWith = (adamStep: number | null) => (adamStep === null ? 1 : 3);
  const sets = setsWith(header.adamStep) + (header.best ? setsWith(header.best.adamStep) : 0);
  const payloadOffset = align4(8 + headerLength);
  if (buffer.byteLength !== payloadOffset + sets * perSet * 4) throw new Error('checkpoint: truncated');
  let offset = payloadOffset;
  const readSet = (): Parameters => {
    const set = {} as Parameters;
    for (const name of PARAMETER_NAMES) {
      set[name] = new Float32Array(buffer.slice(offset, offset + sizes[name] * 4));
      offset += sizes[name] * 4;
    }
    return set;
  };
  const parameters = readSet();
  const optimizerState = header.adamStep === null ? null : { step: header.adamStep, m: readSet(), v: readSet() };
  const stepsSinceFired = header.stepsSinceFired ? Uint32Array.from(header.stepsSinceFired) : null;
  const standardization = header.standardization;
  let best: KeptWeights | undefined;
  if (header.best) {
    const bestParameters = readSet();
    const bestAdam = header.best.adamStep === null ? null : { step: header.best.adamStep, m: readSet(), v: readSet() };
    best = { parameters: bestParameters, optimizerState: bestAdam, stepsSinceFired: header.best.stepsSinceFired ? Uint32Array.from(header.best.stepsSinceFired) : null };
  }
  return {
    shape: header.shape,
    position: header.position,
    lossHistory: header.lossHistory,
    parameters,
    optimizerState,
    stepsSinceFired,
    ...(header.validationHistory ? { validationHistory: header.validationHistory } : {}),
    ...(standardization ? { normalization: { kind: 'standardize', mean: Float32Array.from(standardization.mean), std: Float32Array.from(standardization.std) } } : {}),
    ...(header.earlyStopping ? { earlyStopping: header.earlyStopping } : {}),
    ...(best ? { best } : {}),
    ...(header.metrics ? { metrics: fromExactNumbers(header.metrics) as MetricsProgress } : {}),
  };
}

/** Numbers JSON would lose or change, as strings: NaN, ±Infinity (JSON null) and −0 (JSON 0). */
const INEXACT: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

/** `value` with every number JSON cannot carry exactly written as its INEXACT string. */
function exactNumbers(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : Object.is(value, -0) ? '-0' : String(value);
  if (Array.isArray(value)) return value.map(exactNumbers);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, exactNumbers(v)]));
  return value;
}

function fromExactNumbers(value: unknown): unknown {
  if (typeof value === 'string' && value in INEXACT) return INEXACT[value];
  if (Array.isArray(value)) return value.map(fromExactNumbers);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromExactNumbers(v)]));
  return value;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
