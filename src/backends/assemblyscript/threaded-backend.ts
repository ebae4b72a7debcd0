/**
 * Node only: the AssemblyScript backend on worker threads (thread-pool.ts). Kept apart from
 * loader.ts, which the Worker and the browser bundle: this is the one file that brings the thread
 * code in.
 */
import type { KernelBackend } from '../types.js';
import type { KernelSplit } from './kernel-splits.js';
import { createAssemblyScriptBackend } from './loader.js';
import { SessionThreads } from './threaded-kernels.js';

/**
 * The backend over `module` (kernels.wasm) whose sessions compute on `count` threads with the
 * shared build `shared` (kernels-shared.wasm); `cutoff` replaces SPLIT_CUTOFF (tests pass 0 to
 * split every call).
 */
export function createThreadedAssemblyScriptBackend(module: WebAssembly.Module, shared: WebAssembly.Module, count: number, cutoff?: Readonly<Record<KernelSplit['kind'], number>>): KernelBackend {
  return createAssemblyScriptBackend(module, { threads: { module: shared, count, sessionThreads: () => new SessionThreads(shared, count, cutoff) } });
}
