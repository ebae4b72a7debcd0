/**
 * The SIMD128 limit of this machine (the roofline the GEMM figures are compared with): the
 * kernel module's `simd_peak`, twelve independent f32x4 multiply-add chains with no memory
 * traffic (assembly/roofline.ts), in GFLOPS. In the default build a multiply-add is f32x4.mul +
 * f32x4.add (2 flops a lane); so is the limit.
 *
 * Run alone with `npx tsx bench/roofline.bench.ts`.
 */
import { pathToFileURL } from 'node:url';

import { instantiateKernels } from '../src/backends/assemblyscript/loader.js';
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { timeCall, type BenchRecord } from './harness.js';

/** Rounds of one simd_peak call; 12 chains × 4 lanes × 2 flops a round. */
export const PEAK_ITERATIONS = 50_000;
export const PEAK_FLOPS = PEAK_ITERATIONS * 12 * 4 * 2;

export async function benchRoofline(): Promise<BenchRecord[]> {
  const kernels = instantiateKernels(await loadKernelModule());
  let sink = 0;
  const ms = timeCall(() => {
    sink += kernels.simd_peak(PEAK_ITERATIONS, 0.5);
  }, { repeats: 15 });
  if (!Number.isFinite(sink)) throw new Error('simd_peak: non-finite result');
  return [{ name: 'simd_peak', backend: 'assemblyscript', shape: '12 × f32x4 mul+add chains', figure: PEAK_FLOPS / (ms * 1e6), unit: 'GFLOPS' }];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchRoofline()
    .then((records) => console.log(records))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
