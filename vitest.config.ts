import { defineConfig } from 'vitest/config';

// `npm test` runs two projects: "node" (kernels, backends, model, CLI, data, and the e2e test that
// drives a real `wrangler dev`) and "workers" (test/worker/**, inside workerd; see
// vitest.workers.config.ts). Both need build/kernels.wasm (npm run build:wasm).
export default defineConfig({
  test: {
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
      './vitest.workers.config.ts',
    ],
  },
});
