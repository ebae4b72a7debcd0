import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/** Tokens the worker tests use (bindings of the test Worker; never used outside tests). */
export const TEST_ADMIN_TOKEN = 'test-admin-token';
export const TEST_ENCODE_TOKENS = 'test-encode-token,second-encode-token';

// Tests that run inside workerd (the real Workers runtime) against src/worker.ts, with the
// bindings of wrangler.toml plus test tokens. build/kernels.wasm must exist (npm run build:wasm).
export default defineConfig({
  plugins: [
    cloudflareTest({
      main: './src/worker.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: { API_TOKEN: TEST_ADMIN_TOKEN, ENCODE_TOKENS: TEST_ENCODE_TOKENS },
      },
    }),
  ],
  test: {
    name: 'workers',
    include: ['test/worker/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
