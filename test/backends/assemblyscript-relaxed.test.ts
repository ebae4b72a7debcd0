/**
 * The relaxed-SIMD kernel build (build/kernels-relaxed.wasm, asconfig target "relaxed"): which
 * build the loader picks, and that the relaxed build agrees with the portable one.
 *
 * Node 20 has relaxed SIMD only behind --experimental-wasm-relaxed-simd, so the agreement check
 * runs in a child Node with that flag. The kernel, gradient and conformance suites themselves run
 * on the relaxed build in the `node-relaxed` project of `npm test` (vitest.config.ts), with the
 * suites' own tolerances.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { chooseKernelVariant, relaxedSimdSupported } from '../../src/backends/assemblyscript/features.js';
import { kernelVariantPath } from '../../src/backends/assemblyscript/module-node.js';

const CHECK_SCRIPT = fileURLToPath(new URL('./assemblyscript-relaxed.check.ts', import.meta.url));
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

describe.skipIf(!relaxedBuilt)('build/kernels-relaxed.wasm', () => {
  it('should agree with the portable build (GEMM forms, fused forward, training steps) under relaxed SIMD', () => {
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', CHECK_SCRIPT], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = JSON.parse(out) as { relaxedMadds: number; checks: { what: string; worst: number; bound: number }[] };
    expect(result.relaxedMadds, 'f32x4.relaxed_madd instructions in the relaxed build').toBeGreaterThan(0);
    for (const check of result.checks) expect(check.worst, check.what).toBeLessThanOrEqual(check.bound);
  }, 60_000);
});
