/// <reference types="@cloudflare/vitest-pool-workers/types" />
/**
 * Types for the tests that run in workerd: `cloudflare:test`, and the test Worker's env. The
 * bindings of wrangler.toml are in Cloudflare.Env already (worker-configuration.d.ts); the test
 * Worker also gets the secrets (vitest.workers.config.ts) and may get any limit var.
 */
import type { Settings } from '../../src/api/env.js';
import type { LimitBindings } from '../../src/api/limits.js';

declare global {
  namespace Cloudflare {
    interface Env extends Settings, LimitBindings {}
  }
}
