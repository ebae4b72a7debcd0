/**
 * Where jumprelu's products should go through the codes' index (src/architectures/jumprelu/
 * assemblyscript.ts, JUMPRELU_DENSITY_CUTOFFS): each of the step's four products with the codes
 * timed dense (gemm.ts) and sparse (assembly/sparse-gemm.ts, the index built inside the timed call)
 * at 256 × 768 → 6144 over densities from 1/64 to 3/4 of the m·h entries, non-zeros at uniformly
 * random places:
 *
 *   decode            x̂ = a·W_dec          gemm_nn  | nonzero_index(a) + sparse_gemm_nn
 *   decoderGradient   gW_dec = aᵀ·d         gemm_tn  | sparse_gemm_tn (a's index, built by decode)
 *   codeGradient      δa = d·W_decᵀ         gemm_nt  | jump_index(z, θ) + masked_gemm_nt
 *   encoderGradient   gW_enc = centredᵀ·δz  gemm_tn  | nonzero_index(δz) + sparse_gemm_tn + transpose
 *
 * (codeGradient's z is uniform in [0, 1) and θ = 1 − density, the window 1e-6 wide: the index
 * lists `density` of the entries, as jump_index lists z > θ and the window in a step.)
 *
 * Dense and sparse are timed in alternation at each density (harness.ts's rounds) and compared by
 * the paired ratio dense ÷ sparse. The cut-off of a product is the density where that ratio
 * crosses 1 (linear between the two densities around it); below it the sparse product is faster.
 * One thread (the thread pool splits both kinds by rows of the output alike).
 *
 * Records: `jumprelu density: <product> dense ÷ sparse` per density (×), and
 * `jumprelu density cut-off: <product>` (a density). Run alone with
 * `npx tsx bench/jumprelu-density.bench.ts`; `npm run bench` runs it as its 'jumprelu-density' suite.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

import { Arena } from '../src/backends/assemblyscript/arena.js';
import { instantiateKernels } from '../src/backends/assemblyscript/kernel-module.js';
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { loadRecords, pairedRatio, timeInterleavedRounds, type BenchRecord } from './harness.js';

export const DENSITY_SHAPE = { rows: 256, inputSize: 768, hiddenSize: 6144 } as const;
export const DENSITIES = [1 / 64, 1 / 32, 1 / 16, 1 / 8, 3 / 16, 1 / 4, 3 / 8, 1 / 2, 3 / 4] as const;
export const PRODUCTS = ['decode', 'decoderGradient', 'codeGradient', 'encoderGradient'] as const;
export type DensityProduct = (typeof PRODUCTS)[number];

const F32 = 4;

export interface DensityBenchOptions {
  densities?: readonly number[];
  repeats?: number;
  shape?: { rows: number; inputSize: number; hiddenSize: number };
}

/** The density where dense ÷ sparse crosses 1, linear between the densities around it; the last density when it never does, 0 when sparse is never faster. */
export function crossover(densities: readonly number[], ratios: readonly number[]): number {
  if (!(ratios[0]! > 1)) return 0;
  for (let i = 1; i < densities.length; i++) {
    if (ratios[i]! <= 1) {
      const [d0, d1, r0, r1] = [densities[i - 1]!, densities[i]!, ratios[i - 1]!, ratios[i]!];
      return d0 + ((r0 - 1) / (r0 - r1)) * (d1 - d0);
    }
  }
  return densities[densities.length - 1]!;
}

const fraction = (d: number) => {
  for (const q of [2, 4, 8, 16, 32, 64]) if (Number.isInteger(d * q)) return `${d * q}/${q}`;
  return d.toFixed(4);
};

export async function benchJumpReluDensity(options: DensityBenchOptions = {}): Promise<BenchRecord[]> {
  const loadAtStart = loadavg()[0]!;
  const { rows: m, inputSize: n, hiddenSize: h } = options.shape ?? DENSITY_SHAPE;
  const densities = options.densities ?? DENSITIES;
  const kernels = instantiateKernels(await loadKernelModule());
  const arena = new Arena(kernels.memory, kernels.heap_base());
  const k = kernels;
  const seeded = (seed: number) => {
    let state = seed >>> 0 || 1;
    return () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 4294967296;
    };
  };
  const block = (count: number, fill: (q: number) => number) => {
    const address = arena.allocatePersistent(count * F32);
    const view = arena.f32(address, count);
    for (let q = 0; q < count; q++) view[q] = fill(q);
    return address;
  };
  const rng = seeded(11);
  // the operands every density shares
  const W2 = block(h * n, () => rng() - 0.5);
  const d = block(m * n, () => (rng() - 0.5) * 0.01);
  const centred = block(m * n, () => rng() - 0.5);
  const z = block(m * h, () => rng());
  // per density: codes a and δz with `density` of their entries non-zero, θ with P(z > θ) = density
  const a = arena.allocatePersistent(m * h * F32);
  const dZ = arena.allocatePersistent(m * h * F32);
  const theta = arena.allocatePersistent(h * F32);
  const out = arena.allocatePersistent(Math.max(m * n, h * n) * F32);
  const index = arena.allocatePersistent((m + 1 + m * h) * 4);
  const deltaIndex = arena.allocatePersistent((m + 1 + m * h) * 4);
  const transposed = arena.allocatePersistent(h * n * F32);
  const acc = arena.allocatePersistent(n * F32);
  const work = m > 256 ? arena.allocatePersistent(h * n * F32 + 2 * h * 4) : 0;

  const calls: Record<DensityProduct, { dense: () => void; sparse: () => void }> = {
    decode: {
      dense: () => k.gemm_nn(a, W2, out, m, h, n),
      sparse: () => {
        k.nonzero_index(a, m, h, index);
        k.sparse_gemm_nn(a, index, W2, out, acc, m, h, n);
      },
    },
    decoderGradient: {
      dense: () => k.gemm_tn(a, d, out, h, m, n),
      sparse: () => k.sparse_gemm_tn(a, index, d, out, work, h, m, n),
    },
    codeGradient: {
      dense: () => k.gemm_nt(d, W2, out, m, n, h),
      sparse: () => {
        k.jump_index(z, theta, m, h, 1e6, index);
        k.masked_gemm_nt(d, W2, out, index, m, n, h);
      },
    },
    encoderGradient: {
      dense: () => k.gemm_tn(centred, dZ, out, n, m, h),
      sparse: () => {
        k.nonzero_index(dZ, m, h, deltaIndex);
        k.sparse_gemm_tn(dZ, deltaIndex, centred, transposed, work, h, m, n);
        k.transpose(transposed, out, h, n);
      },
    },
  };

  const ratios: Record<DensityProduct, number[]> = { decode: [], decoderGradient: [], codeGradient: [], encoderGradient: [] };
  const records: BenchRecord[] = [];
  const shapeOf = (density: number) => `${m} × ${n} → ${h}, density ${fraction(density)}`;
  for (const density of densities) {
    const pick = seeded(Math.round(density * 1e6));
    const codes = arena.f32(a, m * h);
    for (let q = 0; q < m * h; q++) codes[q] = pick() < density ? 0.01 + pick() : 0;
    const deltas = arena.f32(dZ, m * h);
    for (let q = 0; q < m * h; q++) deltas[q] = pick() < density ? pick() - 0.5 : 0;
    arena.f32(theta, h).fill(1 - density);
    k.nonzero_index(a, m, h, index);
    for (const product of PRODUCTS) {
      // the sparse call of decoderGradient reads the index decode builds; codeGradient's overwrites it
      if (product === 'decoderGradient') k.nonzero_index(a, m, h, index);
      const { dense, sparse } = calls[product];
      const rounds = timeInterleavedRounds({ dense, sparse }, { repeats: options.repeats ?? 5, minRunMs: 0, warmupMs: 0 });
      const ratio = pairedRatio(rounds.dense!, rounds.sparse!);
      ratios[product].push(ratio);
      records.push({ name: `jumprelu density: ${product} dense ÷ sparse`, backend: 'assemblyscript', shape: shapeOf(density), figure: ratio, unit: '×' });
      console.log(`[jumprelu-density] ${product} at ${fraction(density)}: dense ÷ sparse ${ratio.toFixed(2)}×`);
    }
  }
  for (const product of PRODUCTS) {
    const cut = crossover(densities, ratios[product]);
    records.push({ name: `jumprelu density cut-off: ${product}`, backend: 'assemblyscript', shape: `${m} × ${n} → ${h}`, figure: cut, unit: 'density' });
    console.log(`[jumprelu-density] cut-off ${product}: ${cut.toFixed(3)}`);
  }
  records.push(...loadRecords('jumprelu-density', loadAtStart, `${m} × ${n} → ${h}`));
  return records;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchJumpReluDensity().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
