/**
 * GEMM throughput: the AssemblyScript kernels (gemm_nn, gemm_tn, gemm_nt) beside
 * tfjs-backend-wasm's tf.matMul, same shapes, same process, one thread.
 *
 * Each figure is the median GFLOPS (2·M·K·N flops a product) of `repeats` timed runs after a
 * warm-up that lets V8 tier the wasm up to its optimizing compiler.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { Arena } from '../src/backends/assemblyscript/arena.js';
import { instantiateKernels } from '../src/backends/assemblyscript/loader.js';
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';

export interface BenchRecord {
  name: string;
  backend: string;
  shape: string;
  figure: number;
  unit: string;
}

export interface GemmShape {
  M: number;
  K: number;
  N: number;
}

export const GEMM_SHAPES: readonly GemmShape[] = [
  { M: 256, K: 64, N: 192 },
  { M: 256, K: 784, N: 196 },
  { M: 512, K: 512, N: 512 },
];

export interface GemmBenchOptions {
  shapes?: readonly GemmShape[];
  /** Minimum time a timed run lasts (ms); a run repeats the product until it has lasted this long. */
  minRunMs?: number;
  repeats?: number;
  warmupMs?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median GFLOPS of `run` (one product of `flops` flops). */
function measure(run: () => void, flops: number, o: Required<Omit<GemmBenchOptions, 'shapes'>>): number {
  const warmEnd = performance.now() + o.warmupMs;
  let calls = 0;
  while (performance.now() < warmEnd || calls < 3) {
    run();
    calls++;
  }
  const figures: number[] = [];
  for (let r = 0; r < o.repeats; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      run();
      n++;
      elapsed = performance.now() - start;
    } while (elapsed < o.minRunMs);
    figures.push((flops * n) / (elapsed * 1e6));
  }
  return median(figures);
}

function shapeName(s: GemmShape): string {
  return `${s.M}x${s.K}·${s.K}x${s.N}`;
}

function randomArray(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = (state >>> 0) / 4294967296 - 0.5;
  }
  return out;
}

/** Runs the GEMM benchmark and returns one record per (form or backend, shape). */
export async function benchGemm(options: GemmBenchOptions = {}): Promise<BenchRecord[]> {
  const o = {
    minRunMs: options.minRunMs ?? 100,
    repeats: options.repeats ?? 7,
    warmupMs: options.warmupMs ?? 300,
  };
  const shapes = options.shapes ?? GEMM_SHAPES;
  const records: BenchRecord[] = [];

  const kernels = instantiateKernels(await loadKernelModule());
  const arena = new Arena(kernels.memory, kernels.heap_base());

  await tf.setBackend('wasm');
  await tf.ready();

  for (const s of shapes) {
    const { M, K, N } = s;
    const flops = 2 * M * K * N;
    const shape = shapeName(s);
    const a = randomArray(M * K, 1);
    const b = randomArray(K * N, 2);

    arena.resetScratch();
    const pa = arena.allocateScratch(M * K * 4);
    const pb = arena.allocateScratch(K * N * 4);
    const pbt = arena.allocateScratch(K * N * 4);
    const pat = arena.allocateScratch(M * K * 4);
    const pc = arena.allocateScratch(M * N * 4);
    arena.f32(pa, M * K).set(a);
    arena.f32(pb, K * N).set(b);
    // the same matrices stored transposed, for tn (A as [K×M]) and nt (B as [N×K])
    const at = arena.f32(pat, M * K);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) at[k * M + i] = a[i * K + k]!;
    const bt = arena.f32(pbt, K * N);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bt[j * K + k] = b[k * N + j]!;

    const forms: [string, () => void][] = [
      ['gemm_nn', () => kernels.gemm_nn(pa, pb, pc, M, K, N)],
      ['gemm_tn', () => kernels.gemm_tn(pat, pb, pc, M, K, N)],
      ['gemm_nt', () => kernels.gemm_nt(pa, pbt, pc, M, K, N)],
    ];
    for (const [name, run] of forms) {
      records.push({ name, backend: 'assemblyscript', shape, figure: measure(run, flops, o), unit: 'GFLOPS' });
    }

    const ta = tf.tensor2d(a, [M, K]);
    const tb = tf.tensor2d(b, [K, N]);
    const tfRun = () => {
      const c = tf.matMul(ta, tb);
      c.dataSync();
      c.dispose();
    };
    records.push({ name: 'matMul', backend: 'tfjs-wasm', shape, figure: measure(tfRun, flops, o), unit: 'GFLOPS' });
    ta.dispose();
    tb.dispose();
  }
  arena.resetScratch();
  return records;
}
