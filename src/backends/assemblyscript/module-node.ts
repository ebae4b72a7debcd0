/**
 * Node-only: finds build/kernels.wasm and compiles it once.
 *
 * This file runs as src/backends/assemblyscript/module-node.ts (vitest, tsx) and as
 * dist/src/backends/assemblyscript/module-node.js (after tsc), so the package root is found by
 * walking up from this file to the first directory holding package.json.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: Promise<WebAssembly.Module> | null = null;

/** The path of build/kernels.wasm in the package this file belongs to. */
export function kernelWasmPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'build', 'kernels.wasm');
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error('edge-sae: cannot find the package root (package.json) above ' + fileURLToPath(import.meta.url));
    }
    dir = parent;
  }
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
