/**
 * Node-only: finds build/kernels.wasm and compiles it once.
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

let cached: Promise<WebAssembly.Module> | null = null;

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

/** Reads and compiles build/kernels.wasm; the promise is cached, so it compiles once. */
export function loadKernelModule(): Promise<WebAssembly.Module> {
  if (cached === null) {
    cached = compile().catch((error: unknown) => {
      cached = null; // let a later call retry (e.g. after the wasm has been built)
      throw error;
    });
  }
  return cached;
}

async function compile(): Promise<WebAssembly.Module> {
  const path = kernelWasmPath();
  if (!existsSync(path)) {
    throw new Error(`edge-sae: the AssemblyScript kernels are not built (${path} is missing); run npm run build:wasm`);
  }
  const bytes = await readFile(path);
  // The project's types include Cloudflare's WebAssembly declarations, which (rightly, for
  // Workers) leave out compiling from bytes; Node has it.
  const wasm = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<WebAssembly.Module> };
  return wasm.compile(bytes);
}
