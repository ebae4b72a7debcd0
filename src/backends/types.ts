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

export type BackendName = 'assemblyscript' | 'tfjs-wasm' | 'tfjs-cpu';
export type BackendChoice = 'auto' | BackendName;
export type Reduction = 'sum' | 'mean';

/** The layer sizes of a model: input n, hidden h. */
export interface LayerShape {
  readonly inputSize: number;
  readonly hiddenSize: number;
}

/** The four parameter arrays, in the order they are stored, drawn and written everywhere. */
export const PARAMETER_NAMES = ['W1', 'b1', 'W2', 'b2'] as const;
export type ParameterName = (typeof PARAMETER_NAMES)[number];

/** The model's parameters, row-major float32. */
export type Parameters = Record<ParameterName, Float32Array>;

/** The dimensions of each parameter: W1 [n, h], b1 [h], W2 [h, n], b2 [n]. */
export function parameterShapes(shape: LayerShape): Record<ParameterName, number[]> {
  const { inputSize: n, hiddenSize: h } = shape;
  return { W1: [n, h], b1: [h], W2: [h, n], b2: [n] };
}

/** How many values each parameter holds: n·h, h, h·n, n. */
export function parameterSizes(shape: LayerShape): Record<ParameterName, number> {
  const { inputSize: n, hiddenSize: h } = shape;
  return { W1: n * h, b1: h, W2: h * n, b2: n };
}

/** All the model's learned values: 2·n·h + h + n. */
export function parameterCount(shape: LayerShape): number {
  const sizes = parameterSizes(shape);
  return PARAMETER_NAMES.reduce((total, name) => total + sizes[name], 0);
}

/**
 * The three models (docs/ARCHITECTURES.md): the tutorial's sigmoid autoencoder, and the two
 * dictionary-learning SAEs with a linear decoder, ReLU + decoder-norm-weighted L1 and TopK.
 */
export const ARCHITECTURES = ['sigmoid', 'relu', 'topk'] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

/**
 * What fixes the forward pass: the architecture and, for topk, k (the codes kept per row). A
 * session is made for one; every LossConfig it is given must name the same.
 */
export interface Architecture {
  readonly architecture: ArchitectureName;
  /** topk only: the number of codes kept per row, 1 ≤ k ≤ h. */
  readonly k: number;
}

/** The tutorial's model; what a session is made for when no architecture is given. */
export const SIGMOID_ARCHITECTURE: Architecture = { architecture: 'sigmoid', k: 0 };

/** The architecture a loss config names (absent: sigmoid); k is kept only for topk. */
export function architectureOf(loss: Partial<Pick<LossConfig, 'architecture' | 'k'>>): Architecture {
  const architecture = loss.architecture ?? 'sigmoid';
  return architecture === 'topk' ? { architecture, k: loss.k ?? 0 } : { architecture, k: 0 };
}

/**
 * The hyperparameters of the loss in docs/SPEC.md section 2.
 *
 * sigmoid uses ρ, β, α and the reduction. relu and topk use the loss of Anthropic (2024) and Gao
 * et al. (2024), with the mean over the batch fixed and no weight decay: relu uses β as the L1
 * weight λ; topk uses k, auxK, auxCoefficient and deadSteps (src/reference/linear-sae-reference.ts).
 */
export interface LossConfig {
  /** Absent: "sigmoid". */
  readonly architecture?: ArchitectureName;
  /** topk: codes kept per row. */
  readonly k?: number;
  /** topk: dead units whose pre-activations reconstruct the residual in the AuxK loss. */
  readonly auxK?: number;
  /** topk: weight of the AuxK loss. */
  readonly auxCoefficient?: number;
  /** topk: a unit is dead when it has not fired on any row of this many consecutive steps. */
  readonly deadSteps?: number;
  /** ρ: target mean activation of each hidden unit, in (0, 1). */
  readonly sparsityTarget: number;
  /** β: weight of the KL sparsity penalty. */
  readonly sparsityWeight: number;
  /** α: weight decay on W1 and W2 (biases are not decayed). */
  readonly weightDecay: number;
  /** "sum" (r = 1) or "mean" (r = 1/m) for the reconstruction term. */
  readonly reduction: Reduction;
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

/** The three terms of the loss on one batch, and their sum. */
export interface LossTerms {
  loss: number;
  reconstruction: number;
  weightDecay: number;
  sparsity: number;
}

export interface ForwardResult {
  /** Hidden activations a = σ(X·W1 + b1), [m×h] (relu, topk: the codes). */
  hidden: Float32Array;
  /** Outputs y = σ(a·W2 + b2), [m×n] (relu, topk: x̂ = a·W2 + b2). */
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
   * topk's dead-unit bookkeeping: for each hidden unit, the training steps since it last fired
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
   * Returns the loss terms of that batch before the update. topk: the AuxK term uses the units
   * dead before the step; after the update the decoder rows are scaled to unit norm.
   */
  trainStep(rowIndices: Uint32Array | null, loss: LossConfig, optimizer: OptimizerConfig): LossTerms;

  /** Forward pass on `rows` rows of x (normalised). */
  forward(x: Float32Array, rows: number): ForwardResult;
  /** decode(a) = σ(a·W2 + b2) (sigmoid), a·W2 + b2 (relu, topk). */
  decode(hidden: Float32Array, rows: number): Float32Array;
  /** Loss terms and the full gradient (weight decay included) on a batch; no update (topk: the units dead now). */
  gradients(x: Float32Array, rows: number, loss: LossConfig): GradientResult;

  /** Frees what the session holds (wasm instance, tensors). The session is unusable after. */
  dispose(): void;
}

export interface KernelBackend {
  readonly name: BackendName;
  /** A session for `architecture` (default: sigmoid). */
  createSession(shape: LayerShape, params: Parameters, architecture?: Architecture): BackendSession;
}
