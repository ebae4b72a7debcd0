/**
 * `npm run bench`: runs every benchmark in one process, prints the table, and writes
 * bench/results.json (the records, stamped with the machine, Node version, date and load average).
 * `npm run bench -- --only gemm,model` runs some of them and replaces only their records in an
 * existing results.json. `npx tsx bench/readme-table.ts` then renders the README's table from it.
 *
 * Suites: roofline (roofline.bench.ts), gemm (gemm.bench.ts), training (training.bench.ts),
 * model (model.bench.ts: the tutorial's run, encode latency, epochs in the Workers' CPU caps),
 * relaxed (relaxed.bench.ts: the relaxed-SIMD build beside the portable one, in a child Node with
 * --experimental-wasm-relaxed-simd when this one lacks it), workerd (workerd-kernels.ts: both builds
 * inside workerd, under wrangler dev; ≈ 70 s), exports (exports.bench.ts: ONNX and TF.js export size
 * and time, ONNX Runtime's agreement with encode),
 * files (model-file.bench.ts: JSON and binary model
 * files saved and loaded, the CLI's one-epoch run; needs `npm run build:ts`), workerd-files
 * (workerd-model-file.ts: a cold encode inside workerd, under wrangler dev; ≈ 30 s), sweep
 * (sweep.bench.ts: 4 trials through `edge-sae sweep`, --jobs 2 against --jobs 1; ≈ 15 s), streaming
 * (streaming.bench.ts: training streamed from a file against rows in memory at 784→196; ≈ 40 s),
 * workerd-data (workerd-data.bench.ts: upload and batch encode through wrangler dev; ≈ 60 s),
 * sae-step (sae-step.bench.ts: one training step of sigmoid, relu, topk, batchtopk and jumprelu at 256 × 768 → 6144 on
 * AssemblyScript and tfjs-wasm, paired ratios; ≈ 60–90 s), encode-kernels (encode-kernels.ts: the
 * encode kernels' z + ReLU in f32, bf16 and int8 against onnxruntime-web and the read-bandwidth floor,
 * at 768 → 24576 and 2304 → 16384; the rows/GEMM crossover), threads (threads.bench.ts: 2 threads against 1,
 * the split cut-off, `edge-sae train --threads 2` on the e2e scale file), jumprelu-density
 * (jumprelu-density.bench.ts: each of jumprelu's products dense and through the index over densities
 * 1/64 to 3/4 at 256 × 768 → 6144, the cut-offs the step chooses by; ≈ 1 min).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchEncodeKernels } from './encode-kernels.js';
import { benchEncodeMemory } from './encode-memory.js';
import { benchEncodeModel } from './encode-model.js';
import { benchExports } from './exports.bench.js';
import { benchGemm } from './gemm.bench.js';
import { benchJumpReluDensity } from './jumprelu-density.bench.js';
import type { BenchRecord } from './harness.js';
import { benchModelFile } from './model-file.bench.js';
import { benchModel } from './model.bench.js';
import { benchRelaxed } from './relaxed.bench.js';
import { benchRoofline } from './roofline.bench.js';
import { benchSaeStep } from './sae-step.bench.js';
import { benchStreaming } from './streaming.bench.js';
import { benchSweep } from './sweep.bench.js';
import { benchThreads } from './threads.bench.js';
import { benchTraining } from './training.bench.js';
import { benchWorkerdKernels } from './workerd-kernels.js';
import { benchWorkerdData } from './workerd-data.bench.js';
import { benchWorkerdModelFile } from './workerd-model-file.js';

export const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'results.json');

/**
 * Suites whose last run also goes to a file of its own, stamped as results.json is, because a
 * docs table is generated from it (`npm run docs`): a rerun of one suite then refreshes its table
 * without touching the others'. (The threads suite writes bench/threads.json itself.)
 */
const SUITE_FILES: Record<string, string> = {
  'encode-model': 'encode-model.json',
  'encode-memory': 'encode-memory.json',
};

export interface BenchResults {
  machine: string;
  cores: number;
  os: string;
  node: string;
  date: string;
  /** 1/5/15-minute load averages at the start and at the end: figures taken on a busy machine are noisy. */
  loadAverage: { start: number[]; end: number[] };
  /** How figures were timed. */
  timing: string;
  /** Which suite each record came from. */
  suites: Record<string, string[]>;
  records: BenchRecord[];
}

const SUITES: Record<string, () => Promise<BenchRecord[]>> = {
  roofline: benchRoofline,
  gemm: () => benchGemm(),
  // (one step of each shape; tfjs-cpu at 784→196 takes ≈ 0.7 s a step, so few repeats)
  training: () => benchTraining({ repeats: 5, slowRepeats: 2, minRunMs: 60, warmupMs: 200 }),
  model: benchModel,
  relaxed: async () => benchRelaxed(),
  workerd: benchWorkerdKernels,
  exports: benchExports,
  files: benchModelFile,
  'workerd-files': benchWorkerdModelFile,
  sweep: benchSweep,
  streaming: benchStreaming,
  'workerd-data': benchWorkerdData,
  // (a round is ≈ 7 s, mostly tfjs-wasm's steps: five rounds after one warm-up step each)
  'sae-step': () => benchSaeStep({ repeats: 5 }),
  'encode-kernels': benchEncodeKernels,
  'encode-model': benchEncodeModel,
  'encode-memory': benchEncodeMemory,
  // (2 threads against 1: steps, encode, the split cut-off, edge-sae train on the e2e scale file; ≈ 2–3 min)
  threads: benchThreads,
  'jumprelu-density': () => benchJumpReluDensity(),
};

function table(records: readonly BenchRecord[]): string {
  const header = ['name', 'backend', 'shape', 'figure', 'unit'];
  const rows = records.map((r) => [r.name, r.backend, r.shape, r.figure < 100 ? r.figure.toFixed(3) : r.figure.toFixed(0), r.unit]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const round = (values: number[]) => values.map((x) => Number(x.toFixed(2)));

async function main(): Promise<void> {
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex >= 0 ? (process.argv[onlyIndex + 1] ?? '').split(',').filter(Boolean) : Object.keys(SUITES);
  for (const name of only) if (!(name in SUITES)) throw new Error(`unknown suite '${name}' (have ${Object.keys(SUITES).join(', ')})`);

  const loadStart = round(loadavg());
  const started = performance.now();
  const suites: Record<string, BenchRecord[]> = {};
  for (const name of only) {
    const t = performance.now();
    suites[name] = await SUITES[name]!();
    console.error(`[bench] ${name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }

  // with --only, keep the other suites' records of the last full run
  let previous: BenchResults | null = null;
  if (onlyIndex >= 0 && existsSync(RESULTS_FILE)) {
    const parsed = JSON.parse(await readFile(RESULTS_FILE, 'utf8')) as Partial<BenchResults>;
    if (parsed.suites && parsed.records) previous = parsed as BenchResults;
  }
  const order = Object.keys(SUITES).filter((name) => name in suites || previous?.suites[name]);
  const recordsOf = (name: string): BenchRecord[] =>
    suites[name] ?? (previous?.records ?? []).filter((r) => previous!.suites[name]?.includes(`${r.name}|${r.backend}|${r.shape}`));
  const records = order.flatMap(recordsOf);

  const results: BenchResults = {
    machine: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    os: `${platform()} ${release()}`,
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: { start: loadStart, end: round(loadavg()) },
    timing: 'median CPU time of repeated calls after warm-up, one process, one thread (bench/harness.ts)',
    suites: Object.fromEntries(order.map((name) => [name, recordsOf(name).map((r) => `${r.name}|${r.backend}|${r.shape}`)])),
    records,
  };
  console.log(table(records));
  await writeFile(RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');
  for (const name of Object.keys(suites)) {
    const file = SUITE_FILES[name];
    if (file === undefined) continue;
    const own = { ...results, suites: { [name]: results.suites[name] }, records: suites[name] };
    await writeFile(join(dirname(RESULTS_FILE), file), JSON.stringify(own, null, 2) + '\n');
  }
  console.log(`\nwrote ${RESULTS_FILE} (${((performance.now() - started) / 1000).toFixed(0)} s; load average ${loadStart.join(' ')} → ${results.loadAverage.end.join(' ')})`);
  console.log('render the README table with: npx tsx bench/readme-table.ts');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
