/**
 * Test harness for the raw kernels: one instance of build/kernels.wasm, an arena over its
 * memory, and helpers to copy arrays in and out. harnessOn takes an instance of any build (the
 * workerd test of the relaxed build passes its own).
 */
import { Arena } from '../../src/backends/assemblyscript/arena.js';
import { instantiateKernels, type KernelExports } from '../../src/backends/assemblyscript/kernel-module.js';
import { loadKernelModule } from '../../src/backends/assemblyscript/module-node.js';

export interface KernelHarness {
  kernels: KernelExports;
  arena: Arena;
  /** Copies a float array into scratch memory; returns its address. */
  put(values: ArrayLike<number>): number;
  /** Copies u32 values into scratch memory; returns its address. */
  putU32(values: ArrayLike<number>): number;
  /** Allocates `count` floats of scratch memory filled with `fill` (NaN by default, to catch unwritten outputs). */
  alloc(count: number, fill?: number): number;
  /** Copies `count` floats out of memory. */
  get(address: number, count: number): Float32Array;
}

/** A harness on the kernel build Node loads (build/kernels.wasm unless EDGE_SAE_KERNELS says otherwise). */
export async function createHarness(): Promise<KernelHarness> {
  return harnessOn(instantiateKernels(await loadKernelModule()));
}

/** A harness on an instance of the kernels. */
export function harnessOn(kernels: KernelExports): KernelHarness {
  const arena = new Arena(kernels.memory, kernels.heap_base());
  return {
    kernels,
    arena,
    put(values) {
      const address = arena.allocateScratch(values.length * 4);
      arena.f32(address, values.length).set(Array.from(values));
      return address;
    },
    putU32(values) {
      const address = arena.allocateScratch(values.length * 4);
      arena.u32(address, values.length).set(Array.from(values));
      return address;
    },
    alloc(count, fill = NaN) {
      const address = arena.allocateScratch(count * 4);
      arena.f32(address, count).fill(fill);
      return address;
    },
    get(address, count) {
      return arena.f32(address, count).slice();
    },
  };
}
