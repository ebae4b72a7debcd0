/**
 * tfjs-backend-wasm inside Cloudflare Workers (workerd).
 *
 * As shipped, the package's backend cannot start in workerd: its loader locates the .wasm file
 * through Node's `__dirname` or fetches and compiles it from bytes, and Workers refuse to compile
 * WebAssembly from bytes at run time. Here the Worker imports the SIMD binary as a bundled module
 * (wrangler turns `import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'`
 * into a `WebAssembly.Module`), and we do what the package's own `init()` (dist/backend_wasm.js)
 * does, except that the emscripten factory gets an `instantiateWasm` hook that instantiates that
 * module synchronously (and a placeholder `__dirname`, see withDirname). Only the single-threaded
 * factory is used (Workers have no threads), so WASM_HAS_MULTITHREAD_SUPPORT is forced off as well.
 * The ready BackendWasm is then installed as tfjs's 'wasm' backend, replacing the package's own
 * factory (installTfjsBackend in runtime.ts, which also keeps a 'wasm' backend already running).
 *
 * Upstream issue: tensorflow/tfjs#8157.
 */
import * as tf from '@tensorflow/tfjs-core';
// The package's index registers the 'wasm' kernels (and a factory we replace).
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as wasmFactoryImport from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';

import type { KernelBackend } from '../types.js';
import { tfjsKernelBackend } from './index.js';
import { installTfjsBackend } from './runtime.js';

type Cwrap = (name: string, returnType: string | null, argTypes: string[]) => (...args: number[]) => number;

/** The emscripten module as BackendWasm expects it (dist/backend_wasm.js adds `tfjs`). */
interface EmscriptenTfjsModule {
  cwrap: Cwrap;
  tfjs?: Record<string, (...args: number[]) => number>;
}

interface FactoryConfig {
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): WebAssembly.Exports;
  locateFile(path: string): string;
  onAbort(reason: unknown): void;
}

type WasmFactory = (config: FactoryConfig) => Promise<EmscriptenTfjsModule>;

// The file is UMD/CommonJS: bundlers hand it over as `default`, Node's ESM loader as the namespace.
const wasmFactory = ((wasmFactoryImport as unknown as { default?: WasmFactory }).default ??
  wasmFactoryImport) as unknown as WasmFactory;

/**
 * The 'tfjs-wasm' kernel backend running on a precompiled tfjs-backend-wasm binary (normally the
 * SIMD one, imported by the Worker as a module). The tfjs backend is started once per isolate
 * (the engine keeps it, runtime.ts); later calls return a backend on the same instance. The
 * Worker calls this through its memoised provider (src/api/backends.ts).
 *
 * @example
 * import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
 * const backend = await createTfjsWasmBackendFromModule(tfjsWasm);
 */
export async function createTfjsWasmBackendFromModule(module: WebAssembly.Module): Promise<KernelBackend> {
  // A 'wasm' backend that is already running (e.g. started by createTfjsBackend in Node) is
  // kept: replacing it would dispose the memory of every session living on it.
  const instance = await installTfjsBackend('wasm', () => startBackend(module));
  return tfjsKernelBackend('tfjs-wasm', 'wasm', instance);
}

async function startBackend(module: WebAssembly.Module): Promise<tf.KernelBackend> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const wasm = await instantiate(module);
  // Mirrors init() in dist/backend_wasm.js: the C entry points BackendWasm calls.
  wasm.tfjs = {
    init: wasm.cwrap('init', null, []),
    initWithThreadsCount: wasm.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: wasm.cwrap('get_threads_count', 'number', []),
    registerTensor: wasm.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: wasm.cwrap('dispose_data', null, ['number']),
    dispose: wasm.cwrap('dispose', null, []),
  };
  return new BackendWasm(wasm as unknown as ConstructorParameters<typeof BackendWasm>[0]);
}

function instantiate(module: WebAssembly.Module): Promise<EmscriptenTfjsModule> {
  return new Promise((resolve, reject) => {
    const config: FactoryConfig = {
      instantiateWasm(imports, receive) {
        // Synchronous instantiation of an already compiled module: allowed in Workers.
        const instance = new WebAssembly.Instance(module, imports);
        receive(instance, module);
        return instance.exports;
      },
      // Nothing is fetched (instantiateWasm supplies the binary); never let it guess a path.
      locateFile: (path) => path,
      onAbort: (reason) => reject(new Error(`tfjs-backend-wasm aborted: ${String(reason)}`)),
    };
    withDirname(() => wasmFactory(config)).then(resolve, (error: unknown) =>
      reject(error instanceof Error ? error : new Error(`tfjs-backend-wasm failed to start: ${String(error)}`)),
    );
  });
}

/**
 * With nodejs_compat, workerd has `process.versions.node`, so the emscripten glue takes its Node
 * branch and evaluates `scriptDirectory = __dirname + "/"` (while the factory call runs,
 * synchronously). wrangler's esbuild bundle leaves `__dirname` undefined there (a ReferenceError);
 * the vitest Workers pool happens to define it. The directory is never used (instantiateWasm
 * supplies the binary), so a placeholder is defined for the duration of the call.
 */
function withDirname<T>(run: () => T): T {
  const scope = globalThis as { __dirname?: string };
  if (typeof scope.__dirname === 'string') return run();
  // A bare `__dirname` in the glue is a global lookup, which this property satisfies.
  scope.__dirname = '/';
  try {
    return run();
  } finally {
    delete scope.__dirname;
  }
}
