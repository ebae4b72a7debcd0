/**
 * One model inside one instance of the kernel module.
 *
 * Linear memory (all f32, each block 16-byte aligned, see arena.ts):
 * ```
 *  persistent: params [W1|b1|W2|b2]  steps since fired  │ grads [gW1|gb1|gW2|gb2]  Adam m [same]  Adam v [same]  X data
 *  scratch:    batch rows, indices, hidden a, output y, δ2, dA, ρ̂, KL gradient   (reset every call)
 * ```
 * Parameters, gradients and the Adam moments share one layout so the optimizer is one call over
 * the whole model. The training buffers (right of │: three times the parameters) are allocated
 * when training first needs them, so a model loaded only to encode (the Worker's cold path) grows
 * and touches a quarter of the memory: growing and first-touching fresh wasm pages is most of a
 * 784 → 196 model's load. A training step copies nothing between JavaScript and wasm except scalars and
 * the batch's row indices.
 */
import { adamStepSize, KL_CLAMP } from '../formulas.js';
import { PARAMETER_NAMES, parameterCount, parameterSizes } from '../types.js';
import type { AdamState, Architecture, BackendSession, ForwardResult, GradientResult, LayerShape, LossConfig, LossTerms, OptimizerConfig, ParameterName, Parameters } from '../types.js';
import { Arena } from './arena.js';
import type { KernelExports } from './kernel-module.js';

const F32 = 4;

/** Byte addresses of the four parts of a [W1|b1|W2|b2] block starting at `base`. */
type Layout = Record<ParameterName, number>;

/** What only training uses: the gradient block and the two Adam moment blocks. */
interface TrainingBuffers {
  grads: Layout;
  adamM: number;
  adamV: number;
}

/**
 * Scratch memory a session keeps between calls; beyond it, `compact` gives the memory back. Small,
 * since the isolate's model cache holds up to 16 sessions (128 MB isolate); encodes of up to
 * ~800 rows at hidden 512 fit in it and never pay for a new instance.
 */
export const SCRATCH_KEPT_BYTES = 2 * 1024 * 1024;

export class AssemblyScriptSession implements BackendSession {
  readonly shape: LayerShape;
  private kernels: KernelExports | null;
  private arena: Arena;
  private readonly n: number;
  private readonly h: number;
  /** Floats in each part of [W1|b1|W2|b2], and in all of it. */
  private readonly sizes: Record<ParameterName, number>;
  private readonly total: number;
  private readonly params: Layout;
  /** Gradients and Adam's moments; null until training first needs them (see ensureTraining). */
  private trainingBuffers: TrainingBuffers | null = null;
  private adamStep = 0;
  private hasAdamState = false;
  /** The persistent mark below the training data, so new data replaces the old (set with the training buffers). */
  private dataMark = 0;
  private data = 0;
  private dataRows = 0;
  /** u32 [h]: training steps since each unit last fired (topk's dead units). */
  private readonly stepsSinceFired: number;

  /** Arguments are checked by checked-session.ts (as they are for every backend), not here. */
  constructor(
    kernels: KernelExports,
    shape: LayerShape,
    params: Parameters,
    readonly architecture: Architecture,
    /** A fresh instance of the same module, for `compact`; without it the memory only grows. */
    private readonly renew?: () => KernelExports,
  ) {
    this.shape = shape;
    this.kernels = kernels;
    this.n = shape.inputSize;
    this.h = shape.hiddenSize;
    this.sizes = parameterSizes(shape);
    this.total = parameterCount(shape);
    this.arena = new Arena(kernels.memory, kernels.heap_base());
    const blockBytes = this.total * F32;
    this.params = this.layout(this.arena.allocatePersistent(this.total * F32));
    this.stepsSinceFired = this.arena.allocatePersistent(this.h * 4);
    this.arena.u32(this.stepsSinceFired, this.h).fill(0);
    this.setParameters(params);
  }

  /** The training buffers inside a training call (trainStep, gradients), which allocated them first. */
  private get training(): TrainingBuffers {
    if (this.trainingBuffers === null) throw new Error('assemblyscript session: training buffers used before they were allocated');
    return this.trainingBuffers;
  }

  private get grads(): Layout {
    return this.training.grads;
  }

  /**
   * The gradient and moment blocks, allocated (and zeroed) on first use. Only ever called while
   * the persistent region ends at the parameters (no training data yet: setTrainingData calls it
   * before allocating the data), so the blocks sit below the data and the data mark above them.
   */
  private ensureTraining(): TrainingBuffers {
    if (this.trainingBuffers !== null) return this.trainingBuffers;
    const arena = this.arena;
    arena.resetScratch();
    const blockBytes = this.total * F32;
    const grads = this.layout(arena.allocatePersistent(blockBytes));
    const adamM = arena.allocatePersistent(blockBytes);
    const adamV = arena.allocatePersistent(blockBytes);
    // Zeroed, not assumed zero: encode calls before training wrote scratch blocks where these now lie.
    this.zero(grads.W1, this.total);
    this.zero(adamM, this.total);
    this.zero(adamV, this.total);
    this.dataMark = arena.persistentMark();
    this.trainingBuffers = { grads, adamM, adamV };
    return this.trainingBuffers;
  }

  private layout(base: number): Layout {
    const layout = {} as Layout;
    let address = base;
    for (const name of PARAMETER_NAMES) {
      layout[name] = address;
      address += this.sizes[name] * F32;
    }
    return layout;
  }

  private get k(): KernelExports {
    // checked-session.ts refuses calls after dispose; this is the backstop
    if (this.kernels === null) throw new Error('assemblyscript session: used after dispose()');
    return this.kernels;
  }

  private zero(address: number, count: number): void {
    this.arena.f32(address, count).fill(0);
  }

  /** Copies a [W1|b1|W2|b2] block out as Parameters. */
  private readBlock(layout: Layout): Parameters {
    const block = {} as Parameters;
    for (const name of PARAMETER_NAMES) block[name] = this.arena.f32(layout[name], this.sizes[name]).slice();
    return block;
  }

  private writeBlock(layout: Layout, p: Parameters): void {
    for (const name of PARAMETER_NAMES) this.arena.f32(layout[name], this.sizes[name]).set(p[name]);
  }

  getParameters(): Parameters {
    void this.k;
    return this.readBlock(this.params);
  }

  setParameters(params: Parameters): void {
    void this.k;
    this.writeBlock(this.params, params);
  }

  getOptimizerState(): AdamState | null {
    void this.k;
    if (!this.hasAdamState) return null;
    const { adamM, adamV } = this.training;
    return {
      step: this.adamStep,
      m: this.readBlock(this.layout(adamM)),
      v: this.readBlock(this.layout(adamV)),
    };
  }

  setOptimizerState(state: AdamState | null): void {
    void this.k;
    if (state === null) {
      if (this.trainingBuffers !== null) {
        this.zero(this.trainingBuffers.adamM, this.total);
        this.zero(this.trainingBuffers.adamV, this.total);
      }
      this.adamStep = 0;
      this.hasAdamState = false;
      return;
    }
    const { adamM, adamV } = this.ensureTraining();
    this.writeBlock(this.layout(adamM), state.m);
    this.writeBlock(this.layout(adamV), state.v);
    this.adamStep = state.step;
    this.hasAdamState = true;
  }

  getStepsSinceFired(): Uint32Array {
    void this.k;
    return this.arena.u32(this.stepsSinceFired, this.h).slice();
  }

  setStepsSinceFired(steps: Uint32Array): void {
    void this.k;
    this.arena.u32(this.stepsSinceFired, this.h).set(steps);
  }

  setTrainingData(x: Float32Array, rows: number): void {
    void this.k;
    this.ensureTraining();
    this.arena.releasePersistent(this.dataMark);
    this.data = this.arena.allocatePersistent(x.length * F32);
    this.arena.f32(this.data, x.length).set(x);
    this.dataRows = rows;
  }

  trainStep(rowIndices: Uint32Array | null, loss: LossConfig, optimizer: OptimizerConfig): LossTerms {
    const k = this.k;
    const arena = this.arena;
    arena.resetScratch();
    try {
      let x = this.data;
      let m = this.dataRows;
      if (rowIndices !== null) {
        m = rowIndices.length;
        const indices = arena.allocateScratch(m * 4);
        arena.u32(indices, m).set(rowIndices);
        x = arena.allocateScratch(m * this.n * F32);
        k.gather_rows(this.data, indices, x, m, this.n);
      }
      const { terms, hidden } = this.backward(x, m, loss);
      k.update_steps_since_fired(hidden, this.stepsSinceFired, m, this.h);
      this.update(optimizer);
      if (this.architecture.architecture === 'topk') k.normalize_rows(this.params.W2, this.h, this.n);
      return terms;
    } finally {
      arena.resetScratch();
    }
  }

  forward(x: Float32Array, rows: number): ForwardResult {
    return this.withInput(x, (px) => {
      const { hidden, output } = this.forwardAt(px, rows);
      return { hidden: this.arena.f32(hidden, rows * this.h).slice(), output: this.arena.f32(output, rows * this.n).slice() };
    });
  }

  decode(hidden: Float32Array, rows: number): Float32Array {
    return this.withInput(hidden, (pa) => {
      const { n, h, arena } = this;
      const py = arena.allocateScratch(rows * n * F32);
      if (this.architecture.architecture === 'sigmoid') this.k.gemm_nn_bias_sigmoid(pa, this.params.W2, this.params.b2, py, rows, h, n);
      else this.linearDecode(pa, py, rows);
      return arena.f32(py, rows * n).slice();
    });
  }

  gradients(x: Float32Array, rows: number, loss: LossConfig): GradientResult {
    void this.k;
    this.ensureTraining(); // before withInput's scratch block: it allocates persistent blocks
    return this.withInput(x, (px) => {
      const { terms, rhoHat } = this.backward(px, rows, loss);
      return {
        terms,
        meanActivation: this.arena.f32(rhoHat, this.h).slice(),
        gradients: this.readBlock(this.grads),
      };
    });
  }

  /** Bytes of the instance's linear memory (what this session keeps resident). */
  get memoryBytes(): number {
    return this.arena.memory.buffer.byteLength;
  }

  dispose(): void {
    this.kernels = null;
    this.data = 0;
    this.dataRows = 0;
  }

  /**
   * Copies `values` into scratch memory and runs `body` with their address; scratch is reset
   * before and after, so nothing `body` allocates outlives the call.
   */
  private withInput<T>(values: Float32Array, body: (address: number) => T): T {
    void this.k;
    const arena = this.arena;
    arena.resetScratch();
    try {
      const address = arena.allocateScratch(values.length * F32);
      arena.f32(address, values.length).set(values);
      return body(address);
    } finally {
      arena.resetScratch();
      this.compact();
    }
  }

  /**
   * Gives back what a large call grew, in inference-only sessions such as the API's cached models.
   * A WebAssembly.Memory never shrinks, so a session whose memory passed its persistent blocks by
   * more than SCRATCH_KEPT_BYTES after a call moves them to a fresh instance of the module, and the
   * old memory goes with the next garbage collection. Without it, a cached model kept the scratch
   * of its largest encode (10,000 rows × 512 hidden: 25.9 MB) resident for as long as it stayed
   * cached (docs/API.md, Memory).
   */
  private compact(): void {
    // A training session (a job's, a fit's) keeps its memory: it lives only as long as its run, and
    // moving its Adam state and data after every step would cost more than the memory.
    if (!this.renew || this.kernels === null || this.trainingBuffers !== null) return;
    if (this.arena.memory.buffer.byteLength - this.arena.persistentMark() <= SCRATCH_KEPT_BYTES) return;
    const kernels = this.renew();
    this.arena = this.arena.movedTo(kernels.memory, kernels.heap_base());
    this.kernels = kernels;
  }

  /**
   * sigmoid: a = σ(X·W1 + b1), y = σ(a·W2 + b2) into new scratch blocks; x is [rows×n] in wasm
   * memory. relu, topk: linearForwardAt.
   */
  private forwardAt(x: number, rows: number): { hidden: number; output: number } {
    if (this.architecture.architecture !== 'sigmoid') return this.linearForwardAt(x, rows);
    const k = this.k;
    const { n, h, arena, params } = this;
    const hidden = arena.allocateScratch(rows * h * F32);
    const output = arena.allocateScratch(rows * n * F32);
    k.gemm_nn_bias_sigmoid(x, params.W1, params.b1, hidden, rows, n, h);
    k.gemm_nn_bias_sigmoid(hidden, params.W2, params.b2, output, rows, h, n);
    return { hidden, output };
  }

  /**
   * relu, topk (assembly/sparse-codes.ts): centred = X − b_dec, z = centred·W_enc + b_enc,
   * a = max(z, 0) (topk: on each row's k largest z), x̂ = a·W_dec + b_dec.
   */
  private linearForwardAt(x: number, rows: number): { hidden: number; output: number; centred: number; pre: number; codes: number } {
    const k = this.k;
    const { n, h, arena, params } = this;
    const centred = arena.allocateScratch(rows * n * F32);
    arena.f32(centred, rows * n).set(arena.f32(x, rows * n));
    k.add_row_vector(centred, params.b2, rows, n, -1);
    const pre = arena.allocateScratch(rows * h * F32);
    k.gemm_nn(centred, params.W1, pre, rows, n, h);
    k.add_row_vector(pre, params.b1, rows, h, 1);
    const hidden = arena.allocateScratch(rows * h * F32);
    const output = arena.allocateScratch(rows * n * F32);
    let codes = 0;
    if (this.architecture.architecture === 'topk') {
      const scratch = arena.allocateScratch(h * F32);
      k.top_k_codes(pre, 0, hidden, scratch, rows, h, this.architecture.k);
      // k of h codes a row: the products with the codes go through their index (assembly/sparse-gemm.ts)
      codes = this.nonzeroIndex(hidden, rows, h);
      k.sparse_gemm_nn(hidden, codes, params.W2, output, arena.allocateScratch(n * F32), rows, h, n);
      k.add_row_vector(output, params.b2, rows, n, 1);
    } else {
      k.relu(pre, hidden, rows * h);
      this.linearDecode(hidden, output, rows);
    }
    return { hidden, output, centred, pre, codes };
  }

  /** nonzero_index of a [rows×cols] into new scratch; returns its address. */
  private nonzeroIndex(a: number, rows: number, cols: number): number {
    const index = this.arena.allocateScratch((rows + 1 + rows * cols) * 4);
    this.k.nonzero_index(a, rows, cols, index);
    return index;
  }

  /** Scratch for sparse_gemm_tn producing [M×N] from K rows (only used when K > 256). */
  private sparseTnWork(M: number, K: number, N: number): number {
    return K > 256 ? this.arena.allocateScratch(M * N * F32 + 2 * M * 4) : 0;
  }

  /** out = a·W_dec + b_dec. */
  private linearDecode(a: number, out: number, rows: number): void {
    const { n, h, params } = this;
    this.k.gemm_nn(a, params.W2, out, rows, h, n);
    this.k.add_row_vector(out, params.b2, rows, n, 1);
  }

  /**
   * relu and topk forward and backward on x [m×n] (src/reference/linear-sae-reference.ts has
   * every formula): fills the gradient block.
   */
  private linearBackward(x: number, m: number, loss: LossConfig): { terms: LossTerms; rhoHat: number; hidden: number } {
    const k = this.k;
    const { n, h, arena, params, grads } = this;
    const { hidden: a, output: y, centred, pre, codes } = this.linearForwardAt(x, m);
    const topk = this.architecture.architecture === 'topk';
    const d = arena.allocateScratch(m * n * F32);
    const dZ = arena.allocateScratch(m * h * F32);
    const add = arena.allocateScratch(h * F32);
    this.zero(add, h);

    // d = (2/m)·(x̂ − x); gW_dec = aᵀ·d; Σ_i d_i is b_dec's direct part
    const squaredError = k.linear_output_delta(y, x, d, m * n, 2 / m);
    if (topk) k.sparse_gemm_tn(a, codes, d, grads.W2, this.sparseTnWork(h, m, n), h, m, n);
    else k.gemm_tn(a, d, grads.W2, h, m, n);
    k.column_sum(d, grads.b2, m, n);
    // topk: d·W_decᵀ only where a > 0 (code_delta zeroes the rest)
    if (topk) k.masked_gemm_nt(d, params.W2, dZ, codes, m, n, h);
    else k.gemm_nt(d, params.W2, dZ, m, n, h);

    let sparsity = 0;
    if (this.architecture.architecture === 'relu') {
      // L1 weighted by ν_j = ‖W_dec[j,:]‖: δa += (λ/m)·ν_j, gW_dec[j,:] += (λ/m)·(Σ_i a_ij)/ν_j·W_dec[j,:]
      const scale = loss.sparsityWeight / m;
      const norms = arena.allocateScratch(h * F32);
      const codeSum = arena.allocateScratch(h * F32);
      k.row_norms(params.W2, norms, h, n);
      k.add_scaled(add, norms, h, scale);
      k.column_sum(a, codeSum, m, h);
      sparsity = scale * k.l1_decoder_gradient(grads.W2, params.W2, codeSum, norms, h, n, scale);
    }
    // δz = (δa + add)·1[a > 0]
    k.code_delta(dZ, a, add, m, h);
    if (topk) sparsity = this.auxK(x, m, loss, pre, y, dZ);

    // gW_enc = (X − b_dec)ᵀ·δz; gb_enc = Σ_i δz_i; gb_dec −= W_enc·gb_enc
    if (topk) {
      // δz is non-zero only where a or a_aux is: gW_encᵀ = δzᵀ·(X − b_dec) through δz's index, transposed
      const transposed = arena.allocateScratch(h * n * F32);
      k.sparse_gemm_tn(dZ, this.nonzeroIndex(dZ, m, h), centred, transposed, this.sparseTnWork(h, m, n), h, m, n);
      k.transpose(transposed, grads.W1, h, n);
    } else {
      k.gemm_tn(centred, dZ, grads.W1, n, m, h);
    }
    k.column_sum(dZ, grads.b1, m, h);
    const encoderPart = arena.allocateScratch(n * F32);
    k.gemm_nn(params.W1, grads.b1, encoderPart, n, h, 1);
    k.add_scaled(grads.b2, encoderPart, n, -1);

    const rhoHat = arena.allocateScratch(h * F32);
    k.column_mean(a, rhoHat, m, h);
    const reconstruction = squaredError / m;
    return { terms: { loss: reconstruction + sparsity, reconstruction, weightDecay: 0, sparsity }, rhoHat, hidden: a };
  }

  /**
   * topk's AuxK term, when some unit is dead: ê = a_aux·W_dec from each row's auxK largest dead
   * pre-activations; d_aux = (2c/m)·(ê − e), e = x − x̂ held constant; gW_dec += a_auxᵀ·d_aux,
   * δz += (d_aux·W_decᵀ)·1[a_aux > 0]. Returns the term, (c/m)·Σ‖e − ê‖².
   */
  private auxK(x: number, m: number, loss: LossConfig, pre: number, y: number, dZ: number): number {
    const k = this.k;
    const { n, h, arena, params, grads } = this;
    const mask = arena.allocateScratch(h);
    const dead = k.dead_mask(this.stepsSinceFired, mask, h, loss.deadSteps ?? 1);
    if (dead === 0) return 0;
    const c = loss.auxCoefficient ?? 0;
    const aAux = arena.allocateScratch(m * h * F32);
    const scratch = arena.allocateScratch(h * F32);
    k.top_k_codes(pre, mask, aAux, scratch, m, h, loss.auxK ?? 0);
    // at most auxK of h codes a row: the products go through their index (assembly/sparse-gemm.ts)
    const auxCodes = this.nonzeroIndex(aAux, m, h);
    const eHat = arena.allocateScratch(m * n * F32);
    k.sparse_gemm_nn(aAux, auxCodes, params.W2, eHat, arena.allocateScratch(n * F32), m, h, n);
    const dAux = arena.allocateScratch(m * n * F32);
    const auxError = k.aux_delta(eHat, x, y, dAux, m * n, (2 * c) / m);
    const decoderPart = arena.allocateScratch(h * n * F32);
    k.sparse_gemm_tn(aAux, auxCodes, dAux, decoderPart, this.sparseTnWork(h, m, n), h, m, n);
    k.add_scaled(grads.W2, decoderPart, h * n, 1);
    // d_aux·W_decᵀ only where a_aux > 0 (what masked_add takes)
    const codePart = arena.allocateScratch(m * h * F32);
    k.masked_gemm_nt(dAux, params.W2, codePart, auxCodes, m, n, h);
    k.masked_add(dZ, codePart, aAux, m * h);
    return (c / m) * auxError;
  }

  /**
   * Forward and backward on the batch x [m×n] (in wasm memory): fills the gradient block and
   * returns the loss terms (of the parameters as they are) and the address of ρ̂ [h].
   */
  private backward(x: number, m: number, loss: LossConfig): { terms: LossTerms; rhoHat: number; hidden: number } {
    if (this.architecture.architecture !== 'sigmoid') return this.linearBackward(x, m, loss);
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
    const kl = k.kl_gradient(rhoHat, klGrad, h, loss.sparsityTarget, beta, 1 / m, KL_CLAMP);
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
      hidden: a,
    };
  }

  /** Applies the optimizer to the whole parameter block with the gradient block. */
  private update(optimizer: OptimizerConfig): void {
    const k = this.k;
    if (optimizer.clipNorm) this.clipGradients(optimizer.clipNorm);
    if (optimizer.kind === 'sgd') {
      k.sgd_update(this.params.W1, this.grads.W1, this.total, optimizer.learningRate);
      return;
    }
    const { beta1, beta2, epsilon } = optimizer;
    const t = this.adamStep + 1;
    const lrT = adamStepSize(optimizer, t);
    const { adamM, adamV } = this.training;
    k.adam_update(this.params.W1, this.grads.W1, adamM, adamV, this.total, lrT, beta1, beta2, epsilon);
    this.adamStep = t;
    this.hasAdamState = true;
  }

  /**
   * Scales the gradients (one contiguous block, in parameter order) by clipNorm/‖g‖₂ when their
   * global norm exceeds clipNorm. The norm is the kernels' float64 sum of squares; the scaling
   * is a plain loop over the block (once a step, O(parameters): about 1% of a 784→196 step),
   * each product rounded to float32 as f32.mul would round it (exact in float64, then fround).
   */
  private clipGradients(clipNorm: number): void {
    const norm = Math.sqrt(this.k.sum_squares(this.grads.W1, this.total));
    if (!(norm > clipNorm)) return;
    const factor = Math.fround(clipNorm / norm);
    const g = this.arena.f32(this.grads.W1, this.total);
    for (let i = 0; i < g.length; i++) g[i] = Math.fround(g[i]! * factor);
  }
}
