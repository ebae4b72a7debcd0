/**
 * The kernel module (build/kernels.wasm, see assembly/) as JavaScript sees it: its exports, and a
 * checked instantiation. The session (session.ts) runs on an instance; the backend (loader.ts)
 * makes one instance per session. (The benchmark's roofline kernels are in a separate, bench-only
 * build: bench/roofline-module.ts.)
 */

import type { KernelExports } from '../../architectures/kernel-exports.js';

export type { KernelExports };

const REQUIRED_FUNCTIONS = [
  'gemm_nn', 'gemm_tn', 'gemm_nt', 'gemm_nn_bias_sigmoid', 'bias_sigmoid', 'hidden_delta', 'column_sum', 'column_mean',
  'sum_squares', 'output_delta', 'kl_gradient', 'add_scaled', 'adam_update', 'sgd_update',
  'gather_rows', 'heap_base',
  'add_row_vector', 'relu', 'top_k_codes', 'linear_output_delta', 'aux_delta', 'code_delta', 'masked_add',
  'row_norms', 'l1_decoder_gradient', 'normalize_rows', 'update_steps_since_fired', 'dead_mask',
  'nonzero_index', 'sparse_gemm_nn', 'sparse_gemm_tn', 'masked_gemm_nt', 'transpose',
  'jump_codes', 'jump_delta', 'jump_index',
  'batch_top_k_codes', 'min_positive', 'copy_block',
  'gated_codes',
] as const;

/** Reads the message AssemblyScript passes to abort (a UTF-16 string, length at ptr − 4). */
function readAsString(memory: WebAssembly.Memory | undefined, ptr: number): string {
  if (!memory || ptr === 0) return '';
  try {
    const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
    return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
  } catch {
    return `<string at ${ptr}>`;
  }
}

/**
 * Pages of a shared memory: what the shared build (build/kernels-shared.wasm, which imports its
 * memory) starts with, and its declared maximum (4 GiB, asconfig.json): a shared memory cannot
 * move when it grows, so it reserves its maximum up front (address space, not memory).
 */
const SHARED_INITIAL_PAGES = 16;
const SHARED_MAXIMUM_PAGES = 65536;

/** A new shared WebAssembly.Memory for an instance of the shared build. */
export function sharedKernelMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: SHARED_MAXIMUM_PAGES, shared: true } as WebAssembly.MemoryDescriptor);
}

/**
 * A new instance of the kernel module, with its exports checked; `sharedMemory` for the shared
 * build (which imports env.memory rather than making its own).
 */
export function instantiateKernels(module: WebAssembly.Module, sharedMemory?: WebAssembly.Memory): KernelExports {
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      ...(sharedMemory ? { memory: sharedMemory } : {}),
      abort(message: number, file: number, line: number, column: number): never {
        throw new Error(
          `edge-sae: AssemblyScript kernel aborted: ${readAsString(memory, message)} at ` +
            `${readAsString(memory, file)}:${line}:${column}`,
        );
      },
    },
  };
  const instance = new WebAssembly.Instance(module, imports);
  const exports = instance.exports as unknown as KernelExports;
  if (!(exports.memory instanceof WebAssembly.Memory)) {
    throw new Error('edge-sae: the kernel module does not export its memory (is it build/kernels.wasm?)');
  }
  for (const name of REQUIRED_FUNCTIONS) {
    if (typeof exports[name] !== 'function') {
      throw new Error(`edge-sae: the kernel module lacks the export "${name}"; rebuild it with npm run build:wasm`);
    }
  }
  memory = exports.memory;
  return exports;
}
