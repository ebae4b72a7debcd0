import { defineConfig } from 'vitest/config';

// Node-side tests. Tests that must run inside workerd live in test/worker/ and get their own
// project (see vitest.workers.config.ts) once the Worker exists.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/worker/**', 'node_modules/**'],
    testTimeout: 60_000,
  },
});
