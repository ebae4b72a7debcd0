/**
 * The portable and the relaxed kernel builds on the same inputs: the worst difference of each
 * check beside its bound. Run under relaxed SIMD by assemblyscript-relaxed.test.ts (in the
 * node-relaxed project, Node with --experimental-wasm-relaxed-simd) and by
 * test/worker/kernel-builds.test.ts (workerd).
 *
 * Bounds: a fused multiply-add rounds once where mul + add rounds twice, so each product-sum may
 * differ by ≈ 2⁻²⁴ of Σ|a||b|: GEMM elements are checked against GEMM_RTOL·Σ|a||b| (1e-5, as
 * test/kernels/gemm-checks.ts checks them against float64); sigmoid outputs against a quarter of
 * that (σ′ ≤ ¼); weights after 20 Adam steps (lr 1e-2, each step moving a weight by ≤ lr) against
 * 1e-4.
 */
import { createAssemblyScriptBackend } from '../../src/backends/assemblyscript/loader.js';
import { instantiateKernels } from '../../src/backends/assemblyscript/kernel-module.js';
import { initialParameters } from '../../src/model/initialization.js';
import { absoluteProducts, GEMM_RTOL, type GemmKind } from '../kernels/gemm-checks.js';
import { harnessOn } from '../kernels/kernel-harness.js';
import { mulberry32, randomArray } from '../helpers/random.js';

export interface AgreementCheck {
  what: string;
  /** Largest |simd − relaxed| / scale over the elements. */
  worst: number;
  bound: number;
  /** Elements whose bits differ between the builds (0 everywhere when the engine does not fuse). */
  differing: number;
}

/** Shapes across the tiles' edges and the k passes, odd ones and one long K (784, MNIST's n). */
export const AGREEMENT_SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1], [5, 7, 3], [7, 5, 11], [33, 17, 25], [33, 65, 31], [9, 600, 13], [64, 64, 64], [64, 784, 9],
];

function compare(what: string, simd: Float32Array, relaxed: Float32Array, scale: (i: number) => number, bound: number): AgreementCheck {
  let worst = 0;
  let differing = 0;
  for (let i = 0; i < simd.length; i++) {
    if (Object.is(simd[i], relaxed[i])) continue;
    differing++;
    const d = Math.abs(simd[i]! - relaxed[i]!) / scale(i);
    if (!(d <= worst)) worst = d; // NaN sticks
  }
  return { what, worst, bound, differing };
}

/** Every check, in order; both modules are instantiated afresh. The engine must have relaxed SIMD. */
export function compareKernelBuilds(simd: WebAssembly.Module, relaxed: WebAssembly.Module, shapes = AGREEMENT_SHAPES): AgreementCheck[] {
  const checks: AgreementCheck[] = [];
  const harnesses = { simd: harnessOn(instantiateKernels(simd)), relaxed: harnessOn(instantiateKernels(relaxed)) };

  // GEMM forms and the fused forward
  for (const [M, K, N] of shapes) {
    const rng = mulberry32(M * 1000 + K * 10 + N);
    const a = randomArray(rng, M * K, -1, 1);
    const b = randomArray(rng, K * N, -1, 1);
    const bias = randomArray(rng, N, -1, 1);
    const results = { simd: {} as Record<string, Float32Array>, relaxed: {} as Record<string, Float32Array> };
    for (const variant of ['simd', 'relaxed'] as const) {
      const { kernels, arena, put, alloc, get } = harnesses[variant];
      arena.resetScratch();
      const pa = put(a), pb = put(b), pbias = put(bias), pc = alloc(M * N);
      for (const form of ['nn', 'tn', 'nt'] as const) {
        kernels[`gemm_${form}`](pa, pb, pc, M, K, N);
        results[variant][form] = get(pc, M * N);
      }
      kernels.gemm_nn_bias_sigmoid(pa, pb, pbias, pc, M, K, N);
      results[variant].sigmoid = get(pc, M * N);
    }
    const shape = `${M}×${K}·${K}×${N}`;
    for (const form of ['nn', 'tn', 'nt'] as const satisfies readonly GemmKind[]) {
      const scale = absoluteProducts(form, a, b, M, K, N);
      checks.push(compare(`gemm_${form} ${shape}`, results.simd[form]!, results.relaxed[form]!, (i) => scale[i]!, GEMM_RTOL));
    }
    const scale = absoluteProducts('nn', a, b, M, K, N);
    checks.push(compare(`gemm_nn_bias_sigmoid ${shape}`, results.simd.sigmoid!, results.relaxed.sigmoid!, (i) => scale[i]! + Math.abs(bias[i % N]!), 0.25 * GEMM_RTOL));
  }

  // 20 full-batch Adam steps of a 16→48 model
  const shape = { inputSize: 16, hiddenSize: 48 };
  const x = randomArray(mulberry32(5), 64 * 16, 0, 1);
  const loss = { sparsityTarget: 0.1, sparsityWeight: 0.1, weightDecay: 0.1, reduction: 'sum' as const };
  const adam = { kind: 'adam' as const, learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
  const [fromSimd, fromRelaxed] = [simd, relaxed].map((module) => {
    const session = createAssemblyScriptBackend(module).createSession(shape, initialParameters(shape, 3));
    session.setTrainingData(x, 64);
    for (let s = 0; s < 20; s++) session.trainStep(null, loss, adam);
    return session.getParameters();
  });
  for (const name of ['W1', 'b1', 'W2', 'b2'] as const) {
    checks.push(compare(`${name} after 20 Adam steps`, fromSimd![name], fromRelaxed![name], () => 1, 1e-4));
  }
  return checks;
}
