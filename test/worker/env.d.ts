/// <reference types="@cloudflare/vitest-pool-workers/types" />
/** Types for the tests that run in workerd: `cloudflare:test`, and the test Worker's env. */
import type { Bindings } from '../../src/api/env.js';

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {}
  }
}
