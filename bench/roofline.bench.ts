/**
 * The SIMD128 limit of this machine (the roofline the GEMM figures are compared with): the
 * kernel module's `simd_peak`, twelve independent f32x4 multiply-add chains with no memory
 * traffic (assembly/roofline.ts), in GFLOPS. In the default build a multiply-add is f32x4.mul +
 * f32x4.add (2 flops a lane); so is the limit. The microkernel comes in two forms that V8 versions
 * compile far apart (see roofline.ts); a figure of it is the faster one's (peakCalls, fasterPeak).
 *
 * Run alone with `npx tsx bench/roofline.bench.ts`.
 */
import { pathToFileURL } from 'node:url';

import { instantiateKernels, type KernelExports } from '../src/backends/assemblyscript/loader.js';
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { median, timeInterleavedRounds, type BenchRecord } from './harness.js';

/** Rounds of one simd_peak call; 12 chains × 4 lanes × 2 flops a round. */
export const PEAK_ITERATIONS = 50_000;
export const PEAK_FLOPS = PEAK_ITERATIONS * 12 * 4 * 2;

/** Calls of both forms of the microkernel, to time among others (names `peak` and `peakVariable`). */
export function peakCalls(kernels: Pick<KernelExports, 'simd_peak' | 'simd_peak_variable'>): Record<string, () => void> {
  let sink = 0;
  const check = (x: number): void => {
    sink += x;
    if (!Number.isFinite(sink)) throw new Error('simd_peak: non-finite result');
  };
  return {
    peak: () => check(kernels.simd_peak(PEAK_ITERATIONS, 0.5)),
    peakVariable: () => check(kernels.simd_peak_variable(PEAK_ITERATIONS, 0.5)),
  };
}

/** GFLOPS of the faster form, from the rounds (ms) of each form's call (peakCalls). */
export function fasterPeak(peakMs: readonly number[], peakVariableMs: readonly number[]): number {
  return PEAK_FLOPS / (Math.min(median(peakMs), median(peakVariableMs)) * 1e6);
}

export async function benchRoofline(): Promise<BenchRecord[]> {
  const kernels = instantiateKernels(await loadKernelModule());
  const rounds = timeInterleavedRounds(peakCalls(kernels), { repeats: 15 });
  return [{ name: 'simd_peak', backend: 'assemblyscript', shape: '12 × f32x4 mul+add chains', figure: fasterPeak(rounds['peak']!, rounds['peakVariable']!), unit: 'GFLOPS' }];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchRoofline()
    .then((records) => console.log(records))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
