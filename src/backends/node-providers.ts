/**
 * The backend providers for Node (the library and the CLI). Each backend's code is imported only
 * when it is loaded, so choosing the AssemblyScript kernels never loads tfjs.
 */
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

/**
 * Loads a kernel backend in Node: `resolveBackend(choice, nodeBackendProviders())`, with one
 * shared set of providers so each backend loads once per process.
 *
 * @example
 * const { backend, report } = await loadNodeBackend('auto');
 */
export function loadNodeBackend(choice: BackendChoice): Promise<{ backend: KernelBackend; report: BackendReport }> {
  providers ??= nodeBackendProviders();
  return resolveBackend(choice, providers);
}
