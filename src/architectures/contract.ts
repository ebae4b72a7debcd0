/**
 * What an architecture is, as everything above it reads it: one module per architecture
 * (src/architectures/<name>/), registered in one table (registry.ts), after SAELens' layout
 * (sae_lens/saes/<name>_sae.py, each registered with its config class).
 *
 * A module holds its options (its slice of the options table), its parameters (names, shapes,
 * which the encoder needs), its initialisation, its config checks, the loss fields it takes, its
 * forward and backward as a composition of kernels for each backend (the AssemblyScript module's
 * exports; tfjs-core's ops), what "active" means for its metrics, and its export graphs. Its
 * float64 reference is beside it in src/reference/ (not shipped; the tests' oracle).
 *
 * This layer sits below the backends (docs/ARCHITECTURE.md): a backend session runs the kernel
 * composition of the architecture it was made for, so the types the two share are here, and
 * src/backends/types.ts re-exports them.
 */
import type * as Tf from '@tensorflow/tfjs-core';

import type { OptionSpec } from '../util/option-spec.js';
import type { KernelExports } from './kernel-exports.js';

/** The layer sizes of a model: input n, hidden h. */
export interface LayerShape {
  readonly inputSize: number;
  readonly hiddenSize: number;
}

/**
 * The four parameter arrays every architecture so far has (the dictionary: encoder W1 [n×h] and
 * b1 [h], decoder W2 [h×n] and b2 [n]), in the order they are stored. An architecture declares
 * its parameters (ArchitectureModule.parameters): these four, then any others it needs.
 */
export const PARAMETER_NAMES = ['W1', 'b1', 'W2', 'b2'] as const;
export type ParameterName = (typeof PARAMETER_NAMES)[number];

/** A model's parameters, row-major float32, by name: the four of PARAMETER_NAMES and any an architecture adds. */
export type Parameters = Record<ParameterName, Float32Array> & Record<string, Float32Array>;

/** One parameter an architecture declares. */
export interface ParameterSpec {
  readonly name: string;
  /** Its dimensions (row-major). */
  readonly dims: readonly number[];
  /** Whether encoding (input → codes) reads it; the decoder's parameters are not touched by encode. */
  readonly encoder: boolean;
  /**
   * Where the model files keep a parameter beyond the dictionary's four: its layer and its name
   * there ("encoder.threshold" in both the JSON and the binary file, as SAELens names θ). On one of
   * the four it renames that one in both files (gated's b1 is SAELens' b_gate: "encoder.b_gate").
   */
  readonly file?: { readonly layer: 'encoder' | 'decoder'; readonly name: string };
}

/** The number of values of a parameter of `dims`. */
export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((product, d) => product * d, 1);
}

/**
 * W1 [n, h] and b1 [h] (the encoder), W2 [h, n] and b2 [n] (the decoder): the dictionary every
 * architecture so far keeps. The dictionary SAEs centre the input on the decoder bias before
 * encoding (z = (x − b_dec)·W_enc + b_enc), so for them encode reads b2 too.
 */
export function dictionaryParameters(shape: LayerShape, encodeReadsDecoderBias = false): ParameterSpec[] {
  const { inputSize: n, hiddenSize: h } = shape;
  return [
    { name: 'W1', dims: [n, h], encoder: true },
    { name: 'b1', dims: [h], encoder: true },
    { name: 'W2', dims: [h, n], encoder: false },
    { name: 'b2', dims: [n], encoder: encodeReadsDecoderBias },
  ];
}

/** The dictionary of the SAEs with a linear decoder (relu, topk, jumprelu): encode reads b_dec. */
export const centredDictionaryParameters = (shape: LayerShape): ParameterSpec[] => dictionaryParameters(shape, true);

export type Reduction = 'sum' | 'mean';

/**
 * The loss fields every architecture's loss is read from (src/backends/types.ts narrows
 * `architecture` to the registry's names). Each module reads its own: sigmoid ρ, β, α and the
 * reduction; relu β as its L1 weight λ; topk k, auxK, auxCoefficient and deadSteps.
 */
export interface BaseLossConfig {
  /** Absent: "sigmoid". */
  readonly architecture?: string;
  /** topk: codes kept per row. */
  readonly k?: number;
  /** topk: dead units whose pre-activations reconstruct the residual in the AuxK loss. */
  readonly auxK?: number;
  /** topk: weight of the AuxK loss. */
  readonly auxCoefficient?: number;
  /** topk: a unit is dead when it has not fired on any row of this many consecutive steps. */
  readonly deadSteps?: number;
  /** jumprelu: λ, the weight of the L0 penalty λ·(1/m)·Σ H(z − θ). */
  readonly l0Coefficient?: number;
  /** jumprelu: λ grows linearly from 0 over this many steps (the training runs apply it: src/model/schedule.ts lossAt); the kernels read l0Coefficient alone. */
  readonly l0WarmupSteps?: number;
  /** jumprelu: ε, the width of the rectangle kernel of θ's pseudo-derivatives. */
  readonly bandwidth?: number;
  /** batchtopk, matryoshka: β of θ's running mean of the batches' smallest kept code. */
  readonly thresholdDecay?: number;
  /** batchtopk, matryoshka: training steps before θ's running mean starts. */
  readonly thresholdStart?: number;
  /** matryoshka: the sizes of the nested groups of units (their sum is h); absent: one group. */
  readonly groupSizes?: readonly number[];
  /** ρ: target mean activation of each hidden unit, in (0, 1). */
  readonly sparsityTarget: number;
  /** β: weight of the KL sparsity penalty. */
  readonly sparsityWeight: number;
  /** α: weight decay on W1 and W2 (biases are not decayed). */
  readonly weightDecay: number;
  /** "sum" (r = 1) or "mean" (r = 1/m) for the reconstruction term. */
  readonly reduction: Reduction;
}

/** The three terms of the loss on one batch, and their sum. */
export interface LossTerms {
  loss: number;
  reconstruction: number;
  weightDecay: number;
  sparsity: number;
}

/**
 * What fixes a session's forward pass: the architecture and, for topk, k (the codes kept per
 * row; 0 for the others). Plain data, so a session's architecture can be written and compared.
 */
export interface BaseArchitecture {
  readonly architecture: string;
  readonly k: number;
}

/** The model config fields the modules' checks read (ModelConfig, without its literal types). */
export interface ConfigView extends BaseLossConfig {
  readonly architecture: string;
  /** jumprelu: θ's initial value. */
  readonly initialThreshold?: number;
  readonly hiddenSize: number;
  readonly normalize: string;
}

// --- the AssemblyScript backend -----------------------------------------------------------

/**
 * What an AssemblyScript session lends an architecture's kernel composition: the kernel module's
 * exports, the addresses of the parameters (and, in training calls, of their gradients) in its
 * linear memory, and scratch memory that lives until the session's call returns.
 */
export interface AsContext {
  readonly kernels: KernelExports;
  readonly n: number;
  readonly h: number;
  readonly architecture: BaseArchitecture;
  /** Byte address of each parameter. */
  readonly params: Readonly<Record<string, number>> & Readonly<Record<ParameterName, number>>;
  /** Byte address of each parameter's gradient (training calls only). */
  readonly grads: Readonly<Record<string, number>> & Readonly<Record<ParameterName, number>>;
  /** u32 [h]: training steps since each unit last fired. */
  readonly stepsSinceFired: number;
  /** A new scratch block of `bytes`, 16-byte aligned; freed when the session's call returns. */
  scratch(bytes: number): number;
  f32(address: number, count: number): Float32Array;
  u32(address: number, count: number): Uint32Array;
}

/**
 * The encoder as a linear map and an activation, for the encode-only session
 * (src/backends/assemblyscript/encode-session.ts): z = (x − b_dec)·W_enc + b_enc (centred) or
 * x·W_enc + b_enc, computed by the encode kernels with W_enc laid out once (f32, bf16 or int8),
 * then the activation. The session's AsContext has the encoder's own parameters beyond W1, b1 and
 * b2 (jumprelu's θ) in `params`, no gradients, and scratch as in a session call.
 */
export interface AsLinearEncoder {
  readonly centred: boolean;
  /** The activation is max(z, 0): the product's kernel applies it (no `activate`). */
  readonly fusedRelu: boolean;
  /**
   * The product runs without b1 (z = x̃·W_enc alone) and `activate` reads b1 from ctx.params: gated,
   * whose magnitude path scales the bare product and whose b1 is the gate path's bias.
   */
  readonly unbiasedProduct?: boolean;
  /** The codes of z [rows×h] (may be z itself, changed in place); returns their address. */
  activate?(ctx: AsContext, pre: number, rows: number): number;
}

/** An architecture's forward and backward pass as calls of the kernel module (addresses in, addresses out). */
export interface AsKernels {
  /**
   * Its encoder as linear + activation, when it is one (every architecture so far): model.encode
   * then runs the encode-only session. Absent: encode runs `encode` in a full session.
   */
  readonly encoder?: AsLinearEncoder;
  /** The codes of x [rows×n] into a new scratch block [rows×h]; reads only the encoder's parameters. */
  encode(ctx: AsContext, x: number, rows: number): number;
  /** Codes [rows×h] and outputs [rows×n] of x, in new scratch blocks. */
  forward(ctx: AsContext, x: number, rows: number): { hidden: number; output: number };
  /** The outputs of codes a [rows×h] into `out` [rows×n]. */
  decode(ctx: AsContext, a: number, out: number, rows: number): void;
  /**
   * Forward and backward on the batch x [m×n]: fills the gradient blocks and returns the loss
   * terms (of the parameters as they are), the address of ρ̂ [h] and of the batch's codes [m×h].
   * Absent for an inference-only architecture (ArchitectureModule.trainable false).
   */
  /** Absent for an inference-only architecture (ArchitectureModule.trainable false). */
  backward?(ctx: AsContext, x: number, m: number, loss: BaseLossConfig): { terms: LossTerms; rhoHat: number; hidden: number };
  /**
   * What a training step does after the optimizer's update (topk: unit-norm decoder rows;
   * batchtopk: θ's running mean, from the step's codes `hidden` [rows×h], backward's).
   */
  afterUpdate?(ctx: AsContext, step: { hidden: number; rows: number; loss: BaseLossConfig }): void;
}

// --- the tfjs backends ----------------------------------------------------------------------

/**
 * The tfjs-core ops the architectures are written in, as the tfjs session hands them over (the
 * modules import no tfjs code themselves). A list, not the whole namespace: the Worker's bundle
 * keeps only what is named here (src/backends/tfjs/ops.ts). An architecture that needs another op adds it there.
 */
export type TfNamespace = Pick<typeof Tf, 'abs' | 'add' | 'broadcastTo' | 'cast' | 'clipByValue' | 'concat' | 'cumsum' | 'div' | 'equal' | 'exp' | 'expandDims' | 'fill' | 'greater' | 'less' | 'lessEqual' | 'log' | 'logicalAnd' | 'logicalOr' | 'matMul' | 'mean' | 'min' | 'mul' | 'onesLike' | 'relu' | 'reshape' | 'scalar' | 'slice' | 'sqrt' | 'square' | 'stack' | 'sub' | 'sum' | 'tensor1d' | 'topk' | 'transpose' | 'where' | 'zerosLike'> & { readonly fused: Pick<typeof Tf.fused, 'matMul'> };

/** What a tfjs session lends an architecture's ops: tfjs-core, its parameter variables, the dead-unit counts. */
export interface TfjsContext {
  readonly tf: TfNamespace;
  readonly shape: LayerShape;
  readonly architecture: BaseArchitecture;
  readonly params: Readonly<Record<string, Tf.Variable>> & Readonly<Record<ParameterName, Tf.Variable>>;
  /** Training steps since each unit last fired, [h]. */
  readonly stepsSinceFired: Uint32Array;
}

/** What one batch's forward and backward pass produce, as tensors (inside a tidy). */
export interface TfjsBatchGradients {
  /** [reconstruction, weightDecay, sparsity]. */
  terms: Tf.Tensor1D;
  /** The batch's codes [m×h]. */
  hidden: Tf.Tensor2D;
  meanActivation: Tf.Tensor1D;
  /** One gradient per declared parameter. */
  gradients: Record<string, Tf.Tensor>;
}

/** An architecture's forward and backward pass as tfjs-core ops (called inside tf.tidy). */
export interface TfjsKernels {
  /** The codes of x; reads only the encoder's parameters. */
  encode(ctx: TfjsContext, x: Tf.Tensor2D): Tf.Tensor2D;
  decode(ctx: TfjsContext, a: Tf.Tensor2D): Tf.Tensor2D;
  /** Absent for an inference-only architecture (ArchitectureModule.trainable false). */
  batchGradients?(ctx: TfjsContext, x: Tf.Tensor2D, m: number, loss: BaseLossConfig): TfjsBatchGradients;
  /** What a training step does after the optimizer's update (topk: unit-norm decoder rows; batchtopk: θ's running mean from the step's codes). */
  afterUpdate?(ctx: TfjsContext, step: { hidden: Tf.Tensor2D; rows: number; loss: BaseLossConfig }): void;
}

// --- exports --------------------------------------------------------------------------------

/** The ONNX graph builder an architecture writes its encoder and decoder into (src/export/onnx.ts implements it). */
export interface OnnxGraph {
  has(name: string): boolean;
  constant(name: string, values: Float32Array, dims: number[]): string;
  int64Constant(name: string, values: readonly number[], dims: number[]): string;
  node(opType: string, input: string[], output: string, attributes?: [string, number][]): string;
  nodeOutputs(opType: string, input: string[], outputs: string[], attributes?: [string, number][]): string[];
  output(name: string, width: number): void;
}

/** The input scaling an export applies before the encoder (src/export/exportable.ts). */
export interface ExportScaling {
  readonly offset: Float32Array;
  readonly scale: Float32Array;
  readonly range: Float32Array;
}

/** What an architecture's ONNX graph is built from. */
export interface OnnxBuild {
  readonly graph: OnnxGraph;
  readonly shape: LayerShape;
  readonly parameters: Parameters;
  readonly architecture: BaseArchitecture;
  /** The input scaling, or null for normalize "none". */
  readonly scaling: ExportScaling | null;
  /** Whether the scaling may be folded into the first layer (placeScaling said "folded"). */
  readonly foldable: boolean;
  /** Whole autoencoder (codes and reconstruction), not only the encoder. */
  readonly whole: boolean;
  /** The encoder's weight and bias with the scaling folded in (exportable.ts's foldScaling). */
  foldScaling(): { weight: Float32Array; bias: Float32Array };
  /** The names of the graph's input and outputs. */
  readonly names: { readonly input: string; readonly codes: string; readonly reconstruction: string };
}

/**
 * How an architecture is written as a TF.js layers model (Dense layers): its encoder activation,
 * whether its decoder is linear (its b_dec subtracted before encoding), or why it cannot be.
 */
export type TfjsLayersPlan =
  | { readonly kind: 'dense'; readonly encoderActivation: 'sigmoid' | 'relu'; readonly linearDecoder: boolean }
  | { readonly kind: 'refused'; readonly reason: string };

// --- the module -----------------------------------------------------------------------------

export interface ArchitectureModule {
  readonly name: string;
  /** A phrase for the options table's "architecture" row (e.g. "TopK codes"). */
  readonly summary: string;
  /**
   * Its slice of the options table (options it owns). Options it shares with another
   * architecture are owned by one and named in `reads`.
   */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Every model option its loss reads (owned or shared). */
  readonly reads: readonly string[];
  /**
   * False for an architecture that encodes and decodes but does not train (gated: imported
   * models only); every way to train one refuses it with trainingRefusal's message (registry.ts).
   * Absent: trainable.
   */
  readonly trainable?: boolean;
  /** A linear decoder: takes standardised or any finite inputs (normalize standardize, none). */
  readonly linearOutput: boolean;
  /** The activation a code must exceed to count as active (metrics, the density picture). */
  readonly activeThreshold: number;
  /** Its training reads the steps since each unit fired, so the model file and checkpoints keep them. */
  readonly keepsFiringCounts: boolean;
  /** Its decoder bias starts at the mean of the first training data (the dictionary SAEs). */
  readonly decoderBiasFromData: boolean;
  /** Its parameters, in storage order. */
  parameters(shape: LayerShape): ParameterSpec[];
  /** Fresh parameters drawn from `seed` (the config's own initial values, e.g. jumprelu's θ₀, when given). */
  initialise(shape: LayerShape, seed: number, config?: Partial<ConfigView>): Parameters;
  /** A problem of the resolved config (field, message), or null. */
  checkConfig(config: ConfigView): { field: string; message: string } | null;
  /** The session's architecture of a config or loss (k for topk, 0 for the others). */
  sessionArchitecture(loss: Pick<BaseLossConfig, 'k'>): BaseArchitecture;
  /** A problem of a session's architecture (e.g. k beyond h), or null; named as createSession's. */
  checkSessionArchitecture(architecture: BaseArchitecture, hiddenSize: number): string | null;
  /** How a session's architecture reads in messages ("topk with k = 3"). */
  describeSession(architecture: BaseArchitecture): string;
  /** A problem of the loss fields this architecture reads, or null (`method: loss.auxK must …`); h: the session's hidden size. */
  checkLoss(method: string, loss: BaseLossConfig, hiddenSize: number): string | null;
  /** The loss fields a backend takes for a config of this architecture. */
  lossFields(config: BaseLossConfig): BaseLossConfig;
  readonly assemblyscript: AsKernels;
  readonly tfjs: TfjsKernels;
  /** Builds the ONNX graph's nodes (encoder, and the decoder when whole); returns the doc string and where the scaling went. */
  buildOnnx(build: OnnxBuild): { docString: string; placement: 'folded' | 'separate' | 'none' };
  /** ONNX metadata beside the common keys (topk: its k). */
  onnxMetadata(architecture: BaseArchitecture): [string, string][];
  readonly tfjsLayers: TfjsLayersPlan;
}
