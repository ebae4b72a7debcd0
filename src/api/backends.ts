/**
 * The Worker's kernel backends. Workers cannot compile WebAssembly from bytes, so each backend is
 * built from a module wrangler compiled at deploy time (`import x from '….wasm'` gives a
 * WebAssembly.Module). "auto" takes the first that loads, in select.ts's order.
 *
 * The tfjs-wasm fallback is imported dynamically (tfjs-fallback.ts): its code is in the bundle, but
 * its modules are evaluated only when it is chosen, so the usual AssemblyScript path never pays
 * tfjs's startup.
 */
import kernels from '../../build/kernels.wasm';
import { createAssemblyScriptBackend } from '../backends/assemblyscript/loader.js';
import { BackendUnavailableError, memoisedProvider, resolveBackend, type BackendProvider, type BackendReport } from '../backends/select.js';
import type { BackendChoice, KernelBackend } from '../backends/types.js';
import { ConfigError } from '../errors.js';
import { ApiError } from './problem.js';

/** The providers available inside the Worker, fastest first: assemblyscript, then tfjs-wasm; each loads once. */
export function workerBackendProviders(): BackendProvider[] {
  const providers: BackendProvider[] = [
    { name: 'assemblyscript', load: async () => createAssemblyScriptBackend(kernels) },
    { name: 'tfjs-wasm', load: async () => (await import('./tfjs-fallback.js')).loadTfjsWasmBackend() },
  ];
  return providers.map(memoisedProvider);
}

// One set per isolate, so each backend loads once (the providers are memoised).
let providers: BackendProvider[] | undefined;

/**
 * The backend for `choice`. A named backend this Worker cannot provide is the caller's choice
 * gone wrong (422 on training.backend); no backend at all for "auto" is the server's (503).
 */
export async function loadWorkerBackend(
  choice: BackendChoice = 'auto',
): Promise<{ backend: KernelBackend; report: BackendReport }> {
  providers ??= workerBackendProviders();
  try {
    return await resolveBackend(choice, providers);
  } catch (error) {
    if (error instanceof BackendUnavailableError) {
      if (choice !== 'auto') throw new ConfigError('training.backend', error.message);
      console.error('edge-sae: no kernel backend', error.message);
      throw new ApiError(503, { type: 'backend-unavailable', title: 'No kernel backend', detail: 'No kernel backend could be loaded in this Worker.' });
    }
    throw error;
  }
}
