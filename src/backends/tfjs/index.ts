/**
 * The tfjs fallback backends: the same math as the AssemblyScript kernels, on tfjs-core ops.
 *
 * - 'tfjs-wasm': @tensorflow/tfjs-backend-wasm (its SIMD binary where WebAssembly SIMD exists).
 * - 'tfjs-cpu': @tensorflow/tfjs-backend-cpu, plain JavaScript, the last resort.
 *
 * Both can coexist in one process: each session switches tfjs's single global engine to its own
 * backend before running ops (see runtime.ts).
 *
 * @example
 * const backend = await createTfjsBackend('tfjs-wasm');
 * const session = backend.createSession({ inputSize: 4, hiddenSize: 12 }, params);
 */
import type * as tf from '@tensorflow/tfjs-core';

import { checkedBackend } from '../checked-session.js';
import type { BackendName, KernelBackend } from '../types.js';
import { installTfjsBackend, type TfjsBackendName } from './runtime.js';
import { TfjsSession } from './session.js';

export type TfjsBackendKind = Extract<BackendName, 'tfjs-wasm' | 'tfjs-cpu'>;

const TFJS_NAMES: Record<TfjsBackendKind, TfjsBackendName> = { 'tfjs-wasm': 'wasm', 'tfjs-cpu': 'cpu' };

/**
 * Loads and initialises the tfjs backend of that kind (once per process; later calls reuse it).
 * Rejects with the backend's own error when it cannot start.
 */
export async function createTfjsBackend(kind: TfjsBackendKind): Promise<KernelBackend> {
  const tfName = TFJS_NAMES[kind];
  if (tfName === undefined) throw new Error(`unknown tfjs backend kind '${String(kind)}'`);
  // Without WebAssembly (e.g. `node --jitless`) the package's loader aborts with a misleading
  // "make sure the server can serve the .wasm file"; say what is actually missing.
  if (tfName === 'wasm' && typeof WebAssembly !== 'object') throw new Error('no WebAssembly in this runtime');
  // Importing a backend package registers its factory and kernels with tfjs-core.
  if (tfName === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else await import('@tensorflow/tfjs-backend-cpu');
  const instance = await installTfjsBackend(tfName);
  return tfjsKernelBackend(kind, tfName, instance);
}

/** Wraps an installed tfjs backend instance as a KernelBackend (also used by register-worker.ts). */
export function tfjsKernelBackend(kind: TfjsBackendKind, tfName: string, instance: tf.KernelBackend): KernelBackend {
  return checkedBackend(kind, (shape, params, architecture) => new TfjsSession(kind, tfName, instance, shape, params, architecture));
}

export { TfjsSession } from './session.js';
