/**
 * Both kernel builds (build/kernels.wasm, build/kernels-relaxed.wasm) timed inside workerd, the
 * runtime the relaxed build is meant for: the three GEMM forms at GEMM_SHAPES and the roofline
 * microkernel simd_peak beside each shape, in GFLOPS.
 *
 * It starts the bench-only Worker bench/workerd/worker.ts under `wrangler dev` (local workerd, its
 * own config bench/workerd/wrangler.toml) and asks it to run a kernel R times; the Worker times the
 * calls with performance.now(). That clock stands still during compute on a deployed Worker but
 * advances under wrangler dev, and this checks it does before measuring: simd_peak runs of ≈ 10
 * to 600 ms, timed inside and here, must line up with a slope of 1 (`clock` in the JSON). The clock
 * counts whole milliseconds, and a request costs ≈ 10 ms of HTTP through wrangler's proxy, which
 * is why the time comes from inside the Worker.
 *
 * Timing follows bench/harness.ts (DEFAULT_TIMING): a warm-up per call (V8 tiers the wasm up),
 * then `repeats` rounds, each timing one run of every call (both builds, every kernel) back to back,
 * a run being R calls lasting ≥ MIN_RUN_MS; a figure is the median over rounds, and relaxed/simd
 * is the median of each round's paired ratio (harness.ts pairedRatio). The time is wall time inside
 * the Worker (there is no CPU clock there), so a busy machine slows both builds alike.
 *
 * The roofline is the faster of simd_peak and simd_peak_variable: workerd's V8 pays for the
 * v128.const binaryen folds into simd_peak's loop (≈ 27 GFLOPS there), which Node 20's does not,
 * and the other way round for simd_peak_variable (assembly/bench/roofline.ts, docs/DEVELOPMENT.md).
 *
 * Run with `npx tsx bench/workerd-kernels.ts`: prints a table, writes bench/workerd-kernels.json.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT, startWranglerDev } from '../test/helpers/wrangler-dev.js';
import { GEMM_FORMS, GEMM_SHAPES, gemmShapeName, type GemmShape } from './gemm.bench.js';
import { DEFAULT_TIMING, median, pairedRatio, type BenchRecord } from './harness.js';
import { PEAK_FLOPS, PEAK_ITERATIONS } from './roofline.bench.js';

export const WORKERD_RESULTS_FILE = join(ROOT, 'bench', 'workerd-kernels.json');
const CONFIG = 'bench/workerd/wrangler.toml';

/** Runs last ≥ 100 ms (harness.ts: 40 ms of CPU time): the Worker's clock counts whole milliseconds. */
const MIN_RUN_MS = 100;
/** simd_peak reps of the clock check: ≈ 10 to 600 ms at the ≈ 27 GFLOPS it runs at in workerd. */
const CLOCK_CHECK_REPS = [50, 100, 200, 400, 800, 1600, 3200];

const BUILDS = {
  simd: 'assemblyscript workerd (simd build)',
  relaxed: 'assemblyscript workerd (relaxed build)',
} as const;
type Build = keyof typeof BUILDS;
const KERNELS = [...GEMM_FORMS.map((form) => `gemm_${form}` as const), 'simd_peak', 'simd_peak_variable'] as const;
type Kernel = (typeof KERNELS)[number];

/** One timed request: ms inside the Worker (performance.now and Date.now) and ms here, round trip. */
interface Sample {
  serverMs: number;
  dateMs: number;
  clientMs: number;
}

/** Whether the Worker's clock runs at wall speed under wrangler dev. */
export interface ClockCheck {
  /** The check's simd_peak runs: Worker ms against round-trip ms. */
  runs: { serverMs: number; clientMs: number }[];
  /** Least-squares round trip = slope · Worker time + intercept: slope 1 when the clock keeps up. */
  slope: number;
  interceptMs: number;
  /** Round trip minus Worker time over every timed request (HTTP, wrangler's proxy, JSON). */
  overheadMs: { median: number; least: number; largest: number };
  /** Largest |Date.now() − performance.now()| difference over a request (the same clock in workerd). */
  largestDateDifferenceMs: number;
}

export interface WorkerdKernelResults {
  records: BenchRecord[];
  /** relaxed/simd per (kernel, shape): the median of each round's paired ratio of times. */
  speedups: { name: string; shape: string; relaxedOverSimd: number }[];
  clock: ClockCheck;
}

async function timeRequest(base: string, build: Build, kernel: Kernel, s: GemmShape, reps: number): Promise<Sample> {
  const query = new URLSearchParams({ variant: build, kernel, M: String(s.M), K: String(s.K), N: String(s.N), reps: String(reps), iterations: String(PEAK_ITERATIONS) });
  const start = performance.now();
  const res = await fetch(`${base}/run?${query}`, { signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  const clientMs = performance.now() - start;
  if (!res.ok) throw new Error(`/run ${query}: ${res.status} ${text}`);
  const body = JSON.parse(text) as { ms: number; dateMs: number; sink: number };
  if (!Number.isFinite(body.sink)) throw new Error(`${kernel}: non-finite result`);
  return { serverMs: body.ms, dateMs: body.dateMs, clientMs };
}

/**
 * Times simd_peak runs of growing length inside and here, and fits one against the other; throws
 * unless the Worker's clock runs at wall speed (a clock standing still, as on a deployed Worker,
 * would make every figure meaningless).
 */
async function checkClock(base: string): Promise<Pick<ClockCheck, 'runs' | 'slope' | 'interceptMs'>> {
  const shape = { M: 1, K: 1, N: 1 };
  await timeRequest(base, 'simd', 'simd_peak', shape, 1); // instantiates the build: not part of the fit
  const runs: ClockCheck['runs'] = [];
  for (const reps of CLOCK_CHECK_REPS) {
    const { serverMs, clientMs } = await timeRequest(base, 'simd', 'simd_peak', shape, reps);
    runs.push({ serverMs, clientMs });
  }
  const mean = (f: (r: (typeof runs)[number]) => number) => runs.reduce((sum, r) => sum + f(r), 0) / runs.length;
  const ms = mean((r) => r.serverMs);
  const mc = mean((r) => r.clientMs);
  const slope = mean((r) => (r.serverMs - ms) * (r.clientMs - mc)) / mean((r) => (r.serverMs - ms) ** 2);
  const interceptMs = mc - slope * ms;
  if (!(slope > 0.9 && slope < 1.1)) {
    throw new Error(`workerd's clock does not run at wall speed here (slope ${slope}): ${JSON.stringify(runs)}`);
  }
  return { runs, slope, interceptMs };
}

/** Warms a call up (≥ warmupMs of Worker time) and returns the reps that make one run last ≥ MIN_RUN_MS. */
async function warmUp(run: (reps: number) => Promise<Sample>): Promise<number> {
  let reps = 1;
  let spent = 0;
  for (let calls = 0; ; calls++) {
    const { serverMs } = await run(reps);
    spent += serverMs;
    const perCall = serverMs / reps;
    const needed = Math.max(1, Math.ceil(MIN_RUN_MS / Math.max(perCall, 1e-3)));
    if (calls >= DEFAULT_TIMING.minWarmupCalls && spent >= DEFAULT_TIMING.warmupMs) return needed;
    reps = Math.min(needed, reps * 4); // grow towards a full run without one long first request
  }
}

function overheads(samples: readonly Sample[]): Pick<ClockCheck, 'overheadMs' | 'largestDateDifferenceMs'> {
  const overhead = samples.map((s) => s.clientMs - s.serverMs);
  return {
    overheadMs: { median: median(overhead), least: Math.min(...overhead), largest: Math.max(...overhead) },
    largestDateDifferenceMs: Math.max(...samples.map((s) => Math.abs(s.dateMs - s.serverMs))),
  };
}

/** Every figure, with the paired speed-ups and the clock check, from a wrangler dev started here. */
export async function measureWorkerdKernels(shapes: readonly GemmShape[] = GEMM_SHAPES): Promise<WorkerdKernelResults> {
  const state = await mkdtemp(join(tmpdir(), 'edge-sae-bench-workerd-'));
  const server = await startWranglerDev(state, {}, { config: CONFIG });
  try {
    const health = (await (await fetch(`${server.base}/healthz`)).json()) as { relaxedSimd: boolean };
    if (!health.relaxedSimd) throw new Error('workerd reports no relaxed SIMD: the relaxed build cannot run here');
    const clock = await checkClock(server.base);

    const records: BenchRecord[] = [];
    const speedups: WorkerdKernelResults['speedups'] = [];
    const samples: Sample[] = [];
    for (const s of shapes) {
      const shape = gemmShapeName(s);
      const calls = (Object.keys(BUILDS) as Build[]).flatMap((build) => KERNELS.map((kernel) => ({ build, kernel, reps: 0 })));
      for (const call of calls) call.reps = await warmUp((reps) => timeRequest(server.base, call.build, call.kernel, s, reps));
      const rounds = new Map(calls.map((call) => [call, [] as number[]]));
      for (let r = 0; r < DEFAULT_TIMING.repeats; r++) {
        for (const call of calls) {
          const sample = await timeRequest(server.base, call.build, call.kernel, s, call.reps);
          samples.push(sample);
          rounds.get(call)!.push(sample.serverMs / call.reps);
        }
      }
      for (const call of calls) {
        const peak = call.kernel.startsWith('simd_peak');
        const flops = peak ? PEAK_FLOPS : 2 * s.M * s.K * s.N;
        const ms = median(rounds.get(call)!);
        records.push({ name: call.kernel, backend: BUILDS[call.build], shape: peak ? `beside ${shape}` : shape, figure: flops / (ms * 1e6), unit: 'GFLOPS' });
      }
      for (const kernel of KERNELS) {
        const [simd, relaxed] = (['simd', 'relaxed'] as const).map((build) => rounds.get(calls.find((c) => c.build === build && c.kernel === kernel)!)!);
        speedups.push({ name: kernel, shape: kernel.startsWith('simd_peak') ? `beside ${shape}` : shape, relaxedOverSimd: pairedRatio(simd!, relaxed!) });
      }
      console.error(`[bench] workerd ${shape}: done`);
    }
    return { records, speedups, clock: { ...clock, ...overheads(samples) } };
  } finally {
    await server.stop();
    await rm(state, { recursive: true, force: true });
  }
}

/** The GFLOPS records of measureWorkerdKernels. */
export async function benchWorkerdKernels(): Promise<BenchRecord[]> {
  return (await measureWorkerdKernels()).records;
}

/** The builds measured, and whether they are older than their sources (this never rebuilds them). */
function buildsOnDisk(): { files: Record<string, string>; stale: boolean } {
  const files = Object.fromEntries(['kernels.wasm', 'kernels-relaxed.wasm'].map((name) => [name, statSync(join(ROOT, 'build', name)).mtime.toISOString()]));
  const sources = readdirSync(join(ROOT, 'assembly')).map((name) => statSync(join(ROOT, 'assembly', name)).mtimeMs);
  const stale = Object.values(files).some((modified) => Date.parse(modified) < Math.max(...sources));
  return { files, stale };
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

function printTable(results: WorkerdKernelResults): void {
  const figure = (name: string, shape: string, build: Build) =>
    results.records.find((r) => r.name === name && r.shape === shape && r.backend === BUILDS[build])!.figure.toFixed(2);
  const rows = results.speedups.map((s) => [s.name, s.shape, figure(s.name, s.shape, 'simd'), figure(s.name, s.shape, 'relaxed'), `${s.relaxedOverSimd.toFixed(2)}×`]);
  const header = ['kernel', 'shape', 'simd GFLOPS', 'relaxed GFLOPS', 'relaxed/simd'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

async function main(): Promise<void> {
  const builds = buildsOnDisk();
  if (builds.stale) console.error('[bench] build/*.wasm is older than assembly/: these figures are for the build on disk (npm run build:wasm)');
  const round = (values: number[]) => values.map((x) => Number(x.toFixed(2)));
  const loadStart = round(loadavg());
  const date = new Date().toISOString();
  const started = performance.now();
  const results = await measureWorkerdKernels();
  const output = {
    date,
    machine: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    wrangler: packageVersion('wrangler'),
    workerd: packageVersion('workerd'),
    loadAverage: { start: loadStart, end: round(loadavg()) },
    timing: `median wall time (performance.now() inside the Worker, under wrangler dev) of runs of repeated calls lasting ≥ ${MIN_RUN_MS} ms after warm-up, both builds interleaved in ${DEFAULT_TIMING.repeats} rounds (bench/workerd-kernels.ts)`,
    builds,
    ...results,
  };
  printTable(results);
  const c = results.clock;
  console.log(
    `\nclock check: round trip = ${c.slope.toFixed(3)} × Worker time + ${c.interceptMs.toFixed(1)} ms over simd_peak runs of ` +
      `${c.runs[0]!.serverMs}–${c.runs.at(-1)!.serverMs} ms; timed requests' overhead median ${c.overheadMs.median.toFixed(1)} ms ` +
      `(${c.overheadMs.least.toFixed(1)} to ${c.overheadMs.largest.toFixed(1)})`,
  );
  await writeFile(WORKERD_RESULTS_FILE, JSON.stringify(output, null, 2) + '\n');
  console.log(`wrote ${WORKERD_RESULTS_FILE} (${((performance.now() - started) / 1000).toFixed(0)} s; load average ${loadStart.join(' ')} → ${output.loadAverage.end.join(' ')})`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
