/**
 * Child of assemblyscript-relaxed.test.ts, run with --experimental-wasm-relaxed-simd: runs the
 * portable and the relaxed kernel builds on the same inputs and prints, as JSON, the worst
 * difference of each check beside its bound.
 *
 * Bounds: a fused multiply-add rounds once where mul + add rounds twice, so each product-sum may
 * differ by ≈ 2⁻²⁴ of Σ|a||b|: GEMM elements are checked against 1e-5·Σ|a||b| (as
 * test/kernels/gemm.test.ts checks them against float64); sigmoid outputs against a quarter of that
 * (σ′ ≤ ¼); weights
 * after 20 Adam steps (lr 1e-2, each step moving a weight by ≤ lr) against 1e-4.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { Arena } from '../../src/backends/assemblyscript/arena.js';
import { AssemblyScriptSession } from '../../src/backends/assemblyscript/session.js';
import { instantiateKernels, type KernelExports } from '../../src/backends/assemblyscript/loader.js';
import { kernelVariantPath } from '../../src/backends/assemblyscript/module-node.js';
import { initialParameters } from '../../src/model/initialization.js';
import { mulberry32, randomArray } from '../helpers/random.js';

const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
const modules = { simd: new Module(readFileSync(kernelVariantPath('simd'))), relaxed: new Module(readFileSync(kernelVariantPath('relaxed'))) };
const checks: { what: string; worst: number; bound: number }[] = [];

function worstRelative(a: Float32Array, b: Float32Array, scale: (i: number) => number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale(i));
  return worst;
}

// GEMM forms and the fused forward, at shapes across the tiles' edges and the k passes
for (const [M, K, N] of [[7, 5, 11], [33, 65, 31], [9, 600, 13], [64, 64, 64]] as const) {
  const rng = mulberry32(M * 1000 + K * 10 + N);
  const a = randomArray(rng, M * K, -1, 1);
  const b = randomArray(rng, K * N, -1, 1);
  const bias = randomArray(rng, N, -1, 1);
  const results: Record<string, Record<string, Float32Array>> = {};
  for (const [variant, module] of Object.entries(modules)) {
    const k: KernelExports = instantiateKernels(module);
    const arena = new Arena(k.memory, k.heap_base());
    const put = (x: Float32Array) => {
      const p = arena.allocateScratch(x.length * 4);
      arena.f32(p, x.length).set(x);
      return p;
    };
    const pa = put(a), pb = put(b), pbias = put(bias), pc = arena.allocateScratch(M * N * 4);
    results[variant] = {};
    for (const form of ['nn', 'tn', 'nt'] as const) {
      k[`gemm_${form}`](pa, pb, pc, M, K, N);
      results[variant]![form] = arena.f32(pc, M * N).slice();
    }
    k.gemm_nn_bias_sigmoid(pa, pb, pbias, pc, M, K, N);
    results[variant]!.sigmoid = arena.f32(pc, M * N).slice();
  }
  const absSum = K * 0.25; // E Σ|a||b| for uniform(−1, 1) entries; generous relative to the 1e-5 bound
  for (const form of ['nn', 'tn', 'nt']) {
    checks.push({ what: `gemm_${form} ${M}×${K}·${K}×${N}`, worst: worstRelative(results.simd![form]!, results.relaxed![form]!, () => absSum), bound: 1e-5 });
  }
  checks.push({ what: `gemm_nn_bias_sigmoid ${M}×${K}·${K}×${N}`, worst: worstRelative(results.simd!.sigmoid!, results.relaxed!.sigmoid!, () => absSum), bound: 0.25e-5 });
}

// 20 full-batch Adam steps of a 16→48 model
{
  const shape = { inputSize: 16, hiddenSize: 48 };
  const x = randomArray(mulberry32(5), 64 * 16, 0, 1);
  const loss = { sparsityTarget: 0.1, sparsityWeight: 0.1, weightDecay: 0.1, reduction: 'sum' as const };
  const adam = { kind: 'adam' as const, learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
  const weights = Object.values(modules).map((module) => {
    const session = new AssemblyScriptSession(instantiateKernels(module), shape, initialParameters(shape, 3));
    session.setTrainingData(x, 64);
    for (let s = 0; s < 20; s++) session.trainStep(null, loss, adam);
    return session.getParameters();
  });
  for (const name of ['W1', 'b1', 'W2', 'b2'] as const) {
    checks.push({ what: `${name} after 20 Adam steps`, worst: worstRelative(weights[0]![name], weights[1]![name], () => 1), bound: 1e-4 });
  }
}

const wasmDis = join(dirname(dirname(kernelVariantPath('simd'))), 'node_modules', 'binaryen', 'bin', 'wasm-dis');
const wat = execFileSync(process.execPath, [wasmDis, kernelVariantPath('relaxed')], { encoding: 'utf8', maxBuffer: 64 << 20 });
process.stdout.write(JSON.stringify({ relaxedMadds: (wat.match(/f32x4\.relaxed_madd/g) ?? []).length, checks }));
