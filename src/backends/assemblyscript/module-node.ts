/**
 * Node-only: finds build/kernels.wasm (or build/kernels-relaxed.wasm, see features.ts) and compiles
 * it (once per process for the library: the Node provider memoises the backend, node-providers.ts).
 *
 * The portable SIMD128 build is the default everywhere, so that the library, the CLI and the
 * Worker give the same weights bit for bit (relaxed_madd may fuse, which changes the last bits).
 * EDGE_SAE_KERNELS=relaxed (or auto: relaxed when the engine has relaxed SIMD — Node 22+, or
 * Node 20 with --experimental-wasm-relaxed-simd — and build/kernels-relaxed.wasm is built) opts in
 * to the faster build.
 *
 * This file runs as src/backends/assemblyscript/module-node.ts (vitest, tsx) and as
 * dist/src/backends/assemblyscript/module-node.js (after tsc), so the file is found by walking
 * up from this file to the first directory holding build/kernels.wasm. (Not the first holding
 * package.json: tsc may copy one into dist/.)
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chooseKernelVariant, type KernelVariant } from './features.js';

/** The path of build/kernels.wasm in the package this file belongs to. */
export function kernelWasmPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let packageRoot: string | null = null;
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'build', 'kernels.wasm');
    if (existsSync(candidate)) return candidate;
    if (packageRoot === null && existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) {
      packageRoot = dir;
    }
    if (dirname(dir) === dir) break;
  }
  // Not built: name where it is expected (the package root, beside package.json and tsconfig.json).
  return join(packageRoot ?? join(here, '..', '..', '..'), 'build', 'kernels.wasm');
}

/** The path of the build of that variant (kernels.wasm or kernels-relaxed.wasm, side by side). */
export function kernelVariantPath(variant: KernelVariant): string {
  const path = kernelWasmPath();
  return variant === 'simd' ? path : join(dirname(path), 'kernels-relaxed.wasm');
}

/** The build loadKernelModule loads here (EDGE_SAE_KERNELS, the relaxed-SIMD probe, what is built). */
export function selectedKernelVariant(): KernelVariant {
  const wanted = process.env.EDGE_SAE_KERNELS ?? 'simd';
  if (wanted !== 'auto' && wanted !== 'simd' && wanted !== 'relaxed') {
    throw new Error(`EDGE_SAE_KERNELS must be simd, relaxed or auto, got '${wanted}'`);
  }
  // the relaxed build only counts as built beside a built kernels.wasm
  const relaxedBuilt = existsSync(kernelWasmPath()) && existsSync(kernelVariantPath('relaxed'));
  return chooseKernelVariant(wanted, relaxedBuilt);
}

/** Reads and compiles the kernel build (see selectedKernelVariant). */
export async function loadKernelModule(): Promise<WebAssembly.Module> {
  const path = kernelVariantPath(selectedKernelVariant());
  if (!existsSync(path)) {
    throw new Error(`edge-sae: the AssemblyScript kernels are not built (${path} is missing); run npm run build:wasm`);
  }
  const bytes = await readFile(path);
  // The project's types include Cloudflare's WebAssembly declarations, which (rightly, for
  // Workers) leave out compiling from bytes; Node has it.
  const wasm = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<WebAssembly.Module> };
  try {
    return await wasm.compile(bytes);
  } catch (error) {
    // V8's message alone ("expected magic word…") does not say which file; rebuild it.
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`edge-sae: ${path} is not a valid kernels module (${reason}); run npm run build:wasm`);
  }
}

/** The path of the shared-memory build (build/kernels-shared.wasm, beside kernels.wasm). */
export function sharedKernelPath(): string {
  return join(dirname(kernelWasmPath()), 'kernels-shared.wasm');
}

/**
 * Reads and compiles the shared-memory build the thread pool runs (the portable SIMD kernels,
 * importing a shared memory); null with the reason when it cannot be used: the relaxed build was
 * chosen (it has no shared twin, and the portable one would change its bits), or it is not built.
 */
export async function loadSharedKernelModule(): Promise<{ module: WebAssembly.Module } | { module: null; reason: string }> {
  if (selectedKernelVariant() !== 'simd') return { module: null, reason: 'the relaxed-SIMD kernels (EDGE_SAE_KERNELS) have no shared-memory build' };
  const path = sharedKernelPath();
  if (!existsSync(path)) return { module: null, reason: `${path} is not built (npm run build:wasm)` };
  const wasm = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<WebAssembly.Module> };
  try {
    return { module: await wasm.compile(await readFile(path)) };
  } catch (error) {
    return { module: null, reason: `${path} does not compile here (${error instanceof Error ? error.message : String(error)})` };
  }
}
