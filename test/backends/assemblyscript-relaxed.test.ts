/**
 * The relaxed-SIMD kernel build (build/kernels-relaxed.wasm, asconfig target "relaxed"): which
 * build the loader picks, and that the relaxed build agrees with the portable one.
 *
 * Node 20 has relaxed SIMD only behind --experimental-wasm-relaxed-simd, so the agreement checks
 * run in the `node-relaxed` project of `npm test` (vitest.config.ts), which has that flag, and are
 * skipped in the `node` project. That project also runs the kernel, gradient and conformance
 * suites on the relaxed build, with the suites' own tolerances.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

import { chooseKernelVariant, relaxedSimdSupported } from '../../src/backends/assemblyscript/features.js';
import { kernelVariantPath } from '../../src/backends/assemblyscript/module-node.js';
import { compareKernelBuilds } from './relaxed-agreement.js';

const relaxedBuilt = existsSync(kernelVariantPath('relaxed'));

describe('kernel build selection', () => {
  it('should probe relaxed SIMD without throwing, and cache the answer', () => {
    const first = relaxedSimdSupported();
    expect(typeof first).toBe('boolean');
    expect(relaxedSimdSupported()).toBe(first);
    // Node 20 without the flag has no relaxed SIMD; newer engines may
    if (process.versions.node.startsWith('20.') && !process.execArgv.includes('--experimental-wasm-relaxed-simd')) {
      expect(first).toBe(false);
    }
  });

  it('should pick the portable build unless relaxed SIMD is there and built, or asked for', () => {
    expect(chooseKernelVariant('simd', true)).toBe('simd');
    expect(chooseKernelVariant('relaxed', false)).toBe('relaxed');
    expect(chooseKernelVariant('auto', false)).toBe('simd');
    expect(chooseKernelVariant('auto', true)).toBe(relaxedSimdSupported() ? 'relaxed' : 'simd');
  });
});

describe.skipIf(!relaxedBuilt || !relaxedSimdSupported())('build/kernels-relaxed.wasm (under relaxed SIMD)', () => {
  it('should use f32x4.relaxed_madd', () => {
    const wasmDis = createRequire(import.meta.url).resolve('binaryen/bin/wasm-dis');
    const wat = execFileSync(process.execPath, [wasmDis, kernelVariantPath('relaxed')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect((wat.match(/f32x4\.relaxed_madd/g) ?? []).length, 'f32x4.relaxed_madd instructions in the relaxed build').toBeGreaterThan(0);
  });

  it('should agree with the portable build (GEMM forms, fused forward, training steps)', () => {
    const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
    const checks = compareKernelBuilds(new Module(readFileSync(kernelVariantPath('simd'))), new Module(readFileSync(kernelVariantPath('relaxed'))));
    for (const check of checks) expect(check.worst, check.what).toBeLessThanOrEqual(check.bound);
  });
});
