/**
 * The relaxed-SIMD build (build/kernels-relaxed.wasm: f32x4.relaxed_madd, see assembly/simd.ts)
 * beside the portable one: the roofline and the three GEMM forms at the shapes, both builds
 * interleaved in one process. Node 20 has relaxed SIMD only behind --experimental-wasm-relaxed-simd,
 * so without it this file re-runs itself in a child Node with the flag. Figures in GFLOPS.
 *
 * Run alone with `npx tsx bench/relaxed.bench.ts`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Arena } from '../src/backends/assemblyscript/arena.js';
import { relaxedSimdSupported } from '../src/backends/assemblyscript/features.js';
import { instantiateKernels, type KernelExports } from '../src/backends/assemblyscript/kernel-module.js';
import { kernelVariantPath } from '../src/backends/assemblyscript/module-node.js';
import { GEMM_FORMS, GEMM_SHAPES, gemmShapeName } from './gemm.bench.js';
import { median, randomArray, timeInterleavedRounds, type BenchRecord } from './harness.js';
import { fasterPeak, loadRoofline, peakCalls } from './roofline.bench.js';

const FLAG = '--experimental-wasm-relaxed-simd';

function instantiate(path: string): KernelExports {
  const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
  return instantiateKernels(new Module(readFileSync(path)));
}

/** In this process (which must have relaxed SIMD): both builds, interleaved. */
function measureHere(): BenchRecord[] {
  const builds = {
    'assemblyscript (simd build)': { kernels: instantiate(kernelVariantPath('simd')), roofline: loadRoofline('simd') },
    'assemblyscript (relaxed build)': { kernels: instantiate(kernelVariantPath('relaxed')), roofline: loadRoofline('relaxed') },
  };
  const records: BenchRecord[] = [];
  for (const s of GEMM_SHAPES) {
    const { M, K, N } = s;
    const calls: Record<string, () => void> = {};
    for (const [name, { kernels: k, roofline }] of Object.entries(builds)) {
      const arena = new Arena(k.memory, k.heap_base());
      arena.resetScratch();
      const pa = arena.allocateScratch(M * K * 4), pb = arena.allocateScratch(K * N * 4), pc = arena.allocateScratch(M * N * 4);
      arena.f32(pa, M * K).set(randomArray(M * K, 1));
      arena.f32(pb, K * N).set(randomArray(K * N, 2));
      for (const form of GEMM_FORMS) calls[`${name}|gemm_${form}`] = () => k[`gemm_${form}`](pa, pb, pc, M, K, N);
      for (const [peak, call] of Object.entries(peakCalls(roofline))) calls[`${name}|${peak}`] = call;
    }
    const rounds = timeInterleavedRounds(calls, { repeats: 7, minRunMs: 20, warmupMs: 60 });
    for (const backend of Object.keys(builds)) {
      for (const form of GEMM_FORMS) {
        const ms = median(rounds[`${backend}|gemm_${form}`]!);
        records.push({ name: `gemm_${form}`, backend, shape: gemmShapeName(s), figure: (2 * M * K * N) / (ms * 1e6), unit: 'GFLOPS' });
      }
      const peak = fasterPeak(rounds[`${backend}|peak`]!, rounds[`${backend}|peakVariable`]!);
      records.push({ name: 'simd_peak', backend, shape: `beside ${gemmShapeName(s)}`, figure: peak, unit: 'GFLOPS' });
    }
  }
  return records;
}

/** The relaxed build's figures (and the portable build's beside them), or none when it is not built. */
export function benchRelaxed(): BenchRecord[] {
  if (!existsSync(kernelVariantPath('relaxed'))) {
    console.error(`[bench] ${kernelVariantPath('relaxed')} is not built (npx asc --config asconfig.json --target relaxed): skipped`);
    return [];
  }
  if (relaxedSimdSupported()) return measureHere();
  const out = execFileSync(process.execPath, [FLAG, '--import', 'tsx', fileURLToPath(import.meta.url), '--json'], {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out) as BenchRecord[];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const records = benchRelaxed();
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(records));
  else for (const r of records) console.log(`${r.name.padEnd(10)} ${r.backend.padEnd(24)} ${r.shape.padEnd(26)} ${r.figure.toFixed(1).padStart(6)} ${r.unit}`);
}
