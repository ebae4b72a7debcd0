/**
 * A BackendSession on tfjs-core ops. Parameters, Adam moments and the training data live as
 * tfjs tensors on one tfjs backend; every method switches the shared engine to that backend
 * first (see runtime.ts) and runs its ops inside `tf.tidy`, so nothing but the variables and the
 * training-data tensor outlives a call.
 *
 * Gradients are the explicit formulas of docs/SPEC.md section 2 (no autodiff):
 *   δ2 = r(Y−X)⊙Y⊙(1−Y);  gW2 = Aᵀδ2 + αW2;  gb2 = colsum(δ2)
 *   q = clip(colmean(A), KL_CLAMP, 1−KL_CLAMP);  klGrad = β·(1/m)·(−ρ/q + (1−ρ)/(1−q))
 *   δ1 = (δ2·W2ᵀ + klGrad)⊙A⊙(1−A);  gW1 = Xᵀδ1 + αW1;  gb1 = colsum(δ1)
 * relu and topk: the formulas of src/reference/linear-sae-reference.ts (linearBatchGradients).
 */
import * as tf from '@tensorflow/tfjs-core';

import { adamStepSize, KL_CLAMP } from '../formulas.js';
import { PARAMETER_NAMES, parameterShapes } from '../types.js';
import type { AdamState, Architecture, BackendName, BackendSession, ForwardResult, GradientResult, LayerShape, LossConfig, LossTerms, OptimizerConfig, ParameterName, Parameters } from '../types.js';
import { activateTfjsBackend } from './runtime.js';

type TensorSet = Record<ParameterName, tf.Variable>;
type GradientTensors = Record<ParameterName, tf.Tensor>;

/** What one batch's forward and backward pass produce, as tensors (inside a tidy). */
interface BatchGradients {
  /** [reconstruction, weightDecay, sparsity]. */
  terms: tf.Tensor1D;
  /** The batch's codes [m×h]. */
  hidden: tf.Tensor2D;
  meanActivation: tf.Tensor1D;
  gradients: GradientTensors;
}

export class TfjsSession implements BackendSession {
  readonly shape: LayerShape;
  private readonly tfName: string;
  private readonly tfBackend: tf.KernelBackend;
  private params: TensorSet;
  private adam: { step: number; m: TensorSet; v: TensorSet } | null = null;
  private data: { x: tf.Tensor2D; rows: number } | null = null;
  private disposed = false;
  /** Training steps since each unit last fired (topk's dead units); kept in JavaScript. */
  private stepsSinceFired: Uint32Array;

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
    this.stepsSinceFired = new Uint32Array(shape.hiddenSize);
    this.tfName = tfName;
    this.tfBackend = tfBackend;
    this.use();
    this.params = this.makeVariables(params);
  }

  getParameters(): Parameters {
    this.use();
    return readSet(this.params);
  }

  setParameters(params: Parameters): void {
    this.use();
    assignSet(this.params, params, this.shape);
  }

  getOptimizerState(): AdamState | null {
    this.use();
    if (this.adam === null) return null;
    return { step: this.adam.step, m: readSet(this.adam.m), v: readSet(this.adam.v) };
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
      assignSet(this.adam.m, state.m, this.shape);
      assignSet(this.adam.v, state.v, this.shape);
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
      const batch = this.batchGradients(x, m, loss);
      this.applyUpdate(batch.gradients, optimizer);
      if (this.architecture.architecture === 'topk') this.renormalizeDecoder();
      return [batch.terms, tf.any(tf.greater(batch.hidden, 0), 0)] as const;
    });
    const firedValues = fired.dataSync();
    fired.dispose();
    for (let j = 0; j < this.shape.hiddenSize; j++) this.stepsSinceFired[j] = firedValues[j] ? 0 : this.stepsSinceFired[j]! + 1;
    return readTerms(terms);
  }

  forward(x: Float32Array, rows: number): ForwardResult {
    this.use();
    const [hidden, output] = tf.tidy(() => {
      const input = tf.tensor2d(x, [rows, this.shape.inputSize]);
      const a = this.encodeTensor(input);
      return [a, this.decodeTensor(a)] as const;
    });
    return { hidden: readAndDispose(hidden), output: readAndDispose(output) };
  }

  decode(hidden: Float32Array, rows: number): Float32Array {
    this.use();
    const output = tf.tidy(() => this.decodeTensor(tf.tensor2d(hidden, [rows, this.shape.hiddenSize])));
    return readAndDispose(output);
  }

  gradients(x: Float32Array, rows: number, loss: LossConfig): GradientResult {
    this.use();
    const batch = tf.tidy(() => {
      const result = this.batchGradients(tf.tensor2d(x, [rows, this.shape.inputSize]), rows, loss);
      // tidy keeps tensors returned in nested objects/arrays.
      return [result.terms, result.meanActivation, ...PARAMETER_NAMES.map((k) => result.gradients[k])];
    });
    const [terms, meanActivation, W1, b1, W2, b2] = batch as [tf.Tensor1D, tf.Tensor1D, ...tf.Tensor[]];
    return {
      terms: readTerms(terms),
      meanActivation: readAndDispose(meanActivation),
      gradients: {
        W1: readAndDispose(W1!),
        b1: readAndDispose(b1!),
        W2: readAndDispose(W2!),
        b2: readAndDispose(b2!),
      },
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

  /** a = σ(X·W1 + b1), one fused kernel (relu, topk: the codes of linearEncode). */
  private encodeTensor(x: tf.Tensor2D): tf.Tensor2D {
    if (this.architecture.architecture !== 'sigmoid') return this.linearEncode(x).a;
    return tf.fused.matMul({ a: x, b: this.params.W1 as tf.Tensor2D, bias: this.params.b1, activation: 'sigmoid' }) as tf.Tensor2D;
  }

  /** y = σ(a·W2 + b2), one fused kernel (relu, topk: x̂ = a·W2 + b2). */
  private decodeTensor(a: tf.Tensor2D): tf.Tensor2D {
    if (this.architecture.architecture !== 'sigmoid') return tf.fused.matMul({ a, b: this.params.W2 as tf.Tensor2D, bias: this.params.b2 }) as tf.Tensor2D;
    return tf.fused.matMul({ a, b: this.params.W2 as tf.Tensor2D, bias: this.params.b2, activation: 'sigmoid' }) as tf.Tensor2D;
  }

  /** relu, topk: centred = X − b_dec, z = centred·W_enc + b_enc, a = max(z, 0) (topk: of each row's k largest z). */
  private linearEncode(x: tf.Tensor2D): { centred: tf.Tensor2D; pre: tf.Tensor2D; a: tf.Tensor2D } {
    const centred = tf.sub(x, this.params.b2) as tf.Tensor2D;
    const pre = tf.fused.matMul({ a: centred, b: this.params.W1 as tf.Tensor2D, bias: this.params.b1 }) as tf.Tensor2D;
    const a = this.architecture.architecture === 'topk' ? topCodes(pre, this.architecture.k, null) : (tf.relu(pre) as tf.Tensor2D);
    return { centred, pre, a };
  }

  /** W_dec[j,:] /= ‖W_dec[j,:]‖ (rows of norm 0 left alone). Call inside tidy. */
  private renormalizeDecoder(): void {
    const W2 = this.params.W2;
    const norms = tf.sqrt(tf.sum(tf.square(W2), 1, true));
    W2.assign(tf.div(W2, tf.where(tf.greater(norms, 0), norms, tf.onesLike(norms))));
  }

  /** The relu and topk loss terms and gradients (src/reference/linear-sae-reference.ts). Call inside tidy. */
  private linearBatchGradients(x: tf.Tensor2D, m: number, loss: LossConfig): BatchGradients {
    const { W1, W2 } = this.params;
    const { centred, pre, a } = this.linearEncode(x);
    const y = this.decodeTensor(a);
    const diff = tf.sub(y, x);
    // d = (2/m)·(x̂ − x); gW_dec = aᵀ·d; δa = d·W_decᵀ
    const d = tf.mul(diff, 2 / m);
    let gW2: tf.Tensor = tf.matMul(tf.transpose(a), d);
    let deltaA: tf.Tensor = tf.matMul(d, tf.transpose(W2));
    let sparsity: tf.Tensor = tf.scalar(0);
    if (this.architecture.architecture === 'relu') {
      // L1 weighted by ν_j = ‖W_dec[j,:]‖: δa += (λ/m)·ν, gW_dec[j,:] += (λ/m)·(Σ_i a_ij)/ν_j·W_dec[j,:]
      const scale = loss.sparsityWeight / m;
      const norms = tf.sqrt(tf.sum(tf.square(W2), 1));
      const codeSum = tf.sum(a, 0);
      deltaA = tf.add(deltaA, tf.mul(norms, scale));
      const perRow = tf.where(tf.greater(norms, 0), tf.div(codeSum, tf.where(tf.greater(norms, 0), norms, tf.onesLike(norms))), tf.zerosLike(norms));
      gW2 = tf.add(gW2, tf.mul(tf.expandDims(tf.mul(perRow, scale), 1), W2));
      sparsity = tf.mul(tf.sum(tf.mul(codeSum, norms)), scale);
    }
    let deltaZ: tf.Tensor = tf.mul(deltaA, tf.cast(tf.greater(a, 0), 'float32'));
    if (this.architecture.architecture === 'topk') {
      const deadSteps = loss.deadSteps ?? 1;
      const dead = Array.from(this.stepsSinceFired, (count) => (count >= deadSteps ? 1 : 0));
      if (dead.some((v) => v === 1)) {
        // AuxK: ê = a_aux·W_dec, d_aux = (2c/m)·(ê − e) with e = x − x̂ constant
        const c = loss.auxCoefficient ?? 0;
        const deadCount = dead.reduce((s: number, v) => s + v, 0);
        const aAux = topCodes(pre, Math.min(loss.auxK ?? 0, deadCount), tf.tensor1d(dead, 'bool'));
        const auxDiff = tf.add(tf.matMul(aAux, W2), diff); // ê − e = ê + (x̂ − x)
        const dAux = tf.mul(auxDiff, (2 * c) / m);
        gW2 = tf.add(gW2, tf.matMul(tf.transpose(aAux), dAux));
        deltaZ = tf.add(deltaZ, tf.mul(tf.matMul(dAux, tf.transpose(W2)), tf.cast(tf.greater(aAux, 0), 'float32')));
        sparsity = tf.mul(tf.sum(tf.square(auxDiff)), c / m);
      }
    }
    // gW_enc = (X − b_dec)ᵀ·δz; gb_enc = Σ_i δz_i; gb_dec = Σ_i d_i − W_enc·gb_enc
    const gW1 = tf.matMul(tf.transpose(centred), deltaZ);
    const gb1 = tf.sum(deltaZ, 0);
    const gb2 = tf.sub(tf.sum(d, 0), tf.reshape(tf.matMul(W1, tf.expandDims(gb1, 1)), [this.shape.inputSize]));
    const reconstruction = tf.div(tf.sum(tf.square(diff)), m);
    return {
      terms: tf.stack([reconstruction, tf.scalar(0), sparsity]) as tf.Tensor1D,
      hidden: a,
      meanActivation: tf.mean(a, 0) as tf.Tensor1D,
      gradients: { W1: gW1, b1: gb1, W2: gW2, b2: gb2 },
    };
  }

  /** Loss terms (before any update), ρ̂ and the full gradient on a batch of m rows. Call inside tidy. */
  private batchGradients(x: tf.Tensor2D, m: number, loss: LossConfig): BatchGradients {
    if (this.architecture.architecture !== 'sigmoid') return this.linearBatchGradients(x, m, loss);
    const { W1, W2 } = this.params;
    const rho = loss.sparsityTarget;
    const beta = loss.sparsityWeight;
    const alpha = loss.weightDecay;
    const r = loss.reduction === 'sum' ? 1 : 1 / m;

    const a = this.encodeTensor(x);
    const y = this.decodeTensor(a);
    const diff = tf.sub(y, x);

    // Products with a transposed operand use an explicit tf.transpose: tfjs-backend-wasm's
    // matMul with transposeA/transposeB set is ~10× slower than transpose + plain matMul.

    // Output layer.
    const delta2 = tf.mul(tf.mul(diff, r), tf.mul(y, tf.sub(1, y)));
    const gW2 = tf.add(tf.matMul(tf.transpose(a), delta2), tf.mul(W2, alpha));
    const gb2 = tf.sum(delta2, 0);

    // Sparsity penalty on the mean activation.
    const meanActivation = tf.mean(a, 0) as tf.Tensor1D;
    const q = tf.clipByValue(meanActivation, KL_CLAMP, 1 - KL_CLAMP);
    const oneMinusQ = tf.sub(1, q);
    const klGrad = tf.mul(tf.add(tf.div(-rho, q), tf.div(1 - rho, oneMinusQ)), beta / m);

    // Hidden layer.
    const delta1 = tf.mul(tf.add(tf.matMul(delta2, tf.transpose(W2)), klGrad), tf.mul(a, tf.sub(1, a)));
    const gW1 = tf.add(tf.matMul(tf.transpose(x), delta1), tf.mul(W1, alpha));
    const gb1 = tf.sum(delta1, 0);

    // Loss terms.
    const reconstruction = tf.mul(tf.sum(tf.square(diff)), 0.5 * r);
    const weightDecay = tf.mul(tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))), alpha / 2);
    const kl = tf.add(
      tf.mul(tf.log(tf.div(rho, q)), rho),
      tf.mul(tf.log(tf.div(1 - rho, oneMinusQ)), 1 - rho),
    );
    const sparsity = tf.mul(tf.sum(kl), beta);

    return {
      terms: tf.stack([reconstruction, weightDecay, sparsity]) as tf.Tensor1D,
      hidden: a,
      meanActivation,
      gradients: { W1: gW1, b1: gb1, W2: gW2, b2: gb2 },
    };
  }

  /** Applies one optimizer update to the variables. Call inside tidy. */
  private applyUpdate(gradients: GradientTensors, optimizer: OptimizerConfig): void {
    if (optimizer.clipNorm) gradients = clipByGlobalNorm(gradients, optimizer.clipNorm);
    if (optimizer.kind === 'sgd') {
      for (const k of PARAMETER_NAMES) {
        this.params[k].assign(tf.sub(this.params[k], tf.mul(gradients[k], optimizer.learningRate)));
      }
      return;
    }
    const adam = this.adam!;
    const { beta1, beta2, epsilon } = optimizer;
    const t = adam.step + 1;
    const lrT = adamStepSize(optimizer, t);
    for (const k of PARAMETER_NAMES) {
      const g = gradients[k];
      const m = tf.add(tf.mul(adam.m[k], beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(adam.v[k], beta2), tf.mul(tf.square(g), 1 - beta2));
      const w = tf.sub(this.params[k], tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), epsilon)));
      adam.m[k].assign(m);
      adam.v[k].assign(v);
      this.params[k].assign(w);
    }
    adam.step = t;
  }

  private makeVariables(params: Parameters): TensorSet {
    const shapes = parameterShapes(this.shape);
    const made = {} as TensorSet;
    for (const k of PARAMETER_NAMES) {
      // Copy: tfjs-backend-cpu keeps the array it is given, and the caller may reuse it.
      const initial = tf.tensor(params[k].slice(), shapes[k]);
      made[k] = tf.variable(initial, false);
      initial.dispose();
    }
    return made;
  }

  private makeZeros(): TensorSet {
    const shapes = parameterShapes(this.shape);
    const made = {} as TensorSet;
    for (const k of PARAMETER_NAMES) {
      const initial = tf.zeros(shapes[k]);
      made[k] = tf.variable(initial, false);
      initial.dispose();
    }
    return made;
  }

  private disposeAdam(): void {
    if (this.adam === null) return;
    disposeSet(this.adam.m);
    disposeSet(this.adam.v);
    this.adam = null;
  }
}

/**
 * max(z, 0) on each row's `count` largest z among the `allowed` units (all when null), 0
 * elsewhere, ties to the lower index whatever order tf.topk breaks them in: t = the count-th
 * largest value; keep every z > t and, in index order, as many z == t as the count still needs.
 * Call inside tidy.
 */
function topCodes(z: tf.Tensor2D, count: number, allowed: tf.Tensor1D | null): tf.Tensor2D {
  if (count === 0) return tf.zerosLike(z);
  const candidates = allowed === null ? z : tf.where(tf.broadcastTo(allowed, z.shape), z, tf.fill(z.shape, -Infinity));
  const { values } = tf.topk(candidates, count, true);
  const t = tf.slice(values, [0, count - 1], [-1, 1]);
  const above = tf.greater(candidates, t);
  const ties = tf.cast(tf.equal(candidates, t), 'float32');
  const needed = tf.sub(count, tf.sum(tf.cast(above, 'float32'), 1, true));
  const keptTies = tf.logicalAnd(tf.cast(ties, 'bool'), tf.lessEqual(tf.cumsum(ties, 1), needed));
  const kept = tf.logicalAnd(tf.logicalOr(above, keptTies), tf.greater(z, 0));
  return tf.where(kept, z, tf.zerosLike(z)) as tf.Tensor2D;
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

function readSet(set: TensorSet): Parameters {
  return { W1: readValues(set.W1), b1: readValues(set.b1), W2: readValues(set.W2), b2: readValues(set.b2) };
}

function assignSet(set: TensorSet, values: Parameters, shape: LayerShape): void {
  const shapes = parameterShapes(shape);
  tf.tidy(() => {
    for (const k of PARAMETER_NAMES) set[k].assign(tf.tensor(values[k].slice(), shapes[k]));
  });
}

function disposeSet(set: TensorSet): void {
  for (const k of PARAMETER_NAMES) set[k].dispose();
}

/** The gradients scaled by clipNorm/‖g‖₂ when their global norm exceeds clipNorm. Call inside tidy. */
function clipByGlobalNorm(gradients: GradientTensors, clipNorm: number): GradientTensors {
  const norm = tf.sqrt(tf.addN(PARAMETER_NAMES.map((k) => tf.sum(tf.square(gradients[k])))));
  // min(1, c/‖g‖): 1 when the norm is within the bound (and when it is 0: c/0 = ∞).
  const factor = tf.minimum(tf.scalar(1), tf.div(tf.scalar(clipNorm), norm));
  const clipped = {} as GradientTensors;
  for (const k of PARAMETER_NAMES) clipped[k] = tf.mul(gradients[k], factor);
  return clipped;
}
