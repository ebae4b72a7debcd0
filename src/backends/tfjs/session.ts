/**
 * A BackendSession on tfjs-core ops. Parameters, Adam moments and the training data live as
 * tfjs tensors on one tfjs backend; every method switches the shared engine to that backend
 * first (see runtime.ts) and runs its ops inside `tf.tidy`, so nothing but the variables and the
 * training-data tensor outlives a call.
 *
 * The forward and backward passes are the architecture's ops (src/architectures/<name>/tfjs.ts:
 * explicit formulas, no autodiff); this file keeps the variables, the optimizer and the step.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { ParameterSpec, TfjsContext, TfjsKernels } from '../../architectures/contract.js';
import { architectureModule } from '../../architectures/registry.js';
import { adamStepSize } from '../formulas.js';
import type { AdamState, Architecture, BackendName, BackendSession, ForwardResult, GradientResult, LayerShape, LossConfig, LossTerms, OptimizerConfig, Parameters } from '../types.js';
import { TF_OPS } from './ops.js';
import { activateTfjsBackend } from './runtime.js';

/** One variable per declared parameter. */
type TensorSet = Record<string, tf.Variable>;
type GradientTensors = Record<string, tf.Tensor>;

export class TfjsSession implements BackendSession {
  readonly shape: LayerShape;
  private readonly tfName: string;
  private readonly tfBackend: tf.KernelBackend;
  private params: TensorSet;
  private adam: { step: number; m: TensorSet; v: TensorSet } | null = null;
  private data: { x: tf.Tensor2D; rows: number } | null = null;
  private disposed = false;
  /** Training steps since each unit last fired (TopK's dead units); kept in JavaScript. */
  private stepsSinceFired: Uint32Array;
  /** The architecture's parameters, in storage order, and its ops. */
  private readonly specs: readonly ParameterSpec[];
  private readonly passes: TfjsKernels;

  constructor(
    readonly backendName: BackendName,
    tfName: string,
    tfBackend: tf.KernelBackend,
    shape: LayerShape,
    params: Parameters,
    readonly architecture: Architecture,
  ) {
    // Arguments are checked by checked-session.ts (as they are for every backend), not here.
    this.shape = shape;
    const module = architectureModule(architecture.architecture);
    this.specs = module.parameters(shape);
    this.passes = module.tfjs;
    this.stepsSinceFired = new Uint32Array(shape.hiddenSize);
    this.tfName = tfName;
    this.tfBackend = tfBackend;
    this.use();
    this.params = this.makeVariables(params);
  }

  getParameters(): Parameters {
    this.use();
    return this.readSet(this.params);
  }

  setParameters(params: Parameters): void {
    this.use();
    this.assignSet(this.params, params);
  }

  getOptimizerState(): AdamState | null {
    this.use();
    if (this.adam === null) return null;
    return { step: this.adam.step, m: this.readSet(this.adam.m), v: this.readSet(this.adam.v) };
  }

  setOptimizerState(state: AdamState | null): void {
    this.use();
    if (state === null) {
      this.disposeAdam();
      return;
    }
    if (this.adam === null) {
      this.adam = { step: state.step, m: this.makeVariables(state.m), v: this.makeVariables(state.v) };
    } else {
      this.adam.step = state.step;
      this.assignSet(this.adam.m, state.m);
      this.assignSet(this.adam.v, state.v);
    }
  }

  getStepsSinceFired(): Uint32Array {
    this.use();
    return this.stepsSinceFired.slice();
  }

  setStepsSinceFired(steps: Uint32Array): void {
    this.use();
    this.stepsSinceFired = steps.slice();
  }

  setTrainingData(x: Float32Array, rows: number): void {
    this.use();
    const next = tf.tensor2d(x.slice(), [rows, this.shape.inputSize]);
    this.data?.x.dispose();
    this.data = { x: next, rows };
  }

  trainStep(rowIndices: Uint32Array | null, loss: LossConfig, optimizer: OptimizerConfig): LossTerms {
    this.use();
    const data = this.data!;
    const m = rowIndices === null ? data.rows : rowIndices.length;
    if (optimizer.kind === 'adam' && this.adam === null) {
      this.adam = { step: 0, m: this.makeZeros(), v: this.makeZeros() };
    }
    const [terms, fired] = tf.tidy(() => {
      const x = rowIndices === null ? data.x : tf.gather(data.x, tf.tensor1d(Int32Array.from(rowIndices), 'int32'));
      const ctx = this.context();
      const batch = this.batchGradients(ctx, x, m, loss);
      this.applyUpdate(batch.gradients, optimizer);
      this.passes.afterUpdate?.(ctx, { hidden: batch.hidden, rows: m, loss });
      return [batch.terms, tf.any(tf.greater(batch.hidden, 0), 0)] as const;
    });
    const firedValues = fired.dataSync();
    fired.dispose();
    for (let j = 0; j < this.shape.hiddenSize; j++) this.stepsSinceFired[j] = firedValues[j] ? 0 : this.stepsSinceFired[j]! + 1;
    return readTerms(terms);
  }

  /** The architecture's backward pass (the checked session refuses training an inference-only one before this). */
  private batchGradients(ctx: TfjsContext, x: tf.Tensor2D, m: number, loss: LossConfig): ReturnType<NonNullable<TfjsKernels['batchGradients']>> {
    if (this.passes.batchGradients === undefined) throw new Error(`${this.backendName} session: ${this.architecture.architecture} has no backward pass (inference only)`);
    return this.passes.batchGradients(ctx, x, m, loss);
  }

  forward(x: Float32Array, rows: number): ForwardResult {
    this.use();
    const [hidden, output] = tf.tidy(() => {
      const input = tf.tensor2d(x, [rows, this.shape.inputSize]);
      const ctx = this.context();
      const a = this.passes.encode(ctx, input);
      const output = this.passes.decode(ctx, a);
      // a skip transcoder's output adds x·W_skip (SAELens' SkipTranscoder.forward, sparsify's SparseCoder.forward)
      const skip = this.params.W_skip;
      return [a, skip === undefined ? output : tf.add(output, tf.matMul(input, skip as tf.Tensor2D))] as const;
    });
    return { hidden: readAndDispose(hidden), output: readAndDispose(output) };
  }

  encode(x: Float32Array, rows: number): Float32Array {
    this.use();
    const hidden = tf.tidy(() => this.passes.encode(this.context(), tf.tensor2d(x, [rows, this.shape.inputSize])));
    return readAndDispose(hidden);
  }

  decode(hidden: Float32Array, rows: number): Float32Array {
    this.use();
    const output = tf.tidy(() => this.passes.decode(this.context(), tf.tensor2d(hidden, [rows, this.shape.hiddenSize])));
    return readAndDispose(output);
  }

  gradients(x: Float32Array, rows: number, loss: LossConfig): GradientResult {
    this.use();
    const batch = tf.tidy(() => {
      const result = this.batchGradients(this.context(), tf.tensor2d(x, [rows, this.shape.inputSize]), rows, loss);
      // tidy keeps tensors returned in nested objects/arrays.
      return [result.terms, result.meanActivation, ...this.specs.map(({ name }) => result.gradients[name]!)];
    });
    const [terms, meanActivation, ...gradients] = batch as [tf.Tensor1D, tf.Tensor1D, ...tf.Tensor[]];
    return {
      terms: readTerms(terms),
      meanActivation: readAndDispose(meanActivation),
      gradients: Object.fromEntries(this.specs.map(({ name }, i) => [name, readAndDispose(gradients[i]!)])) as Parameters,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeSet(this.params);
    this.disposeAdam();
    this.data?.x.dispose();
    this.data = null;
  }

  // --- internals -------------------------------------------------------------------------

  /** Makes the engine run on this session's tfjs backend; every public method calls it first. */
  private use(): void {
    // checked-session.ts refuses calls after dispose; this is the backstop
    if (this.disposed) throw new Error(`${this.backendName} session was disposed`);
    activateTfjsBackend(this.tfName, this.tfBackend);
  }

  /** What the architecture's ops see of this session. */
  private context(): TfjsContext {
    return { tf: TF_OPS, shape: this.shape, architecture: this.architecture, params: this.params as TfjsContext['params'], stepsSinceFired: this.stepsSinceFired };
  }

  /** Applies one optimizer update to the variables. Call inside tidy. */
  private applyUpdate(gradients: GradientTensors, optimizer: OptimizerConfig): void {
    const names = this.specs.map((spec) => spec.name);
    if (optimizer.clipNorm) gradients = clipByGlobalNorm(gradients, optimizer.clipNorm, names);
    if (optimizer.kind === 'sgd') {
      for (const k of names) {
        this.params[k]!.assign(tf.sub(this.params[k]!, tf.mul(gradients[k]!, optimizer.learningRate)));
      }
      return;
    }
    const adam = this.adam!;
    const { beta1, beta2, epsilon } = optimizer;
    const t = adam.step + 1;
    const lrT = adamStepSize(optimizer, t);
    for (const k of names) {
      const g = gradients[k]!;
      const m = tf.add(tf.mul(adam.m[k]!, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(adam.v[k]!, beta2), tf.mul(tf.square(g), 1 - beta2));
      const w = tf.sub(this.params[k]!, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), epsilon)));
      adam.m[k]!.assign(m);
      adam.v[k]!.assign(v);
      this.params[k]!.assign(w);
    }
    adam.step = t;
  }

  private makeVariables(params: Parameters): TensorSet {
    const made = {} as TensorSet;
    for (const { name: k, dims } of this.specs) {
      // Copy: tfjs-backend-cpu keeps the array it is given, and the caller may reuse it.
      const initial = tf.tensor(params[k]!.slice(), [...dims]);
      made[k] = tf.variable(initial, false);
      initial.dispose();
    }
    return made;
  }

  private makeZeros(): TensorSet {
    const made = {} as TensorSet;
    for (const { name: k, dims } of this.specs) {
      const initial = tf.zeros([...dims]);
      made[k] = tf.variable(initial, false);
      initial.dispose();
    }
    return made;
  }

  private readSet(set: TensorSet): Parameters {
    return Object.fromEntries(this.specs.map(({ name }) => [name, readValues(set[name]!)])) as Parameters;
  }

  private assignSet(set: TensorSet, values: Parameters): void {
    tf.tidy(() => {
      for (const { name, dims } of this.specs) set[name]!.assign(tf.tensor(values[name]!.slice(), [...dims]));
    });
  }

  private disposeAdam(): void {
    if (this.adam === null) return;
    disposeSet(this.adam.m);
    disposeSet(this.adam.v);
    this.adam = null;
  }
}

/** A fresh copy of a tensor's values (tfjs-backend-cpu would hand out its own backing array). */
function readValues(t: tf.Tensor): Float32Array {
  return (t.dataSync() as Float32Array).slice();
}

function readAndDispose(t: tf.Tensor): Float32Array {
  const values = readValues(t);
  t.dispose();
  return values;
}

function readTerms(terms: tf.Tensor1D): LossTerms {
  const values = terms.dataSync();
  terms.dispose();
  const reconstruction = values[0]!;
  const weightDecay = values[1]!;
  const sparsity = values[2]!;
  return { loss: reconstruction + weightDecay + sparsity, reconstruction, weightDecay, sparsity };
}

function disposeSet(set: TensorSet): void {
  for (const variable of Object.values(set)) variable.dispose();
}

/** The gradients scaled by clipNorm/‖g‖₂ when their global norm exceeds clipNorm. Call inside tidy. */
function clipByGlobalNorm(gradients: GradientTensors, clipNorm: number, names: readonly string[]): GradientTensors {
  const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(gradients[k]!)))));
  // min(1, c/‖g‖): 1 when the norm is within the bound (and when it is 0: c/0 = ∞).
  const factor = tf.minimum(tf.scalar(1), tf.div(tf.scalar(clipNorm), norm));
  const clipped = {} as GradientTensors;
  for (const k of names) clipped[k] = tf.mul(gradients[k]!, factor);
  return clipped;
}
