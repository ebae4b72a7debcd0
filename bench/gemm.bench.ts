/**
 * GEMM throughput in the three forms the SAE uses (A·B, Aᵀ·B, A·Bᵀ), at the SAE's shapes and 512³:
 * the AssemblyScript kernels beside tfjs-backend-wasm's and tfjs-backend-cpu's matMul (with its
 * transposes, see tfjsProduct) and a plain TypeScript loop, same data, same process, one thread.
 *
 * A figure is GFLOPS = 2·M·K·N / time, the time being the median CPU time of a call (see
 * harness.ts). The AssemblyScript and tfjs-wasm figures of a shape, and the roofline microkernel
 * (roofline.bench.ts, recorded as simd_peak "beside" the shape), are measured interleaved, so
 * their ratios hold on a loaded machine; tfjs-cpu and the TypeScript loop (≈ 1 GFLOPS) are timed
 * a few calls each. tfjs's product stays in its own memory (no dataSync), as the kernels' C does.
 *
 * Run alone with `npx tsx bench/gemm.bench.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { pathToFileURL } from 'node:url';

import { Arena } from '../src/backends/assemblyscript/arena.js';
import { instantiateKernels } from '../src/backends/assemblyscript/kernel-module.js';
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { median, pairedRatio, randomArray, timeCall, timeInterleavedRounds, type BenchRecord } from './harness.js';
import { fasterPeak, loadRoofline, peakCalls } from './roofline.bench.js';

export type { BenchRecord } from './harness.js';

export interface GemmShape {
  M: number;
  K: number;
  N: number;
}

/** The shapes: the SAE's products at 16→48, 64→192, 784→196 (m=256), 64→25 (m=1000), and 512³. */
export const GEMM_SHAPES: readonly GemmShape[] = [
  { M: 256, K: 16, N: 48 },
  { M: 256, K: 64, N: 192 },
  { M: 256, K: 784, N: 196 },
  { M: 1000, K: 64, N: 25 },
  { M: 512, K: 512, N: 512 },
];

export type GemmForm = 'nn' | 'tn' | 'nt';
export const GEMM_FORMS: readonly GemmForm[] = ['nn', 'tn', 'nt'];

export function gemmShapeName(s: GemmShape): string {
  return `${s.M}×${s.K}·${s.K}×${s.N}`;
}

/**
 * The plain TypeScript loop, the way one would write it: i-k-j for A·B and Aᵀ·B (the inner loop
 * runs along rows of B and C), dot products for A·Bᵀ.
 */
export function gemmLoop(form: GemmForm, a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number): void {
  c.fill(0, 0, M * N);
  if (form === 'nt') {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a[i * K + k]! * b[j * K + k]!;
        c[i * N + j] = s;
      }
    }
    return;
  }
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const aik = form === 'nn' ? a[i * K + k]! : a[k * M + i]!;
      const bRow = k * N;
      const cRow = i * N;
      for (let j = 0; j < N; j++) c[cRow + j] = c[cRow + j]! + aik * b[bRow + j]!;
    }
  }
}

/**
 * tfjs's fastest way to each form: matMul, and for Aᵀ·B and A·Bᵀ an explicit transpose then
 * matMul (matMul's transposeA/transposeB flags run ≈ 10× slower on tfjs-backend-wasm 4.22; the
 * tfjs backend of this project transposes the same way).
 */
function tfjsProduct(form: GemmForm, x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    if (form === 'tn') return tf.matMul(tf.transpose(x), y);
    if (form === 'nt') return tf.matMul(x, tf.transpose(y));
    return tf.matMul(x, y);
  });
}

/** Runs the GEMM benchmark: one GFLOPS record per (backend, form, shape). */
export async function benchGemm(shapes: readonly GemmShape[] = GEMM_SHAPES): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const kernels = instantiateKernels(await loadKernelModule());
  const roofline = loadRoofline();
  const arena = new Arena(kernels.memory, kernels.heap_base());

  for (const s of shapes) {
    const { M, K, N } = s;
    const flops = 2 * M * K * N;
    const shape = gemmShapeName(s);
    const record = (backend: string, form: GemmForm, ms: number): void => {
      records.push({ name: `gemm_${form}`, backend, shape, figure: flops / (ms * 1e6), unit: 'GFLOPS' });
    };
    // A [M×K] and B [K×N], and the same stored transposed: Aᵀ as [K×M] for tn, Bᵀ as [N×K] for nt
    const a = randomArray(M * K, 1);
    const b = randomArray(K * N, 2);
    const at = new Float32Array(M * K);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) at[k * M + i] = a[i * K + k]!;
    const bt = new Float32Array(K * N);
    for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bt[j * K + k] = b[k * N + j]!;
    const operands: Record<GemmForm, [Float32Array, number[], Float32Array, number[]]> = {
      nn: [a, [M, K], b, [K, N]],
      tn: [at, [K, M], b, [K, N]],
      nt: [a, [M, K], bt, [N, K]],
    };

    arena.resetScratch();
    const address = (x: Float32Array): number => {
      const p = arena.allocateScratch(x.length * 4);
      arena.f32(p, x.length).set(x);
      return p;
    };
    const pa = address(a), pb = address(b), pat = address(at), pbt = address(bt);
    const pc = arena.allocateScratch(M * N * 4);

    // the kernels and tfjs-wasm, interleaved
    await tf.setBackend('wasm');
    const tensors = GEMM_FORMS.map((form) => {
      const [x, xs, y, ys] = operands[form];
      return [tf.tensor2d(x, xs as [number, number]), tf.tensor2d(y, ys as [number, number])] as const;
    });
    const calls: Record<string, () => void> = {
      nn: () => kernels.gemm_nn(pa, pb, pc, M, K, N),
      tn: () => kernels.gemm_tn(pat, pb, pc, M, K, N),
      nt: () => kernels.gemm_nt(pa, pbt, pc, M, K, N),
    };
    GEMM_FORMS.forEach((form, f) => {
      const [x, y] = tensors[f]!;
      calls[`tfjs-${form}`] = () => tfjsProduct(form, x, y).dispose();
    });
    // the roofline microkernel in the same rounds, so the fraction of it compares like with like
    Object.assign(calls, peakCalls(roofline));
    const rounds = timeInterleavedRounds(calls);
    records.push({ name: 'simd_peak', backend: 'assemblyscript', shape: `beside ${shape}`, figure: fasterPeak(rounds['peak']!, rounds['peakVariable']!), unit: 'GFLOPS' });
    for (const form of GEMM_FORMS) {
      record('assemblyscript', form, median(rounds[form]!));
      record('tfjs-wasm', form, median(rounds[`tfjs-${form}`]!));
      // the speed-up as the median of each round's ratio (see pairedRatio), not a ratio of medians
      records.push({ name: `gemm_${form}`, backend: 'assemblyscript vs tfjs-wasm', shape, figure: pairedRatio(rounds[`tfjs-${form}`]!, rounds[form]!), unit: '×' });
    }
    for (const [x, y] of tensors) {
      x.dispose();
      y.dispose();
    }

    // the slow baselines, a few calls each
    await tf.setBackend('cpu');
    tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2]))); // the backend's first op sets it up: not a product's cost
    const slow = { repeats: 3, slowRepeats: 3, warmupMs: 20, minRunMs: 20, minWarmupCalls: 1 };
    for (const form of GEMM_FORMS) {
      const [x, xs, y, ys] = operands[form];
      const tx = tf.tensor2d(x, xs as [number, number]);
      const ty = tf.tensor2d(y, ys as [number, number]);
      record('tfjs-cpu', form, timeCall(() => tfjsProduct(form, tx, ty).dispose(), slow));
      tx.dispose();
      ty.dispose();
    }
    const c = new Float32Array(M * N);
    for (const form of GEMM_FORMS) {
      const [x, , y] = operands[form];
      record('typescript', form, timeCall(() => gemmLoop(form, x, y, c, M, K, N), slow));
    }
  }
  arena.resetScratch();
  return records;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchGemm()
    .then((records) => {
      for (const r of records) console.log(`${r.name}  ${r.backend.padEnd(14)}  ${r.shape.padEnd(14)}  ${r.figure.toFixed(2).padStart(7)} ${r.unit}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
