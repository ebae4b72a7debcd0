/**
 * Both kernel builds inside workerd: the portable one (build/kernels.wasm), which the Worker
 * serves (src/api/backends.ts: the Node library, the CLI and the Worker agree bit for bit), and
 * the relaxed-SIMD one (build/kernels-relaxed.wasm), which workerd can run and Node 20 only with a
 * flag: this keeps it honest, and is the evidence should the Worker ever switch to it.
 *
 * Both builds come in as modules compiled by the pool (wrangler.toml's CompiledWasm rule), as in
 * the Worker. The checks are the Node ones, imported: the GEMM forms and the fused forward against
 * float64 (test/kernels/gemm-checks.ts), the two builds against each other
 * (test/backends/relaxed-agreement.ts) and the whole backend conformance suite on an
 * AssemblyScript backend over the relaxed module (test/conformance/suite.ts), with their
 * tolerances. The conformance suite also runs on the portable build here, the Worker's own.
 */
import portableKernels from '../../build/kernels.wasm';
import relaxedKernels from '../../build/kernels-relaxed.wasm';
import relaxedRoofline from '../../build/bench-roofline-relaxed.wasm';
import { beforeAll, describe, expect, it } from 'vitest';

import { instantiateRoofline } from '../../bench/roofline-module.js';
import { relaxedSimdSupported } from '../../src/backends/assemblyscript/features.js';
import { instantiateKernels } from '../../src/backends/assemblyscript/kernel-module.js';
import { createAssemblyScriptBackend } from '../../src/backends/assemblyscript/loader.js';
import { compareKernelBuilds, type AgreementCheck } from '../backends/relaxed-agreement.js';
import { describeBackendConformance } from '../conformance/suite.js';
import { FUSED_PRODUCT_RESULT, checkGemm, checkGemmBiasSigmoid, fusedProductProbe } from '../kernels/gemm-checks.js';
import { harnessOn, type KernelHarness } from '../kernels/kernel-harness.js';

/** Odd shapes, a tile-sized one and MNIST's n (784) as K. */
const SHAPES = [[1, 1, 1], [5, 7, 3], [33, 17, 25], [64, 784, 9]] as const;

describe('relaxed SIMD in workerd', () => {
  it('should be reported by the feature probe', () => {
    expect(relaxedSimdSupported()).toBe(true);
  });

  it('should import the relaxed build as a compiled module, with every kernel export', () => {
    expect(Object.prototype.toString.call(relaxedKernels)).toBe('[object WebAssembly.Module]');
    expect(relaxedKernels).not.toBe(portableKernels);
    const kernels = instantiateKernels(relaxedKernels); // checks the exports
    // the roofline microkernel is a bench-only build beside it, not in the kernels the Worker ships
    expect(Object.keys(kernels)).not.toContain('simd_peak');
    expect(Number.isFinite(instantiateRoofline(relaxedRoofline).simd_peak(1000, 0.5))).toBe(true);
  });
});

describe('the relaxed build against the float64 reference', () => {
  let harness: KernelHarness;
  beforeAll(() => {
    harness = harnessOn(instantiateKernels(relaxedKernels));
  });

  it.each(['nn', 'tn', 'nt'] as const)('gemm_%s should match at odd shapes and K = 784', (kind) => {
    SHAPES.forEach(([M, K, N], index) => checkGemm(harness, kind, M, K, N, 7000 + index));
  });

  it('gemm_nn_bias_sigmoid should match σ(A·B + bias)', () => {
    SHAPES.forEach(([M, K, N], index) => checkGemmBiasSigmoid(harness, M, K, N, 7100 + index));
  });
});

describe('the relaxed build beside the portable build, same inputs', () => {
  let checks: AgreementCheck[];
  beforeAll(() => {
    checks = compareKernelBuilds(portableKernels, relaxedKernels);
  });

  it('should agree within the bounds (GEMM forms, fused forward, 20 Adam steps)', () => {
    expect(checks.length).toBeGreaterThan(0);
    for (const check of checks) expect(check.worst, check.what).toBeLessThanOrEqual(check.bound);
  });

  it('should fuse in both the probe and the GEMMs, or in neither', () => {
    // relaxed_madd may run fused or as mul + add (the CPU decides); either way the two builds
    // compute the same thing in the same order, so their bits differ exactly when it fuses.
    expect(fusedProductProbe(harnessOn(instantiateKernels(portableKernels)))).toBe(0);
    const probe = fusedProductProbe(harnessOn(instantiateKernels(relaxedKernels)));
    expect([0, FUSED_PRODUCT_RESULT]).toContain(probe);
    const differing = checks.filter((c) => c.what.startsWith('gemm_')).reduce((sum, c) => sum + c.differing, 0);
    if (probe === FUSED_PRODUCT_RESULT) expect(differing).toBeGreaterThan(0);
    else expect(differing).toBe(0);
  });
});

describeBackendConformance('assemblyscript (relaxed build, workerd)', async () => createAssemblyScriptBackend(relaxedKernels));

describeBackendConformance('assemblyscript (portable build, workerd)', async () => createAssemblyScriptBackend(portableKernels));
