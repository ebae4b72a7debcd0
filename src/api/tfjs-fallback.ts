/**
 * The Worker's fallback backend: tfjs-backend-wasm on its SIMD binary, bundled by wrangler as a
 * WebAssembly.Module (see src/backends/tfjs/register-worker.ts for why the package's own loader
 * cannot be used). backends.ts imports this module dynamically, only when the fallback is chosen,
 * so a Worker running on the AssemblyScript kernels never evaluates tfjs.
 */
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';

import { createTfjsWasmBackendFromModule } from '../backends/tfjs/register-worker.js';
import type { KernelBackend } from '../backends/types.js';

/** Starts (once per isolate) and returns the 'tfjs-wasm' backend. */
export function loadTfjsWasmBackend(): Promise<KernelBackend> {
  return createTfjsWasmBackendFromModule(tfjsWasm);
}
