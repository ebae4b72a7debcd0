import { defineConfig } from 'vitest/config';

/**
 * The kernel, gradient and conformance tests, which every kernel build must pass (issue 6): run
 * a second time, in the `node-relaxed` project, on build/kernels-relaxed.wasm. Node 20 has relaxed
 * SIMD only behind a flag, so that project's workers (forks: the flag is per process) get it.
 */
const KERNEL_VARIANT_TESTS = [
  'test/kernels/**/*.test.ts',
  'test/conformance/**/*.test.ts',
  'test/backends/assemblyscript.test.ts',
  'test/backends/assemblyscript-relaxed.test.ts',
  'test/model/robustness.test.ts',
];

// `npm test` runs three projects: "node" (kernels, backends, model, CLI, data, and the e2e test
// that drives a real `wrangler dev`), "node-relaxed" (KERNEL_VARIANT_TESTS on the relaxed build)
// and "workers" (test/worker/**, inside workerd; see vitest.workers.config.ts). They need
// build/kernels.wasm and build/kernels-relaxed.wasm (npm run build:wasm; `npm test` builds them
// first when they are missing or stale).
export default defineConfig({
  test: {
    // Console output of a passing test is not shown: the tests that inject faults (a failing R2
    // bucket, a store that throws, a job that fails) make the code log what a deployment would
    // log, and those lines, expected there, read like errors in the run's output. A failing
    // test's output is shown whole. `npm test -- --silent=false` shows everything.
    silent: 'passed-only',
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**', 'node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'node-relaxed',
          include: KERNEL_VARIANT_TESTS,
          pool: 'forks',
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { EDGE_SAE_KERNELS: 'relaxed' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      './vitest.workers.config.ts',
    ],
  },
});
