/**
 * The kernel-backend interface: the only thing the model knows about how the math runs.
 *
 * A backend creates sessions; a session owns one model's parameters (and optimizer state and the
 * uploaded training data) in the backend's own memory — WebAssembly linear memory for the
 * AssemblyScript backend, tensors for the tfjs backends — so a training step moves nothing
 * between JavaScript and the backend except the few scalars of the loss.
 *
 * All matrices are row-major float32: W1 [n×h], b1 [h], W2 [h×n], b2 [n], X [m×n].
 *
 * The contract every session keeps (checked once for all backends by checked-session.ts, and by
 * the conformance suite test/conformance/suite.ts on every backend):
 * - Arrays are Float32Array; a matrix of `rows` rows has exactly rows × width values. A wrong
 *   length, a non-integer or negative row count, a row index outside the training data, an empty
 *   batch or a call after `dispose()` throws a RangeError (Error for use after dispose, or before
 *   any training data) naming the method and the argument; nothing in the session changes.
 * - `forward` and `decode` of 0 rows return empty arrays (encoding no rows gives no codes);
 *   `gradients` and `trainStep` need at least one row (the loss of an empty batch is undefined),
 *   and so does `setTrainingData`.
 * - A session copies what it is given and hands out copies: changing an array passed in or
 *   returned later changes nothing inside.
 * - `dispose()` may be called again (it does nothing the second time).
 */
import type { StoredMatrix, StreamedMatrix } from './weight-matrix.js';
import { outputWidth, sizeOf, type BaseArchitecture, type BaseLossConfig, type LayerShape, type LossTerms, type ParameterName, type Parameters } from '../architectures/contract.js';
import { architectureModule, isArchitectureName, type ArchitectureName } from '../architectures/registry.js';

export type BackendName = 'assemblyscript' | 'tfjs-wasm' | 'tfjs-cpu';
export type BackendChoice = 'auto' | BackendName;

export { dictionaryParameters, PARAMETER_NAMES, sizeOf } from '../architectures/contract.js';
export type { LayerShape, LossTerms, ParameterName, Parameters, ParameterSpec, Reduction } from '../architectures/contract.js';
export { ARCHITECTURES } from '../architectures/registry.js';
export type { ArchitectureName } from '../architectures/registry.js';

/** The dimensions of each of the dictionary's parameters: W1 [n, h], b1 [h], W2 [h, n], b2 [n] (a transcoder: W2 [h, d_out], b2 [d_out]). */
export function parameterShapes(shape: LayerShape): Record<ParameterName, number[]> {
  const { inputSize: n, hiddenSize: h } = shape;
  const out = outputWidth(shape);
  return { W1: [n, h], b1: [h], W2: [h, out], b2: [out] };
}

/** How many values each of the dictionary's parameters holds: n·h, h, h·n, n (a transcoder: h·d_out, d_out). */
export function parameterSizes(shape: LayerShape): Record<ParameterName, number> {
  const { inputSize: n, hiddenSize: h } = shape;
  const out = outputWidth(shape);
  return { W1: n * h, b1: h, W2: h * out, b2: out };
}

/** All the model's learned values: Σ over the architecture's parameters (default: the dictionary's 2·n·h + h + n). */
export function parameterCount(shape: LayerShape, architecture: ArchitectureName = 'sigmoid'): number {
  return architectureModule(architecture).parameters(shape).reduce((total, spec) => total + sizeOf(spec.dims), 0);
}

/**
 * What fixes the forward pass: the architecture and, for TopK, k (the codes kept per row). A
 * session is made for one; every LossConfig it is given must name the same.
 */
export interface Architecture extends BaseArchitecture {
  readonly architecture: ArchitectureName;
  /** TopK only: the number of codes kept per row, 1 ≤ k ≤ h (0 for the others). */
  readonly k: number;
}

/** The tutorial's model; what a session is made for when no architecture is given. */
export const SIGMOID_ARCHITECTURE: Architecture = { architecture: 'sigmoid', k: 0 };

/** The architecture a loss config names (absent: sigmoid), as its module reads it (k is kept only for TopK). */
export function architectureOf(loss: Partial<Pick<LossConfig, 'architecture' | 'k'>>): Architecture {
  const name = loss.architecture ?? 'sigmoid';
  // an unregistered name is kept as it is, for the caller's check to name it (checked-session.ts)
  if (!isArchitectureName(name)) return { architecture: name, k: 0 };
  return { ...architectureModule(name).sessionArchitecture(loss), architecture: name };
}

/**
 * The hyperparameters of the loss in docs/SPEC.md section 2; each architecture reads its own
 * (src/architectures/contract.ts, BaseLossConfig).
 */
export interface LossConfig extends BaseLossConfig {
  /** Absent: "sigmoid". */
  readonly architecture?: ArchitectureName;
}

export type OptimizerConfig = (
  | {
      readonly kind: 'adam';
      readonly learningRate: number;
      readonly beta1: number;
      readonly beta2: number;
      readonly epsilon: number;
    }
  | { readonly kind: 'sgd'; readonly learningRate: number }
) & {
  /**
   * Gradient clipping by global norm (0 or absent: none): when ‖g‖₂ over all four gradients
   * together (weight decay included) exceeds it, every gradient is scaled by clipNorm/‖g‖₂ before
   * the update, as torch.nn.utils.clip_grad_norm_ (SAELens' option) does.
   */
  readonly clipNorm?: number;
};

/** Adam's moments and step count; `step` is the number of updates already applied. */
export interface AdamState {
  step: number;
  m: Parameters;
  v: Parameters;
}


export interface ForwardResult {
  /** Hidden activations a = σ(X·W1 + b1), [m×h] (relu, TopK: the codes). */
  hidden: Float32Array;
  /** Outputs y = σ(a·W2 + b2), [m×n] (relu, TopK: x̂ = a·W2 + b2). */
  output: Float32Array;
}

export interface GradientResult {
  terms: LossTerms;
  /** Mean activation of each hidden unit over the batch (ρ̂), [h]. */
  meanActivation: Float32Array;
  gradients: Parameters;
}

/** One model's state living inside a backend. */
export interface BackendSession {
  readonly shape: LayerShape;
  /** The forward pass this session computes; every LossConfig it is given names the same. */
  readonly architecture: Architecture;

  /** Copies the parameters out of the backend. */
  getParameters(): Parameters;
  /** Replaces the parameters (shapes must match). */
  setParameters(params: Parameters): void;

  /** Adam state, or null when no Adam step has run and none was set. */
  getOptimizerState(): AdamState | null;
  setOptimizerState(state: AdamState | null): void;

  /**
   * TopK's dead-unit bookkeeping: for each hidden unit, the training steps since it last fired
   * (a > 0 on some row of a batch), [h]; all 0 for a new session. A unit is dead when its count
   * is at least the loss's deadSteps. Every trainStep updates it (for every architecture).
   */
  getStepsSinceFired(): Uint32Array;
  setStepsSinceFired(steps: Uint32Array): void;

  /** Uploads the (already normalised) training data once: `rows` rows of n values. */
  setTrainingData(x: Float32Array, rows: number): void;

  /**
   * One optimizer step on the training-data rows named by `rowIndices` (in that order), or on
   * all rows in their stored order when `rowIndices` is null (full batch).
   * Returns the loss terms of that batch before the update. TopK: the AuxK term uses the units
   * dead before the step; after the update the decoder rows are scaled to unit norm.
   */
  trainStep(rowIndices: Uint32Array | null, loss: LossConfig, optimizer: OptimizerConfig): LossTerms;

  /** Forward pass on `rows` rows of x (normalised). */
  forward(x: Float32Array, rows: number): ForwardResult;
  /**
   * The codes of `rows` rows of x (normalised), [rows×h]: forward's `hidden`, bit for bit, from
   * the encoder's parameters alone (no decoder pass).
   */
  encode(x: Float32Array, rows: number): Float32Array;
  /** decode(a) = σ(a·W2 + b2) (sigmoid), a·W2 + b2 (relu, TopK). */
  decode(hidden: Float32Array, rows: number): Float32Array;
  /** Loss terms and the full gradient (weight decay included) on a batch; no update (TopK: the units dead now). */
  gradients(x: Float32Array, rows: number, loss: LossConfig): GradientResult;

  /** Frees what the session holds (wasm instance, tensors). The session is unusable after. */
  dispose(): void;
}

/**
 * What an encode-only session is made of (src/backends/assemblyscript/encode-session.ts): the
 * encoder's parameters alone, W_enc in its stored dtype (src/model/weight-dtype.ts).
 */
export interface EncoderParts {
  readonly shape: LayerShape;
  readonly architecture: Architecture;
  /** W_enc [n × h] as stored: f32 values, bf16 bits, or int8 with per-unit scales; or streamed from a file. */
  readonly W1: StoredMatrix | StreamedMatrix;
  readonly b1: Float32Array;
  /** b_dec [n], read when the architecture centres its input (AsLinearEncoder.centred); else null. */
  readonly b2: Float32Array | null;
  /** The architecture's other encoder parameters (jumprelu's theta), by name. */
  readonly extras: Readonly<Record<string, Float32Array>>;
}

/** A session that only encodes: the codes of normalised rows, nothing else. */
export interface EncoderSession {
  readonly shape: LayerShape;
  /** Bytes of W_enc as the kernels read it (what one row's encode streams). */
  readonly weightBytes: number;
  /** The codes of `rows` rows of x (normalised, finite), [rows×h]. */
  encode(x: Float32Array, rows: number): Float32Array;
  dispose(): void;
}

export interface KernelBackend {
  readonly name: BackendName;
  /** A session for `architecture` (default: sigmoid). */
  createSession(shape: LayerShape, params: Parameters, architecture?: Architecture): BackendSession;
  /**
   * An encode-only session, when this backend has one for this architecture (the AssemblyScript
   * backend, for an architecture whose encoder is linear + activation); null otherwise (then
   * encoding runs a full session's encode).
   */
  createEncoder?(parts: EncoderParts): EncoderSession | null;
}
