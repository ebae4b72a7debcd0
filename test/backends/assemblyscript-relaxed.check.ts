/**
 * Child of assemblyscript-relaxed.test.ts, run with --experimental-wasm-relaxed-simd: runs the
 * portable and the relaxed kernel builds on the same inputs (relaxed-agreement.ts, where the
 * bounds are) and prints, as JSON, the worst difference of each check beside its bound, with the
 * number of relaxed_madd instructions in the relaxed build.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { kernelVariantPath } from '../../src/backends/assemblyscript/module-node.js';
import { compareKernelBuilds } from './relaxed-agreement.js';

const Module = WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module;
const checks = compareKernelBuilds(new Module(readFileSync(kernelVariantPath('simd'))), new Module(readFileSync(kernelVariantPath('relaxed'))));

const wasmDis = join(dirname(dirname(kernelVariantPath('simd'))), 'node_modules', 'binaryen', 'bin', 'wasm-dis');
const wat = execFileSync(process.execPath, [wasmDis, kernelVariantPath('relaxed')], { encoding: 'utf8', maxBuffer: 64 << 20 });
process.stdout.write(JSON.stringify({ relaxedMadds: (wat.match(/f32x4\.relaxed_madd/g) ?? []).length, checks }));
