/**
 * The AssemblyScript backend's entry: instantiates the kernel module (build/kernels.wasm, given
 * as an already compiled WebAssembly.Module so the same code serves Node and Cloudflare Workers,
 * which cannot compile wasm from bytes) once per session (and again when a session gives back memory a large call grew).
 */
import { checkedBackend } from '../checked-session.js';
import type { KernelBackend } from '../types.js';
import { instantiateKernels, sharedKernelMemory } from './kernel-module.js';
import { AsEncodeSession } from './encode-session.js';
import { AssemblyScriptSession } from './session.js';
import type { KernelThreads } from './kernel-threads.js';

/**
 * Threads for every session of a backend, Node only (threaded-backend.ts makes these, so that this
 * file, which the Worker and the browser bundle, imports no thread code).
 */
export interface BackendThreads {
  /** The shared-memory build (build/kernels-shared.wasm). */
  readonly module: WebAssembly.Module;
  /** Threads a session computes on (2 or more). */
  readonly count: number;
  /** A session's threads (one per session). */
  sessionThreads(): KernelThreads;
}

/**
 * The AssemblyScript SIMD backend over a compiled kernel module.
 *
 * @example
 * const backend = createAssemblyScriptBackend(await loadKernelModule()); // Node
 * const session = backend.createSession({ inputSize: 4, hiddenSize: 12 }, params);
 */
export function createAssemblyScriptBackend(module: WebAssembly.Module, options: { threads?: BackendThreads } = {}): KernelBackend {
  // (a tag check rather than instanceof, so a module from another realm is accepted too)
  if (Object.prototype.toString.call(module) !== '[object WebAssembly.Module]') {
    throw new TypeError('createAssemblyScriptBackend: expected a compiled WebAssembly.Module');
  }
  const threads = options.threads;
  // encode-only sessions (encode-session.ts): what model.encode runs on this backend
  const createEncoder: KernelBackend['createEncoder'] = (parts) => AsEncodeSession.create(module, parts);
  if (threads !== undefined && threads.count > 1) {
    // each session its own shared memory, the shared build on it here and in every worker
    const instantiate = () => instantiateKernels(threads.module, sharedKernelMemory());
    const backend = checkedBackend('assemblyscript', (shape, params, architecture) => new AssemblyScriptSession(instantiate(), shape, params, architecture, instantiate, threads.sessionThreads()));
    return { ...backend, createEncoder: (parts) => AsEncodeSession.create(module, parts, threads) };
  }
  const backend = checkedBackend('assemblyscript', (shape, params, architecture) => new AssemblyScriptSession(instantiateKernels(module), shape, params, architecture, () => instantiateKernels(module)));
  return { ...backend, createEncoder };
}
