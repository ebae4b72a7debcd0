/**
 * One model inside one instance of the kernel module.
 *
 * Linear memory (all f32, each block 16-byte aligned, see arena.ts):
 * ```
 *  persistent: params [W1|b1|W2|b2]  grads [gW1|gb1|gW2|gb2]  Adam m [same]  Adam v [same]  X data
 *  scratch:    batch rows, indices, hidden a, output y, δ2, dA, ρ̂, KL gradient   (reset every call)
 * ```
 * Parameters, gradients and the Adam moments share one layout so the optimizer is one call over
 * the whole model. A training step copies nothing between JavaScript and wasm except scalars and
 * the batch's row indices.
 */
import { checkNonNegativeInteger, checkPositiveInteger } from '../checks.js';
import type { AdamState, BackendSession, ForwardResult, GradientResult, LayerShape, LossConfig, LossTerms, OptimizerConfig, Parameters } from '../types.js';
import { Arena } from './arena.js';
import type { KernelExports } from './loader.js';

const F32 = 4;

function checkLength(name: string, array: ArrayLike<number>, expected: number): void {
  if (array.length !== expected) {
    throw new RangeError(`${name} has ${array.length} values, expected ${expected}`);
  }
}

/** Byte addresses of the four parts of a [W1|b1|W2|b2] block starting at `base`. */
interface Layout {
  W1: number;
  b1: number;
  W2: number;
  b2: number;
}

export class AssemblyScriptSession implements BackendSession {
  readonly shape: LayerShape;
  private kernels: KernelExports | null;
  private readonly arena: Arena;
  private readonly n: number;
  private readonly h: number;
  /** Floats in [W1|b1|W2|b2]. */
  private readonly total: number;
  private readonly params: Layout;
  private readonly grads: Layout;
  private readonly adamM: number;
  private readonly adamV: number;
  private adamStep = 0;
  private hasAdamState = false;
  /** The persistent mark below the training data, so new data replaces the old. */
  private readonly dataMark: number;
  private data = 0;
  private dataRows = 0;

  constructor(kernels: KernelExports, shape: LayerShape, params: Parameters) {
    checkPositiveInteger('inputSize', shape.inputSize);
    checkPositiveInteger('hiddenSize', shape.hiddenSize);
    this.shape = { inputSize: shape.inputSize, hiddenSize: shape.hiddenSize };
    this.kernels = kernels;
    this.n = shape.inputSize;
    this.h = shape.hiddenSize;
    const { n, h } = this;
    this.total = n * h + h + h * n + n;
    this.arena = new Arena(kernels.memory, kernels.heap_base());
    const blockBytes = this.total * F32;
    this.params = this.layout(this.arena.allocatePersistent(blockBytes));
    this.grads = this.layout(this.arena.allocatePersistent(blockBytes));
    this.adamM = this.arena.allocatePersistent(blockBytes);
    this.adamV = this.arena.allocatePersistent(blockBytes);
    this.dataMark = this.arena.persistentMark();
    // Adam's moments and the gradients start at zero without a fill: the instance is this
    // session's own and new, and wasm memory above heap_base is zero until written (memory.grow
    // zero-fills too). Filling them anyway cost half of a model load (3·P floats written).
    this.setParameters(params);
  }

  private layout(base: number): Layout {
    const { n, h } = this;
    const W1 = base;
    const b1 = W1 + n * h * F32;
    const W2 = b1 + h * F32;
    const b2 = W2 + h * n * F32;
    return { W1, b1, W2, b2 };
  }

  private get k(): KernelExports {
    if (this.kernels === null) throw new Error('AssemblyScript session: used after dispose()');
    return this.kernels;
  }

  private zero(address: number, count: number): void {
    this.arena.f32(address, count).fill(0);
  }

  /** Copies a [W1|b1|W2|b2] block out as Parameters. */
  private readBlock(layout: Layout): Parameters {
    const { n, h, arena } = this;
    return {
      W1: arena.f32(layout.W1, n * h).slice(),
      b1: arena.f32(layout.b1, h).slice(),
      W2: arena.f32(layout.W2, h * n).slice(),
      b2: arena.f32(layout.b2, n).slice(),
    };
  }

  private writeBlock(layout: Layout, p: Parameters, what: string): void {
    const { n, h, arena } = this;
    checkLength(`${what}.W1`, p.W1, n * h);
    checkLength(`${what}.b1`, p.b1, h);
    checkLength(`${what}.W2`, p.W2, h * n);
    checkLength(`${what}.b2`, p.b2, n);
    arena.f32(layout.W1, n * h).set(p.W1);
    arena.f32(layout.b1, h).set(p.b1);
    arena.f32(layout.W2, h * n).set(p.W2);
    arena.f32(layout.b2, n).set(p.b2);
  }

  getParameters(): Parameters {
    void this.k;
    return this.readBlock(this.params);
  }

  setParameters(params: Parameters): void {
    void this.k;
    this.writeBlock(this.params, params, 'parameters');
  }

  getOptimizerState(): AdamState | null {
    void this.k;
    if (!this.hasAdamState) return null;
    return {
      step: this.adamStep,
      m: this.readBlock(this.layout(this.adamM)),
      v: this.readBlock(this.layout(this.adamV)),
    };
  }

  setOptimizerState(state: AdamState | null): void {
    void this.k;
    if (state === null) {
      this.zero(this.adamM, this.total);
      this.zero(this.adamV, this.total);
      this.adamStep = 0;
      this.hasAdamState = false;
      return;
    }
    checkNonNegativeInteger('optimizer state step', state.step);
    this.writeBlock(this.layout(this.adamM), state.m, 'optimizer state m');
    this.writeBlock(this.layout(this.adamV), state.v, 'optimizer state v');
    this.adamStep = state.step;
    this.hasAdamState = true;
  }

  setTrainingData(x: Float32Array, rows: number): void {
    void this.k;
    checkPositiveInteger('rows', rows);
    checkLength('training data', x, rows * this.n);
    this.arena.releasePersistent(this.dataMark);
    this.data = this.arena.allocatePersistent(x.length * F32);
    this.arena.f32(this.data, x.length).set(x);
    this.dataRows = rows;
  }

  trainStep(rowIndices: Uint32Array | null, loss: LossConfig, optimizer: OptimizerConfig): LossTerms {
    const k = this.k;
    if (this.dataRows === 0) throw new Error('trainStep: no training data (call setTrainingData first)');
    const arena = this.arena;
    arena.resetScratch();
    try {
      let x = this.data;
      let m = this.dataRows;
      if (rowIndices !== null) {
        m = rowIndices.length;
        checkPositiveInteger('rowIndices.length', m);
        for (let r = 0; r < m; r++) {
          if (rowIndices[r]! >= this.dataRows) {
            throw new RangeError(`rowIndices[${r}] = ${rowIndices[r]} is not a row of the ${this.dataRows} training rows`);
          }
        }
        const indices = arena.allocateScratch(m * 4);
        arena.u32(indices, m).set(rowIndices);
        x = arena.allocateScratch(m * this.n * F32);
        k.gather_rows(this.data, indices, x, m, this.n);
      }
      const { terms } = this.backward(x, m, loss);
      this.update(optimizer);
      return terms;
    } finally {
      arena.resetScratch();
    }
  }

  forward(x: Float32Array, rows: number): ForwardResult {
    return this.withInput('x', x, rows, this.n, (px) => {
      const { hidden, output } = this.forwardAt(px, rows);
      return { hidden: this.arena.f32(hidden, rows * this.h).slice(), output: this.arena.f32(output, rows * this.n).slice() };
    });
  }

  decode(hidden: Float32Array, rows: number): Float32Array {
    return this.withInput('hidden', hidden, rows, this.h, (pa) => {
      const { n, h, arena } = this;
      const py = arena.allocateScratch(rows * n * F32);
      this.k.gemm_nn_bias_sigmoid(pa, this.params.W2, this.params.b2, py, rows, h, n);
      return arena.f32(py, rows * n).slice();
    });
  }

  gradients(x: Float32Array, rows: number, loss: LossConfig): GradientResult {
    return this.withInput('x', x, rows, this.n, (px) => {
      const { terms, rhoHat } = this.backward(px, rows, loss);
      return {
        terms,
        meanActivation: this.arena.f32(rhoHat, this.h).slice(),
        gradients: this.readBlock(this.grads),
      };
    });
  }

  dispose(): void {
    this.kernels = null;
    this.data = 0;
    this.dataRows = 0;
  }

  /**
   * Checks `values` ([rows×width]), copies them into scratch memory and runs `body` with their
   * address; scratch is reset before and after, so nothing `body` allocates outlives the call.
   */
  private withInput<T>(name: string, values: Float32Array, rows: number, width: number, body: (address: number) => T): T {
    void this.k;
    checkPositiveInteger('rows', rows);
    checkLength(name, values, rows * width);
    const arena = this.arena;
    arena.resetScratch();
    try {
      const address = arena.allocateScratch(values.length * F32);
      arena.f32(address, values.length).set(values);
      return body(address);
    } finally {
      arena.resetScratch();
    }
  }

  /** a = σ(X·W1 + b1), y = σ(a·W2 + b2) into new scratch blocks; x is [rows×n] in wasm memory. */
  private forwardAt(x: number, rows: number): { hidden: number; output: number } {
    const k = this.k;
    const { n, h, arena, params } = this;
    const hidden = arena.allocateScratch(rows * h * F32);
    const output = arena.allocateScratch(rows * n * F32);
    k.gemm_nn_bias_sigmoid(x, params.W1, params.b1, hidden, rows, n, h);
    k.gemm_nn_bias_sigmoid(hidden, params.W2, params.b2, output, rows, h, n);
    return { hidden, output };
  }

  /**
   * Forward and backward on the batch x [m×n] (in wasm memory): fills the gradient block and
   * returns the loss terms (of the parameters as they are) and the address of ρ̂ [h].
   */
  private backward(x: number, m: number, loss: LossConfig): { terms: LossTerms; rhoHat: number } {
    const k = this.k;
    const { n, h, arena, params, grads } = this;
    const r = loss.reduction === 'mean' ? 1 / m : 1;
    const alpha = loss.weightDecay;
    const beta = loss.sparsityWeight;

    const { hidden: a, output: y } = this.forwardAt(x, m);
    const delta2 = arena.allocateScratch(m * n * F32);
    const dA = arena.allocateScratch(m * h * F32);
    const rhoHat = arena.allocateScratch(h * F32);
    const klGrad = arena.allocateScratch(h * F32);

    // output layer: δ2 = r·(y − x)·y·(1 − y); gb2 = Σ_rows δ2; gW2 = aᵀ·δ2
    const squaredError = k.output_delta(y, x, delta2, m * n, r);
    k.column_sum(delta2, grads.b2, m, n);
    k.gemm_tn(a, delta2, grads.W2, h, m, n);
    // hidden layer: dA = (δ2·W2ᵀ + β·∂KL/∂a)·a·(1 − a); gb1 = Σ_rows dA; gW1 = Xᵀ·dA
    k.gemm_nt(delta2, params.W2, dA, m, n, h);
    k.column_mean(a, rhoHat, m, h);
    const kl = k.kl_gradient(rhoHat, klGrad, h, loss.sparsityTarget, beta, 1 / m);
    k.hidden_delta(dA, a, klGrad, m, h);
    k.column_sum(dA, grads.b1, m, h);
    k.gemm_tn(x, dA, grads.W1, n, m, h);

    let decay = 0;
    if (alpha !== 0) {
      decay = (alpha / 2) * (k.sum_squares(params.W1, n * h) + k.sum_squares(params.W2, h * n));
      k.add_scaled(grads.W1, params.W1, n * h, alpha);
      k.add_scaled(grads.W2, params.W2, h * n, alpha);
    }
    const reconstruction = r * 0.5 * squaredError;
    const sparsity = beta * kl;
    return {
      terms: { loss: reconstruction + decay + sparsity, reconstruction, weightDecay: decay, sparsity },
      rhoHat,
    };
  }

  /** Applies the optimizer to the whole parameter block with the gradient block. */
  private update(optimizer: OptimizerConfig): void {
    const k = this.k;
    if (optimizer.kind === 'sgd') {
      k.sgd_update(this.params.W1, this.grads.W1, this.total, optimizer.learningRate);
      return;
    }
    if (optimizer.kind !== 'adam') throw new Error(`unknown optimizer ${(optimizer as { kind: string }).kind}`);
    const { learningRate, beta1, beta2, epsilon } = optimizer;
    const t = this.adamStep + 1;
    const lrT = (learningRate * Math.sqrt(1 - Math.pow(beta2, t))) / (1 - Math.pow(beta1, t));
    k.adam_update(this.params.W1, this.grads.W1, this.adamM, this.adamV, this.total, lrT, beta1, beta2, epsilon);
    this.adamStep = t;
    this.hasAdamState = true;
  }
}
