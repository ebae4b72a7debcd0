/**
 * The built kernels really are SIMD: disassemble build/kernels.wasm with binaryen's wasm-dis
 * (shipped with assemblyscript) and look for f32x4 arithmetic inside the exported hot kernels.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kernelWasmPath } from '../../src/backends/assemblyscript/module-node.js';

/** The text of each exported function of the module, by export name. */
function exportedFunctionTexts(wat: string): Map<string, string> {
  const bodies = new Map<string, string>();
  const funcStarts = [...wat.matchAll(/^ \(func (\$\S+)/gm)];
  funcStarts.forEach((match, i) => {
    const end = i + 1 < funcStarts.length ? funcStarts[i + 1]!.index : wat.length;
    bodies.set(match[1]!, wat.slice(match.index, end));
  });
  const byExport = new Map<string, string>();
  for (const match of wat.matchAll(/\(export "([^"]+)" \(func (\$\S+)\)\)/g)) {
    byExport.set(match[1]!, bodies.get(match[2]!) ?? '');
  }
  return byExport;
}

describe('build/kernels.wasm', () => {
  const path = kernelWasmPath();

  it('should exist (npm run build:wasm)', () => {
    expect(existsSync(path), `${path} is missing; run npm run build:wasm`).toBe(true);
  });

  it('should use f32x4 SIMD in the hot kernels', () => {
    // binaryen (a dependency of assemblyscript) hoisted into the package's node_modules
    const wasmDis = join(dirname(dirname(path)), 'node_modules', 'binaryen', 'bin', 'wasm-dis');
    expect(existsSync(wasmDis), `${wasmDis} (binaryen's disassembler)`).toBe(true);
    const wat = execFileSync(process.execPath, [wasmDis, path], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const functions = exportedFunctionTexts(wat);
    for (const name of ['gemm_nn', 'gemm_tn', 'gemm_nt', 'gemm_nn_bias_sigmoid', 'bias_sigmoid', 'hidden_delta', 'output_delta', 'adam_update']) {
      const text = functions.get(name);
      expect(text, `export ${name}`).toBeTruthy();
      expect(text, `${name} multiplies f32x4`).toMatch(/f32x4\.mul/);
      expect(text, `${name} adds or subtracts f32x4`).toMatch(/f32x4\.(add|sub)/);
      expect(text, `${name} loads v128`).toMatch(/v128\.load/);
    }
  });

  it('should import nothing and export its memory', () => {
    // (Cloudflare's WebAssembly types make Module abstract: Workers cannot compile bytes; Node can)
    const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
    const module = new Module(readFileSync(path));
    expect(WebAssembly.Module.imports(module)).toEqual([]);
    expect(WebAssembly.Module.exports(module)).toContainEqual({ name: 'memory', kind: 'memory' });
  });
});
