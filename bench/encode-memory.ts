/**
 * Resident memory of a Node process encoding a 2304 → 65536 bf16 relu SAE (Gemma Scope 2B's widest
 * public width) from its model file: openEncoderFile (src/model/encoder-file-node.ts) reads W_enc a
 * block of rows at a time into the kernels' layout, never the decoder. The issue's target: peak
 * resident memory under 1.5× the encoder's bytes (2304 · 65536 · 2 = 302 MB).
 *
 * The file (604 MB: both weight matrices, random bf16 values) is written once to the system's temp
 * directory; a fresh child process opens it, encodes 1 and 64 rows, and reports its peak resident
 * set (VmHWM) and its resident set before opening the file (Node, tsx and the kernel module).
 *
 * Run alone with `npx tsx bench/encode-memory.ts`; in `npm run bench` as the suite `encode-memory`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { createAssemblyScriptBackend } from '../src/backends/assemblyscript/loader.js';
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { resolveModelConfig, resolveTrainingOptions } from '../src/model/config.js';
import { openEncoderFile } from '../src/model/encoder-file-node.js';
import { toBinaryModelFile } from '../src/model/model-file-binary.js';
import type { BenchRecord } from './harness.js';

const N = 2304;
const H = 65536;
const FILE = join(tmpdir(), `edge-sae-bench-${N}x${H}-bf16.safetensors`);

/** bf16 bits of uniform values in ±0.03 (a fixed LCG: the weights' values do not matter here). */
function randomBf16(count: number, seed: number): Uint16Array {
  const out = new Uint16Array(count);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let s = seed >>> 0;
  for (let k = 0; k < count; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f[0] = ((s / 2 ** 32) * 2 - 1) * 0.03;
    out[k] = u[0]! >>> 16;
  }
  return out;
}

function writeModelFile(): void {
  const config = resolveModelConfig(N, { architecture: 'relu', hiddenSize: H, normalize: 'none' });
  const empty = new Float32Array(0);
  const bytes = toBinaryModelFile({
    shape: { inputSize: N, hiddenSize: H },
    config,
    normalization: { kind: 'none' },
    parameters: { W1: empty, b1: new Float32Array(H).fill(-0.01), W2: empty, b2: new Float32Array(N) },
    training: { ...resolveTrainingOptions({}), epochsCompleted: 0 },
    trainedWith: 'bench',
    optimizerState: null,
    metrics: null,
    lossHistory: [],
    stored: { dtype: 'bf16', W1: { dtype: 'bf16', bits: randomBf16(N * H, 1) }, W2: { dtype: 'bf16', bits: randomBf16(N * H, 2) } },
  });
  writeFileSync(FILE, bytes);
}

function peakRssBytes(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) * 1024;
}

/** The child: open, encode, report. */
async function child(): Promise<void> {
  const backend = createAssemblyScriptBackend(await loadKernelModule());
  const before = process.memoryUsage().rss;
  const t = performance.now();
  const session = openEncoderFile(FILE, backend);
  const opened = performance.now() - t;
  const x = new Float32Array(64 * N).map((_, k) => Math.sin(k));
  session.encode({ rows: 1, cols: N, data: x.subarray(0, N) });
  session.encode({ rows: 64, cols: N, data: x });
  process.stdout.write(JSON.stringify({ before, peak: peakRssBytes(), after: process.memoryUsage().rss, weightBytes: session.weightBytes, openedMs: opened }) + '\n');
}

export async function benchEncodeMemory(): Promise<BenchRecord[]> {
  if (!existsSync(FILE)) writeModelFile();
  const script = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, '--child'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`encode-memory child failed: ${run.stderr}`);
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { before: number; peak: number; after: number; weightBytes: number; openedMs: number };
  const encoderBytes = N * H * 2;
  const shape = `${N}→${H} bf16, ${(statSync(FILE).size / 1e6).toFixed(0)} MB file, encoder ${(encoderBytes / 1e6).toFixed(0)} MB`;
  return [
    { name: 'peak resident memory, encoding', backend: 'Node, openEncoderFile', shape, figure: r.peak / 1e6, unit: 'MB' },
    { name: 'peak resident memory ÷ encoder bytes', backend: 'Node, openEncoderFile', shape, figure: r.peak / encoderBytes, unit: '×' },
    { name: 'resident memory before opening', backend: 'Node, tsx, kernel module', shape, figure: r.before / 1e6, unit: 'MB' },
    { name: 'open the file (wall)', backend: 'Node, openEncoderFile', shape, figure: r.openedMs, unit: 'ms' },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--child')) {
    child().catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  } else {
    benchEncodeMemory()
      .then((records) => {
        for (const r of records) console.log(`${r.name.padEnd(40)} ${r.backend.padEnd(28)} ${r.shape.padEnd(50)} ${r.figure.toFixed(2).padStart(9)} ${r.unit}`);
      })
      .catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      });
  }
}
