/**
 * `npm run bench -- --only threads`: 2 threads against 1 (src/backends/assemblyscript/thread-pool.ts),
 * in one run, wall-clock time (CPU time would count the workers too), paired rounds that alternate
 * the two so machine load falls on both alike; the medians and their ratio.
 *
 *   steps    one training step (forward, backward, Adam) at batch 256: topk and relu 768 → 6144,
 *            sigmoid 784 → 196
 *   encode   64 rows at 768 → 24576 (relu), through model.encode's encode-only session (EncodingSession)
 *   cut-off  gemm_nn at M = K = N = s, and add_scaled over c floats, split (cut-off 0) against whole:
 *            where 2 threads start to win, which fixes SPLIT_CUTOFF (threaded-kernels.ts)
 *   cli      `edge-sae train --threads 2` against `--threads 1` on the e2e scale file's recipe
 *            (scripts/e2e-scale.ts: seeded uniform rows × 64, --hidden 32 --epochs 2 --batch-size
 *            1024): each run's time, and whether the two model files are the same bytes.
 *            THREADS_SCALE_ROWS sets the rows (default 2,000,000, as e2e:scale).
 *
 * Every figure says the core count and the load average at the time (bench/run.ts stamps both too);
 * the suite's records also go to bench/threads.json (docs/BACKENDS.md's table). THREADS_BENCH_ONLY
 * (cutoff,steps,encode,cli) runs some of the parts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { architectureModule } from '../src/architectures/registry.js';
import { Arena } from '../src/backends/assemblyscript/arena.js';
import { instantiateKernels, sharedKernelMemory } from '../src/backends/assemblyscript/kernel-module.js';
import { createAssemblyScriptBackend } from '../src/backends/assemblyscript/loader.js';
import { createThreadedAssemblyScriptBackend } from '../src/backends/assemblyscript/threaded-backend.js';
import { loadKernelModule, loadSharedKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { shutdownThreadPool } from '../src/backends/assemblyscript/thread-pool.js';
import { SessionThreads } from '../src/backends/assemblyscript/threaded-kernels.js';
import { architectureOf, type ArchitectureName, type KernelBackend, type LossConfig, type OptimizerConfig } from '../src/backends/types.js';
import { EncodingSession } from '../src/model/encoding-session.js';
import { SeededRandom } from '../src/model/random.js';
import { saeState } from './encode-model.js';
import { median, type BenchRecord } from './harness.js';
import { REPO_ROOT } from '../test/helpers/cli.js';

const ADAM = { kind: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as OptimizerConfig;

function loss(architecture: ArchitectureName): LossConfig {
  return { architecture, k: 32, auxK: 256, auxCoefficient: 1 / 32, deadSteps: 1000, sparsityTarget: 0.05, sparsityWeight: 0.001, weightDecay: 0, reduction: 'mean' } as LossConfig;
}

function uniform(count: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: count }, () => rng.nextFloat() * 2 - 1);
}

/** Process CPU ms so far (every thread's, the workers' too). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU ms a call took in the last pairedRounds, by name (median), beside the wall times it returns. */
let lastCpu: Record<string, number> = {};

/** Median wall ms of each call over `rounds` paired rounds (the order alternating), after a warm-up each. */
function pairedRounds(calls: Record<string, () => void>, rounds: number): Record<string, number> {
  const names = Object.keys(calls);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) calls[n]!();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      const c0 = cpuMs();
      const t0 = performance.now();
      calls[n]!();
      times[n]!.push(performance.now() - t0);
      cpu[n]!.push(cpuMs() - c0);
    }
  }
  lastCpu = Object.fromEntries(names.map((n) => [n, median(cpu[n]!)]));
  return Object.fromEntries(names.map((n) => [n, median(times[n]!)]));
}

const note = (): string => `${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(1)).join('/')}`;

function stepCase(backends: Record<string, KernelBackend>, architecture: ArchitectureName, n: number, h: number, rows: number, rounds: number): BenchRecord[] {
  const module = architectureModule(architecture);
  const shape = { inputSize: n, hiddenSize: h };
  const params = module.initialise(shape, 1);
  const x = uniform(rows * n, 7);
  const l = loss(architecture);
  const sessions = Object.fromEntries(Object.entries(backends).map(([name, backend]) => {
    const s = backend.createSession(shape, params, architectureOf(l));
    s.setTrainingData(x, rows);
    return [name, s];
  }));
  const ms = pairedRounds(Object.fromEntries(Object.entries(sessions).map(([name, s]) => [name, () => void s.trainStep(null, l, ADAM)])), rounds);
  for (const s of Object.values(sessions)) s.dispose();
  return records(`${architecture} step`, `${n}→${h} m=${rows}`, ms);
}

/** model.encode's path: the encode-only session (EncodingSession) of a relu SAE with SAE-shaped weights, on each backend. */
function encodeCase(backends: Record<string, KernelBackend>, n: number, h: number, rows: number, rounds: number): BenchRecord[] {
  const { state, x } = saeState(n, h, rows, 9);
  const sessions = Object.fromEntries(Object.entries(backends).map(([name, backend]) => [name, EncodingSession.fromState(state, backend)!]));
  const matrix = { rows, cols: n, data: x };
  const ms = pairedRounds(Object.fromEntries(Object.entries(sessions).map(([name, s]) => [name, () => void s.encode(matrix)])), rounds);
  for (const s of Object.values(sessions)) s.dispose();
  return records('relu encode', `${n}→${h} ${rows} rows`, ms);
}

function records(name: string, shape: string, ms: Record<string, number>): BenchRecord[] {
  const at = note();
  const one = ms['1 thread']!, two = ms['2 threads']!;
  const cpuOne = lastCpu['1 thread']!, cpuTwo = lastCpu['2 threads']!;
  console.log(`  ${name} ${shape}: 1 thread ${one.toFixed(2)} ms, 2 threads ${two.toFixed(2)} ms, ×${(one / two).toFixed(2)}; CPU ms ${cpuOne.toFixed(1)} and ${cpuTwo.toFixed(1)} (${at})`);
  return [
    // CPU time of all threads: the work the split adds (hand-off, packing B twice), whatever the load
    { name: `${name} CPU time, 2 threads ÷ 1 (${at})`, backend: 'assemblyscript', shape, figure: cpuTwo / cpuOne, unit: '×' },
    { name: `${name} (${at})`, backend: 'assemblyscript 1 thread', shape, figure: one, unit: 'ms' },
    { name: `${name} (${at})`, backend: 'assemblyscript 2 threads', shape, figure: two, unit: 'ms' },
    { name: `${name} speed-up (${at})`, backend: 'assemblyscript 2 threads', shape, figure: one / two, unit: '×' },
  ];
}

/**
 * The cut-off: gemm_nn and add_scaled split across 2 threads (cut-off 0) against the same call
 * whole, on one instance of the shared build; the records give the ratio at each size.
 */
function cutoffCase(shared: WebAssembly.Module): BenchRecord[] {
  const raw = instantiateKernels(shared, sharedKernelMemory());
  const arena = new Arena(raw.memory, raw.heap_base());
  const threads = new SessionThreads(shared, 2, { product: 0, stream: 0 });
  const split = threads.bind(raw, arena);
  const out: BenchRecord[] = [];
  const at = note();
  for (const s of [16, 32, 64, 96, 128, 160, 192, 256, 320]) {
    arena.resetScratch();
    const a = arena.allocateScratch(s * s * 4), b = arena.allocateScratch(s * s * 4), c = arena.allocateScratch(s * s * 4);
    arena.f32(a, s * s).set(uniform(s * s, 1));
    arena.f32(b, s * s).set(uniform(s * s, 2));
    const reps = Math.max(1, Math.round(4e6 / (s * s * s)));
    const ms = pairedRounds({ whole: () => { for (let r = 0; r < reps; r++) raw.gemm_nn(a, b, c, s, s, s); }, split: () => { for (let r = 0; r < reps; r++) split.gemm_nn(a, b, c, s, s, s); } }, 15);
    const ratio = ms.whole! / ms.split!;
    console.log(`  cut-off gemm_nn ${s}³ = ${s * s * s} multiply-adds: whole ${(1000 * ms.whole! / reps).toFixed(1)} µs, split ${(1000 * ms.split! / reps).toFixed(1)} µs, ×${ratio.toFixed(2)}`);
    out.push({ name: `cut-off: gemm_nn split on 2 threads, whole ÷ split (${at})`, backend: 'assemblyscript', shape: `${s}³ = ${s * s * s} multiply-adds`, figure: ratio, unit: '×' });
  }
  for (const log2 of [12, 14, 16, 17, 18, 19, 20, 21, 22]) {
    const count = 2 ** log2;
    arena.resetScratch();
    const d = arena.allocateScratch(count * 4), src = arena.allocateScratch(count * 4);
    arena.f32(src, count).set(uniform(count, 3));
    arena.f32(d, count).fill(0);
    const reps = Math.max(1, Math.round(2 ** 22 / count));
    const ms = pairedRounds({ whole: () => { for (let r = 0; r < reps; r++) raw.add_scaled(d, src, count, 1e-9); }, split: () => { for (let r = 0; r < reps; r++) split.add_scaled(d, src, count, 1e-9); } }, 15);
    const ratio = ms.whole! / ms.split!;
    console.log(`  cut-off add_scaled 2^${log2} floats (${3 * count} touched): whole ${(1000 * ms.whole! / reps).toFixed(1)} µs, split ${(1000 * ms.split! / reps).toFixed(1)} µs, ×${ratio.toFixed(2)}`);
    out.push({ name: `cut-off: add_scaled split on 2 threads, whole ÷ split (${at})`, backend: 'assemblyscript', shape: `2^${log2} floats (work ${3 * count})`, figure: ratio, unit: '×' });
  }
  threads.release();
  // the rule SPLIT_CUTOFF follows: the smallest size from which the split won at every larger size measured
  for (const kind of ['gemm_nn', 'add_scaled']) {
    const rows = out.filter((r) => r.name.startsWith(`cut-off: ${kind}`));
    let from = rows.length;
    while (from > 0 && rows[from - 1]!.figure >= 1) from--;
    console.log(`  ${kind}: split wins from ${from < rows.length ? rows[from]!.shape : 'no size measured (the cut-off goes past the largest)'}`);
  }
  return out;
}

/** The e2e scale file's recipe (scripts/e2e-scale.ts), `rows` × 64. */
async function writeScaleFile(file: string, rows: number): Promise<void> {
  const rng = new SeededRandom(20261203);
  const handle = await open(file, 'w');
  try {
    for (let row = 0; row < rows; row += 65_536) {
      const block = new Float32Array(Math.min(65_536, rows - row) * 64);
      for (let k = 0; k < block.length; k++) block[k] = rng.nextFloat() * 2 - 1;
      await handle.write(new Uint8Array(block.buffer));
    }
  } finally {
    await handle.close();
  }
}

async function cliCase(rows: number): Promise<BenchRecord[]> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-sae-threads-bench-'));
  try {
    const data = join(dir, 'scale.f32');
    await writeScaleFile(data, rows);
    const seconds: Record<number, number> = {};
    const bytes: Record<number, Buffer> = {};
    for (const threads of [1, 2]) {
      const out = join(dir, `model-${threads}.safetensors`);
      const t0 = performance.now();
      execFileSync(process.execPath, [join(REPO_ROOT, 'bin', 'edge-sae.js'), 'train', '--data', data, '--cols', '64', '--out', out, '--hidden', '32', '--epochs', '2', '--batch-size', '1024', '--seed', '11', '--learning-rate', '0.001', '--threads', String(threads), '--quiet'], { stdio: 'inherit' });
      seconds[threads] = (performance.now() - t0) / 1000;
      bytes[threads] = readFileSync(out);
    }
    const same = bytes[1]!.equals(bytes[2]!);
    const at = note();
    const shape = `${rows.toLocaleString('en')} × 64 → 32, 2 epochs, batch 1024`;
    console.log(`  edge-sae train ${shape}: --threads 1 ${seconds[1]!.toFixed(1)} s, --threads 2 ${seconds[2]!.toFixed(1)} s, same model file: ${same} (${at})`);
    return [
      { name: `edge-sae train --threads 1 (${at})`, backend: 'assemblyscript', shape, figure: seconds[1]!, unit: 's' },
      { name: `edge-sae train --threads 2 (${at})`, backend: 'assemblyscript', shape, figure: seconds[2]!, unit: 's' },
      { name: `edge-sae train, the two model files the same bytes (${at})`, backend: 'assemblyscript', shape, figure: same ? 1 : 0, unit: 'yes = 1' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The threads suite's own record of its last run (bench/results.json also gets it through run.ts). */
const THREADS_FILE = join(REPO_ROOT, 'bench', 'threads.json');

export async function benchThreads(): Promise<BenchRecord[]> {
  const only = process.env.THREADS_BENCH_ONLY;
  const shared = await loadSharedKernelModule();
  if (shared.module === null) throw new Error(`threads bench: ${shared.reason}`);
  const module = await loadKernelModule();
  const backends = {
    '1 thread': createAssemblyScriptBackend(module),
    '2 threads': createThreadedAssemblyScriptBackend(module, shared.module, 2),
  };
  const out: BenchRecord[] = [];
  try {
    const want = (part: string): boolean => only === undefined || only.split(',').includes(part);
    const loadStart = loadavg();
    if (want('cutoff')) out.push(...cutoffCase(shared.module));
    if (want('steps')) {
      out.push(...stepCase(backends, 'topk', 768, 6144, 256, 11));
      out.push(...stepCase(backends, 'relu', 768, 6144, 256, 11));
      out.push(...stepCase(backends, 'sigmoid', 784, 196, 256, 41));
    }
    if (want('encode')) out.push(...encodeCase(backends, 768, 24576, 64, 11));
    if (want('cli')) out.push(...(await cliCase(Number(process.env.THREADS_SCALE_ROWS ?? 2_000_000))));
    writeFileSync(THREADS_FILE, `${JSON.stringify({ date: new Date().toISOString(), cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverage: { start: loadStart, end: loadavg() }, timing: 'wall clock, median of paired rounds alternating 1 and 2 threads', records: out }, null, 2)}\n`);
  } finally {
    shutdownThreadPool();
  }
  return out;
}
