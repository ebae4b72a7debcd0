/**
 * The bench-only Worker of bench/workerd-kernels.ts (config: ./wrangler.toml): both kernel
 * builds, timed inside workerd.
 *
 *   GET /healthz → { relaxedSimd }  (also the readiness check of test/helpers/wrangler-dev.ts)
 *   GET /run?variant=simd|relaxed&kernel=gemm_nn|gemm_tn|gemm_nt|simd_peak|simd_peak_variable&M=&K=&N=&reps=R[&iterations=I]
 *     → { ms, dateMs, sink }: the kernel called R times back to back (simd_peak* with I rounds),
 *       timed with performance.now() and Date.now().
 *
 * workerd's clock advances only across I/O on a deployed Worker, so these times mean something
 * under `wrangler dev` only, where it advances during compute (the client checks this by timing
 * each request itself). The operands are random (bench/harness.ts randomArray, seeds 1 and 2, as in
 * relaxed.bench.ts), written once per (build, shape) and read by the three forms alike: each form
 * reads M·K floats of A and K·N of B.
 */
import portable from '../../build/kernels.wasm';
import relaxed from '../../build/kernels-relaxed.wasm';
import portableRoofline from '../../build/bench-roofline.wasm';
import relaxedRoofline from '../../build/bench-roofline-relaxed.wasm';
import { Arena } from '../../src/backends/assemblyscript/arena.js';
import { relaxedSimdSupported, type KernelVariant } from '../../src/backends/assemblyscript/features.js';
import { instantiateKernels, type KernelExports } from '../../src/backends/assemblyscript/kernel-module.js';
import { randomArray } from '../harness.js';
import { instantiateRoofline, type RooflineExports } from '../roofline-module.js';

const MODULES: Record<KernelVariant, WebAssembly.Module> = { simd: portable, relaxed };
/** The roofline microkernels of each variant: a bench-only build beside the kernels (roofline-module.ts). */
const ROOFLINE_MODULES: Record<KernelVariant, WebAssembly.Module> = { simd: portableRoofline, relaxed: relaxedRoofline };
const KERNELS = ['gemm_nn', 'gemm_tn', 'gemm_nt', 'simd_peak', 'simd_peak_variable'] as const;
type Kernel = (typeof KERNELS)[number];

interface Instance {
  kernels: KernelExports;
  roofline: RooflineExports;
  arena: Arena;
  /** The shape the operands in memory are for, and where they are. */
  shape: string;
  pa: number;
  pb: number;
  pc: number;
}

// One instance per build for the isolate's life, so V8 has tiered each kernel up after warm-up.
const instances = new Map<KernelVariant, Instance>();

function instance(variant: KernelVariant, M: number, K: number, N: number): Instance {
  let it = instances.get(variant);
  if (it === undefined) {
    const kernels = instantiateKernels(MODULES[variant]);
    const roofline = instantiateRoofline(ROOFLINE_MODULES[variant]);
    it = { kernels, roofline, arena: new Arena(kernels.memory, kernels.heap_base()), shape: '', pa: 0, pb: 0, pc: 0 };
    instances.set(variant, it);
  }
  const shape = `${M}×${K}×${N}`;
  if (it.shape !== shape) {
    const { arena } = it;
    arena.resetScratch();
    it.pa = arena.allocateScratch(M * K * 4);
    it.pb = arena.allocateScratch(K * N * 4);
    it.pc = arena.allocateScratch(M * N * 4);
    arena.f32(it.pa, M * K).set(randomArray(M * K, 1));
    arena.f32(it.pb, K * N).set(randomArray(K * N, 2));
    it.shape = shape;
  }
  return it;
}

/** A positive integer query parameter no larger than `max`. */
function count(url: URL, name: string, max: number, fallback?: number): number {
  const text = url.searchParams.get(name);
  const value = text === null ? fallback : Number(text);
  if (value === undefined || !Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`${name} must be an integer in [1, ${max}]`);
  return value;
}

function run(url: URL): { ms: number; dateMs: number; sink: number } {
  const variant = url.searchParams.get('variant');
  const kernel = url.searchParams.get('kernel') as Kernel | null;
  if (variant !== 'simd' && variant !== 'relaxed') throw new RangeError('variant must be simd or relaxed');
  if (kernel === null || !KERNELS.includes(kernel)) throw new RangeError(`kernel must be one of ${KERNELS.join(', ')}`);
  const reps = count(url, 'reps', 100_000);
  const M = count(url, 'M', 4096, 1);
  const K = count(url, 'K', 4096, 1);
  const N = count(url, 'N', 4096, 1);
  const iterations = count(url, 'iterations', 10_000_000, 1);
  const { kernels, roofline, pa, pb, pc } = instance(variant, M, K, N);

  let sink = 0;
  const start = performance.now();
  const dateStart = Date.now();
  if (kernel === 'simd_peak' || kernel === 'simd_peak_variable') {
    const peak = roofline[kernel];
    for (let r = 0; r < reps; r++) sink += peak(iterations, 0.5);
  } else {
    const gemm = kernels[kernel];
    for (let r = 0; r < reps; r++) gemm(pa, pb, pc, M, K, N);
  }
  return { ms: performance.now() - start, dateMs: Date.now() - dateStart, sink };
}

export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    if (url.pathname === '/healthz') return Response.json({ relaxedSimd: relaxedSimdSupported() });
    if (url.pathname !== '/run') return new Response('not found', { status: 404 });
    try {
      return Response.json(run(url));
    } catch (error) {
      if (error instanceof RangeError) return new Response(error.message, { status: 400 });
      throw error;
    }
  },
} satisfies ExportedHandler;
