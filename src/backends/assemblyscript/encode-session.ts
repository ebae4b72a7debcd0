/**
 * The encode-only session (issue 27): one instance of the kernel module holding only what the
 * encoder reads — W_enc laid out once, at creation, as the encode kernels read it (f32, bf16 or
 * int8 panels: encoder-kernels.ts), b_enc, b_dec when the architecture centres its input, and
 * the architecture's own encoder parameters (jumprelu's θ; gated's r_mag, b_mag and its b1, the
 * gate bias, which its activation adds: AsLinearEncoder.unbiasedProduct) — and per call
 *
 *   x (normalised) → x − b_dec (centred architectures) → z = ·W_enc + b_enc (the rows kernel for a
 *   few rows, the GEMM for many; ReLU fused for relu) → the architecture's activation (topk's
 *   top-k, jumprelu's jump, sigmoid's σ) → codes
 *
 * and nothing else: no decoder pass, no training buffers, no weights copied per call.
 *
 * The activation is the architecture's own kernel composition (AsKernels.encoder.activate, the
 * very kernels its training uses), run on this instance with an AsContext that lends it the
 * encoder's parameters and scratch memory.
 */
import type { AsContext, AsLinearEncoder } from '../../architectures/contract.js';
import type { KernelExports } from '../../architectures/kernel-exports.js';
import { architectureModule } from '../../architectures/registry.js';
import type { EncoderParts, EncoderSession, LayerShape } from '../types.js';
import { EncoderKernels, type EncodeKernelExports, type EncoderWeightValues, type StreamedEncoderWeights } from './encoder-kernels.js';
import type { Arena } from './arena.js';
import { instantiateKernels, sharedKernelMemory } from './kernel-module.js';
import type { KernelThreads } from './kernel-threads.js';

/** An encode session's threads: the shared build, and the session's share of the pool. */
interface EncodeThreads {
  readonly module: WebAssembly.Module;
  readonly session: KernelThreads;
}

const F32 = 4;

/** The architecture's encoder as linear + activation, or null when it is not one (then no encode-only session). */
export function linearEncoderOf(architecture: string): AsLinearEncoder | null {
  return architectureModule(architecture as never).assemblyscript.encoder ?? null;
}

export class AsEncodeSession implements EncoderSession {
  readonly shape: LayerShape;
  readonly weightBytes: number;
  private readonly kernels: EncoderKernels;
  private readonly exports: KernelExports & EncodeKernelExports;
  private readonly encoder: AsLinearEncoder;
  private readonly ctx: AsContext;
  /** b_dec [n], centred architectures only. */
  private readonly centre: Float32Array | null;
  private disposed = false;

  private constructor(module: WebAssembly.Module, parts: EncoderParts, encoder: AsLinearEncoder, private readonly threads?: EncodeThreads) {
    const { inputSize: n, hiddenSize: h } = parts.shape;
    this.shape = { inputSize: n, hiddenSize: h };
    this.encoder = encoder;
    // on threads: the shared build on a shared memory, its calls split (threaded-kernels.ts)
    let later: Arena | undefined;
    this.exports = (threads
      ? threads.session.bind(instantiateKernels(threads.module, sharedKernelMemory()), () => later!)
      : instantiateKernels(module)) as KernelExports & EncodeKernelExports;
    const W = parts.W1;
    const weights: EncoderWeightValues | StreamedEncoderWeights = 'rows' in W ? W : W.dtype === 'f32' ? { dtype: 'f32', values: W.values } : W.dtype === 'bf16' ? { dtype: 'bf16', bits: W.bits } : { dtype: 'int8', q: W.q, scales: W.scales };
    // an unbiased product (gated): the kernels add zeros, and b1 goes to the activation below
    this.kernels = EncoderKernels.onInstance(this.exports, weights, encoder.unbiasedProduct ? new Float32Array(h) : parts.b1, n, h);
    later = this.kernels.arena;
    this.weightBytes = this.kernels.weightBytes;
    if (encoder.centred && (parts.b2 === null || parts.b2.length !== n)) throw new RangeError(`encode session: the ${parts.architecture.architecture} encoder centres on b_dec [${n}], which was not given`);
    this.centre = encoder.centred ? parts.b2 : null;
    // The architecture's own encoder parameters, persistent beside the weights.
    const arena = this.kernels.arena;
    const params: Record<string, number> = {};
    for (const [name, values] of Object.entries(encoder.unbiasedProduct ? { ...parts.extras, b1: parts.b1 } : parts.extras)) {
      params[name] = arena.allocatePersistent(values.length * F32);
      arena.f32(params[name]!, values.length).set(values);
    }
    const exports = this.exports;
    this.ctx = {
      get kernels() {
        return exports;
      },
      n,
      h,
      architecture: parts.architecture,
      params: params as AsContext['params'],
      grads: {} as AsContext['grads'],
      stepsSinceFired: 0,
      scratch: (bytes) => arena.allocateScratch(bytes),
      f32: (address, count) => arena.f32(address, count),
      u32: (address, count) => arena.u32(address, count),
    };
  }

  /** An encode-only session, or null when the architecture's encoder is not linear + activation. */
  static create(module: WebAssembly.Module, parts: EncoderParts, threads?: { module: WebAssembly.Module; count: number; sessionThreads(): KernelThreads }): AsEncodeSession | null {
    const encoder = linearEncoderOf(parts.architecture.architecture);
    if (encoder === null) return null;
    const on = threads !== undefined && threads.count > 1 ? { module: threads.module, session: threads.sessionThreads() } : undefined;
    return new AsEncodeSession(module, parts, encoder, on);
  }

  /** Which kernel runs `rows` rows, and the int8 path (for benchmarks and reports). */
  describe(rows: number): string {
    const k = this.kernels;
    return `${k.dtype}${k.dtype === 'int8' ? ` (${k.int8Path})` : ''}, ${rows >= k.gemmFromRows ? 'gemm' : 'rows'} kernel`;
  }

  encode(x: Float32Array, rows: number): Float32Array {
    if (this.disposed) throw new Error('this encode session has been disposed');
    const { inputSize: n, hiddenSize: h } = this.shape;
    if (x.length !== rows * n) throw new RangeError(`encode session: x has ${x.length} values, expected ${rows} rows × ${n}`);
    if (rows === 0) return new Float32Array(0);
    const arena = this.kernels.arena;
    arena.resetScratch();
    try {
      const px = arena.allocateScratch(rows * n * F32);
      const pz = arena.allocateScratch(rows * h * F32);
      const into = arena.f32(px, rows * n);
      const centre = this.centre;
      if (centre === null) into.set(x);
      else {
        // x − b_dec in f32 (a double difference of two floats rounds to the f32 one: add_row_vector's)
        for (let i = 0; i < rows; i++) {
          const row = i * n;
          for (let c = 0; c < n; c++) into[row + c] = x[row + c]! - centre[c]!;
        }
      }
      this.kernels.run(px, rows, pz, { relu: this.encoder.fusedRelu });
      const codes = this.encoder.activate ? this.encoder.activate(this.ctx, pz, rows) : pz;
      return arena.f32(codes, rows * h).slice();
    } finally {
      arena.resetScratch();
    }
  }

  dispose(): void {
    this.threads?.session.release();
    this.disposed = true;
  }
}
