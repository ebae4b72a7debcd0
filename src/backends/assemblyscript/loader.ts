/**
 * The AssemblyScript backend's entry: instantiates the kernel module (build/kernels.wasm, given
 * as an already compiled WebAssembly.Module so the same code serves Node and Cloudflare Workers,
 * which cannot compile wasm from bytes) once per session (and again when a session gives back memory a large call grew).
 */
import { checkedBackend } from '../checked-session.js';
import type { KernelBackend } from '../types.js';
import { instantiateKernels } from './kernel-module.js';
import { AsEncodeSession } from './encode-session.js';
import { AssemblyScriptSession } from './session.js';

/**
 * The AssemblyScript SIMD backend over a compiled kernel module.
 *
 * @example
 * const backend = createAssemblyScriptBackend(await loadKernelModule()); // Node
 * const session = backend.createSession({ inputSize: 4, hiddenSize: 12 }, params);
 */
export function createAssemblyScriptBackend(module: WebAssembly.Module): KernelBackend {
  // (a tag check rather than instanceof, so a module from another realm is accepted too)
  if (Object.prototype.toString.call(module) !== '[object WebAssembly.Module]') {
    throw new TypeError('createAssemblyScriptBackend: expected a compiled WebAssembly.Module');
  }
  const backend = checkedBackend('assemblyscript', (shape, params, architecture) => new AssemblyScriptSession(instantiateKernels(module), shape, params, architecture, () => instantiateKernels(module)));
  // encode-only sessions (encode-session.ts): what model.encode runs on this backend
  return { ...backend, createEncoder: (parts) => AsEncodeSession.create(module, parts) };
}
