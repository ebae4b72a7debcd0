/**
 * Which kernel build the tests (and the library) run on: the portable one by default, the relaxed
 * one in the `node-relaxed` project (EDGE_SAE_KERNELS=relaxed, see vitest.config.ts). Told apart
 * by what they compute, not by their file names: a product whose fused and unfused roundings
 * differ.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { selectedKernelVariant } from '../../src/backends/assemblyscript/module-node.js';
import { createHarness } from './kernel-harness.js';

/** Whether this CPU has fused multiply-add (Linux): engines fuse relaxed_madd only where it does. */
const cpuHasFma = existsSync('/proc/cpuinfo') && /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

describe('the kernel build in use', () => {
  const wanted = process.env.EDGE_SAE_KERNELS ?? 'simd';

  it('should be the one EDGE_SAE_KERNELS names (the portable build by default)', () => {
    if (wanted === 'simd' || wanted === 'relaxed') expect(selectedKernelVariant()).toBe(wanted);
  });

  it('should round each multiply and add apart in the portable build, and may fuse them in the relaxed one', async () => {
    // C = a0·b0 + a1·b1 with a0·b0 = −(1 + 2⁻¹¹) exact and a1·b1 = 1 + 2⁻¹¹ + 2⁻²⁴, which rounds
    // to 1 + 2⁻¹¹ on its own: unfused, C = 0; fused (one rounding), C = 2⁻²⁴.
    const { kernels, put, alloc, get } = await createHarness();
    const a = put([-1, 1 + 2 ** -12]);
    const b = put([1 + 2 ** -11, 1 + 2 ** -12]);
    const c = alloc(1);
    kernels.gemm_nn(a, b, c, 1, 2, 1);
    const fused = 2 ** -24;
    if (selectedKernelVariant() === 'simd') expect(get(c, 1)[0]).toBe(0);
    else expect(get(c, 1)[0]).toBe(cpuHasFma ? fused : 0);
  });
});
