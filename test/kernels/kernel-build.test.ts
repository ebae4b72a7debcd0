/**
 * Which kernel build the tests (and the library) run on: the portable one by default, the relaxed
 * one in the `node-relaxed` project (EDGE_SAE_KERNELS=relaxed, see vitest.config.ts). Told apart
 * by what they compute, not by their file names: a product whose fused and unfused roundings
 * differ.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { selectedKernelVariant } from '../../src/backends/assemblyscript/module-node.js';
import { FUSED_PRODUCT_RESULT, fusedProductProbe } from './gemm-checks.js';
import { createHarness } from './kernel-harness.js';

/**
 * Whether this CPU has fused multiply-add: engines fuse relaxed_madd only where it does. Known on
 * Linux (/proc/cpuinfo); elsewhere undefined, and either result is allowed.
 */
const cpuHasFma = existsSync('/proc/cpuinfo') ? /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8')) : undefined;

describe('the kernel build in use', () => {
  const wanted = process.env.EDGE_SAE_KERNELS ?? 'simd';

  it('should be the one EDGE_SAE_KERNELS names (the portable build by default)', () => {
    if (wanted === 'simd' || wanted === 'relaxed') expect(selectedKernelVariant()).toBe(wanted);
  });

  it('should round each multiply and add apart in the portable build, and may fuse them in the relaxed one', async () => {
    const c = fusedProductProbe(await createHarness());
    if (selectedKernelVariant() === 'simd') expect(c).toBe(0);
    else if (cpuHasFma === undefined) expect([0, FUSED_PRODUCT_RESULT]).toContain(c);
    else expect(c).toBe(cpuHasFma ? FUSED_PRODUCT_RESULT : 0);
  });
});
