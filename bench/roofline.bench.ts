/**
 * The SIMD128 limit of this machine (the roofline the GEMM figures are compared with): the
 * bench-only roofline build's `simd_peak` (roofline-module.ts), twelve independent f32x4 multiply-add chains with no memory
 * traffic (assembly/bench/roofline.ts), in GFLOPS. In the default build a multiply-add is f32x4.mul +
 * f32x4.add (2 flops a lane); so is the limit. The microkernel comes in two forms that V8 versions
 * compile far apart (see assembly/bench/roofline.ts); a figure of it is the faster one's (peakCalls, fasterPeak).
 *
 * Run alone with `npx tsx bench/roofline.bench.ts`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { KernelVariant } from '../src/backends/assemblyscript/features.js';
import { kernelWasmPath, selectedKernelVariant } from '../src/backends/assemblyscript/module-node.js';
import { median, timeInterleavedRounds, type BenchRecord } from './harness.js';
import { instantiateRoofline, type RooflineExports } from './roofline-module.js';

/** Where the roofline build of that kernel variant is (beside build/kernels.wasm). */
export function rooflinePath(variant: KernelVariant): string {
  return join(dirname(kernelWasmPath()), variant === 'simd' ? 'bench-roofline.wasm' : 'bench-roofline-relaxed.wasm');
}

/** Reads, compiles and instantiates the roofline build of that variant (the one of the kernels in use by default). */
export function loadRoofline(variant: KernelVariant = selectedKernelVariant()): RooflineExports {
  // (Cloudflare's WebAssembly types make Module abstract: Workers cannot compile bytes; Node can)
  const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
  return instantiateRoofline(new Module(readFileSync(rooflinePath(variant))));
}

/** Rounds of one simd_peak call; 12 chains × 4 lanes × 2 flops a round. */
export const PEAK_ITERATIONS = 50_000;
export const PEAK_FLOPS = PEAK_ITERATIONS * 12 * 4 * 2;

/** Calls of both forms of the microkernel, to time among others (names `peak` and `peakVariable`). */
export function peakCalls(kernels: RooflineExports): Record<string, () => void> {
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
  const rounds = timeInterleavedRounds(peakCalls(loadRoofline()), { repeats: 15 });
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
