/**
 * One model inside one instance of the kernel module. The forward and backward passes are the
 * architecture's composition of kernels (src/architectures/<name>/assemblyscript.ts); this file
 * keeps the memory, the optimizer and the training step around them.
 *
 * Linear memory (all f32, each block 16-byte aligned, see arena.ts):
 * ```
 *  persistent: params [the architecture's parameters, in its order, e.g. W1|b1|W2|b2]  steps since fired
 *              │ grads [same]  Adam m [same]  Adam v [same]  X data
 *  scratch:    batch rows, indices, and what the architecture's passes allocate   (reset every call)
 * ```
 * Parameters, gradients and the Adam moments share one layout so the optimizer is one call over
 * the whole model. The training buffers (right of │: three times the parameters) are allocated
 * when training first needs them, so a model loaded only to encode (the Worker's cold path) grows
 * and touches a quarter of the memory: growing and first-touching fresh wasm pages is most of a
 * 784 → 196 model's load. A training step copies nothing between JavaScript and wasm except scalars and
 * the batch's row indices.
 */
import { outputWidth, type AsContext, type AsKernels, type ParameterSpec } from '../../architectures/contract.js';
import { architectureModule } from '../../architectures/registry.js';
import { adamStepSize } from '../formulas.js';
import { sizeOf } from '../types.js';
import type { AdamState, Architecture, BackendSession, ForwardResult, GradientResult, LayerShape, LossConfig, LossTerms, OptimizerConfig, ParameterName, Parameters } from '../types.js';
import { Arena } from './arena.js';
import type { KernelExports } from './kernel-module.js';
import type { KernelThreads } from './kernel-threads.js';

const F32 = 4;

/** Byte addresses of the parts of a parameter block (one per declared parameter) starting at `base`. */
type Layout = Record<string, number> & Record<ParameterName, number>;

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
  /** The decoder's output width (a transcoder's d_out, else n). */
  private readonly out: number;
  /** The architecture's parameters, in storage order; floats in each, and in all of them. */
  private readonly specs: readonly ParameterSpec[];
  private readonly sizes: Record<string, number>;
  private readonly total: number;
  /** The architecture's forward and backward passes. */
  private readonly passes: AsKernels;
  private readonly params: Layout;
  /** Gradients and Adam's moments; null until training first needs them (see ensureTraining). */
  private trainingBuffers: TrainingBuffers | null = null;
  private adamStep = 0;
  private hasAdamState = false;
  /** The persistent mark below the training data, so new data replaces the old (set with the training buffers). */
  private dataMark = 0;
  private data = 0;
  private dataRows = 0;
  /** u32 [h]: training steps since each unit last fired (TopK's dead units). */
  private readonly stepsSinceFired: number;

  /** Arguments are checked by checked-session.ts (as they are for every backend), not here. */
  constructor(
    kernels: KernelExports,
    shape: LayerShape,
    params: Parameters,
    readonly architecture: Architecture,
    /** A fresh instance of the same module, for `compact`; without it the memory only grows. */
    private readonly renew?: () => KernelExports,
    /** Worker threads the kernels split their calls across (threaded-kernels.ts); absent: one thread. */
    private readonly threads?: KernelThreads,
  ) {
    this.shape = shape;
    this.kernels = kernels;
    this.n = shape.inputSize;
    this.h = shape.hiddenSize;
    this.out = outputWidth(shape);
    const module = architectureModule(architecture.architecture);
    this.passes = module.assemblyscript;
    this.specs = module.parameters(shape);
    this.sizes = Object.fromEntries(this.specs.map((spec) => [spec.name, sizeOf(spec.dims)]));
    this.total = this.specs.reduce((sum, spec) => sum + sizeOf(spec.dims), 0);
    this.arena = new Arena(kernels.memory, kernels.heap_base());
    // (before any other persistent block: binding allocates the workers' scratch)
    if (threads) this.kernels = threads.bind(kernels, this.arena);
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
    this.zero(this.base(grads), this.total);
    this.zero(adamM, this.total);
    this.zero(adamV, this.total);
    this.dataMark = arena.persistentMark();
    this.trainingBuffers = { grads, adamM, adamV };
    return this.trainingBuffers;
  }

  private layout(base: number): Layout {
    const layout = {} as Layout;
    let address = base;
    for (const { name } of this.specs) {
      layout[name] = address;
      address += this.sizes[name]! * F32;
    }
    return layout;
  }

  /** The address of a block's first parameter: the block is contiguous, so the optimizer is one call over it. */
  private base(layout: Layout): number {
    return layout[this.specs[0]!.name]!;
  }

  private get k(): KernelExports {
    // checked-session.ts refuses calls after dispose; this is the backstop
    if (this.kernels === null) throw new Error('assemblyscript session: used after dispose()');
    return this.kernels;
  }

  private zero(address: number, count: number): void {
    this.arena.f32(address, count).fill(0);
  }

  /** Copies a parameter block out as Parameters. */
  private readBlock(layout: Layout): Parameters {
    const block = {} as Parameters;
    for (const { name } of this.specs) block[name] = this.arena.f32(layout[name]!, this.sizes[name]!).slice();
    return block;
  }

  private writeBlock(layout: Layout, p: Parameters): void {
    for (const { name } of this.specs) this.arena.f32(layout[name]!, this.sizes[name]!).set(p[name]!);
  }

  /** What the architecture's passes see of this session (the gradients only inside training calls). */
  private context(): AsContext {
    const session = this;
    const arena = this.arena;
    return {
      kernels: this.k,
      n: this.n,
      h: this.h,
      out: this.out,
      architecture: this.architecture,
      params: this.params,
      get grads() {
        return session.grads;
      },
      stepsSinceFired: this.stepsSinceFired,
      scratch: (bytes) => arena.allocateScratch(bytes),
      f32: (address, count) => arena.f32(address, count),
      u32: (address, count) => arena.u32(address, count),
    };
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
      const ctx = this.context();
      const { terms, hidden } = this.backward(ctx, x, m, loss);
      k.update_steps_since_fired(hidden, this.stepsSinceFired, m, this.h);
      this.update(optimizer);
      this.passes.afterUpdate?.(ctx, { hidden, rows: m, loss });
      return terms;
    } finally {
      arena.resetScratch();
    }
  }

  /** The architecture's backward pass (the checked session refuses training an inference-only one before this). */
  private backward(ctx: AsContext, x: number, m: number, loss: LossConfig): ReturnType<NonNullable<AsKernels['backward']>> {
    if (this.passes.backward === undefined) throw new Error(`assemblyscript session: ${this.architecture.architecture} has no backward pass (inference only)`);
    return this.passes.backward(ctx, x, m, loss);
  }

  forward(x: Float32Array, rows: number): ForwardResult {
    return this.withInput(x, (px) => {
      const ctx = this.context();
      const { hidden, output } = this.passes.forward(ctx, px, rows);
      if (this.sizes.W_skip !== undefined) {
        // a skip transcoder's output adds x·W_skip (SAELens' SkipTranscoder.forward, sparsify's SparseCoder.forward)
        const skip = this.arena.allocateScratch(rows * this.out * F32);
        this.k.gemm_nn(px, this.params.W_skip!, skip, rows, this.n, this.out);
        this.k.add_scaled(output, skip, rows * this.out, 1);
      }
      return { hidden: this.arena.f32(hidden, rows * this.h).slice(), output: this.arena.f32(output, rows * this.out).slice() };
    });
  }

  encode(x: Float32Array, rows: number): Float32Array {
    return this.withInput(x, (px) => this.arena.f32(this.passes.encode(this.context(), px, rows), rows * this.h).slice());
  }

  decode(hidden: Float32Array, rows: number): Float32Array {
    return this.withInput(hidden, (pa) => {
      const py = this.arena.allocateScratch(rows * this.out * F32);
      this.passes.decode(this.context(), pa, py, rows);
      return this.arena.f32(py, rows * this.out).slice();
    });
  }

  gradients(x: Float32Array, rows: number, loss: LossConfig): GradientResult {
    void this.k;
    this.ensureTraining(); // before withInput's scratch block: it allocates persistent blocks
    return this.withInput(x, (px) => {
      const { terms, rhoHat } = this.backward(this.context(), px, rows, loss);
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
    this.threads?.release();
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
    this.kernels = this.threads ? this.threads.bind(kernels, this.arena) : kernels;
  }

  /** Applies the optimizer to the whole parameter block with the gradient block. */
  private update(optimizer: OptimizerConfig): void {
    const k = this.k;
    if (optimizer.clipNorm) this.clipGradients(optimizer.clipNorm);
    if (optimizer.kind === 'sgd') {
      k.sgd_update(this.base(this.params), this.base(this.grads), this.total, optimizer.learningRate);
      return;
    }
    const { beta1, beta2, epsilon } = optimizer;
    const t = this.adamStep + 1;
    const lrT = adamStepSize(optimizer, t);
    const { adamM, adamV } = this.training;
    k.adam_update(this.base(this.params), this.base(this.grads), adamM, adamV, this.total, lrT, beta1, beta2, epsilon);
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
    const norm = Math.sqrt(this.k.sum_squares(this.base(this.grads), this.total));
    if (!(norm > clipNorm)) return;
    const factor = Math.fround(clipNorm / norm);
    const g = this.arena.f32(this.base(this.grads), this.total);
    for (let i = 0; i < g.length; i++) g[i] = Math.fround(g[i]! * factor);
  }
}
