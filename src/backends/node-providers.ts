/**
 * The backend providers for Node (the library and the CLI). Each backend's code is imported only
 * when it is loaded, so choosing the AssemblyScript kernels never loads tfjs.
 */
import { availableParallelism } from 'node:os';

import { checkThreads, defaultThreads, threadsUnavailableReason } from './assemblyscript/threads.js';
import { memoisedProvider, resolveBackend, type BackendProvider, type BackendReport } from './select.js';
import type { BackendChoice, KernelBackend } from './types.js';

/**
 * assemblyscript (build/kernels.wasm), then tfjs-wasm, then tfjs-cpu: fresh provider objects,
 * each loading its backend once (memoisedProvider).
 */
export function nodeBackendProviders(): BackendProvider[] {
  const providers: BackendProvider[] = [
    {
      name: 'assemblyscript',
      async load() {
        const [{ createAssemblyScriptBackend }, { loadKernelModule }] = await Promise.all([
          import('./assemblyscript/loader.js'),
          import('./assemblyscript/module-node.js'),
        ]);
        return createAssemblyScriptBackend(await loadKernelModule());
      },
    },
    {
      name: 'tfjs-wasm',
      async load() {
        const { createTfjsBackend } = await import('./tfjs/index.js');
        return createTfjsBackend('tfjs-wasm');
      },
    },
    {
      name: 'tfjs-cpu',
      async load() {
        const { createTfjsBackend } = await import('./tfjs/index.js');
        return createTfjsBackend('tfjs-cpu');
      },
    },
  ];
  return providers.map(memoisedProvider);
}

let providers: BackendProvider[] | undefined;
/** The threaded AssemblyScript backends, by thread count (each made once, like the providers' backends). */
const threadedBackends = new Map<number, Promise<KernelBackend | string>>();

/**
 * Loads a kernel backend in Node: `resolveBackend(choice, nodeBackendProviders())`, with one
 * shared set of providers so each backend loads once per process. `threads` (default: the cores,
 * at most MAX_DEFAULT_THREADS, or EDGE_SAE_THREADS) gives the AssemblyScript backend's sessions
 * worker threads; the report's `threads` says how many they got, and why not more.
 *
 * @example
 * const { backend, report } = await loadNodeBackend('auto', { threads: 2 });
 */
export async function loadNodeBackend(choice: BackendChoice, options: { threads?: number } = {}): Promise<{ backend: KernelBackend; report: BackendReport }> {
  const asked = checkThreads(options.threads);
  const wanted = asked ?? defaultThreads(availableParallelism(), process.env.EDGE_SAE_THREADS);
  providers ??= nodeBackendProviders();
  const { backend, report } = await resolveBackend(choice, providers);
  const requested = asked ?? ('auto' as const);
  if (wanted === 1) return { backend, report: { ...report, threads: { requested, used: 1 } } };
  if (backend.name !== 'assemblyscript') return { backend, report: { ...report, threads: { requested, used: 1, reason: `the ${backend.name} backend runs on one thread` } } };
  let threaded = threadedBackends.get(wanted);
  if (threaded === undefined) {
    threaded = loadThreadedBackend(wanted);
    threadedBackends.set(wanted, threaded);
  }
  const loaded = await threaded;
  if (typeof loaded === 'string') return { backend, report: { ...report, threads: { requested, used: 1, reason: loaded } } };
  return { backend: loaded, report: { ...report, threads: { requested, used: wanted } } };
}

/** The AssemblyScript backend on `count` threads, or why it cannot be made here. */
async function loadThreadedBackend(count: number): Promise<KernelBackend | string> {
  const unavailable = threadsUnavailableReason();
  if (unavailable !== null) return unavailable;
  const [{ createThreadedAssemblyScriptBackend }, { loadKernelModule, loadSharedKernelModule }] = await Promise.all([
    import('./assemblyscript/threaded-backend.js'),
    import('./assemblyscript/module-node.js'),
  ]);
  const shared = await loadSharedKernelModule();
  if (shared.module === null) return shared.reason;
  return createThreadedAssemblyScriptBackend(await loadKernelModule(), shared.module, count);
}
