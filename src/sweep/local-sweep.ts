/**
 * A sweep on this machine: every trial is `edge-sae train` on the same data file with its own
 * options, run in its own worker thread (its own wasm instance), at most `jobs` at once. A trial
 * that fails (bad options for the data, divergence) fails alone and says why; the others go on.
 *
 * Why threads and not processes: a worker thread starts in tens of milliseconds and shares the
 * parent's module cache on disk; each still has its own V8 isolate and wasm memory, so trials
 * do not contend for anything but the cores.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import type { Metrics } from '../model/metrics.js';
import { flagOf } from '../model/options.js';
import { tableOption, trialName, type BaseValue, type TrialOptions } from './grid.js';
import { rankTrials, type RankedTrial, type SweepMetric, type TrialResult } from './ranking.js';
import type { TrialMessage, TrialWorkerData } from './trial-messages.js';

export interface LocalSweepOptions {
  /** The data file every trial trains on (CSV, .npy, .f32 with `cols`, JSON), streamed as `edge-sae train` streams it. */
  readonly data: string;
  readonly cols?: number;
  /** A file every trial validates on after every epoch (train's --validation-data), instead of a split. */
  readonly validationData?: string;
  readonly trials: readonly TrialOptions[];
  /** Options every trial shares (table keys), under each trial's own. */
  readonly base?: Readonly<Record<string, BaseValue>>;
  /** Trials at once (default: the cores). */
  readonly jobs?: number;
  /** Where each trial's model file goes, named after the trial; absent: models are not kept. */
  readonly outDir?: string;
  /** The model files' form (default json). */
  readonly format?: 'json' | 'safetensors';
  /** What the ranking orders by (default fvu). */
  readonly metric?: SweepMetric;
  /** Called as trials progress and finish, for a progress display. */
  readonly onEvent?: (event: SweepEvent) => void;
}

export type SweepEvent =
  | { readonly type: 'start'; readonly trial: number; readonly name: string }
  | { readonly type: 'progress'; readonly trial: number; readonly epoch: number; readonly epochs: number; readonly loss: number }
  | { readonly type: 'end'; readonly trial: number; readonly result: TrialResult };

/**
 * @example
 * const ranked = await runLocalSweep({ data: 'data.csv', trials: expandGrid(parseGrid('hiddenSize=8,16')), base: { epochs: 50 } });
 * console.log(ranked[0].name, ranked[0].value);
 */
export async function runLocalSweep(options: LocalSweepOptions): Promise<RankedTrial[]> {
  const jobs = options.jobs ?? availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) throw new ConfigError('jobs', `must be a whole number ≥ 1, got ${jobs}`);
  const format = options.format ?? 'json';
  const base = options.base ?? {};
  for (const key of Object.keys(base)) {
    if (options.trials.some((trial) => key in trial)) throw new ConfigError(key, 'is both a shared option and a swept one; give it in one place');
  }
  const keepModels = options.outDir !== undefined;
  const outDir = options.outDir ?? mkdtempSync(path.join(tmpdir(), 'edge-sae-sweep-'));
  if (keepModels) mkdirSync(outDir, { recursive: true });
  const results: TrialResult[] = new Array(options.trials.length);
  let next = 0;
  try {
    const runner = async () => {
      while (next < options.trials.length) {
        const index = next++;
        const trial = options.trials[index]!;
        const name = trialName(index, options.trials.length, trial);
        options.onEvent?.({ type: 'start', trial: index, name });
        const out = path.join(outDir, `${name}.${format}`);
        const argv = trainArgv(options, { ...base, ...trial }, out);
        const result = await runTrial(argv, (progress) => options.onEvent?.({ type: 'progress', trial: index, ...progress }));
        results[index] = resultOf(name, trial, result, keepModels ? out : undefined);
        options.onEvent?.({ type: 'end', trial: index, result: results[index]! });
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, options.trials.length) }, runner));
  } finally {
    if (!keepModels) rmSync(outDir, { recursive: true, force: true });
  }
  return rankTrials(results, options.metric ?? 'fvu');
}

/** `train`'s argv for one trial: the data, its options as flags, its model file, JSON output. */
function trainArgv(options: LocalSweepOptions, trial: Readonly<Record<string, BaseValue>>, out: string): string[] {
  // one thread a trial: the trials already run side by side (--jobs), one a core
  const argv = ['train', '--data', options.data, '--out', out, '--json', '--threads', '1'];
  if (options.cols !== undefined) argv.push('--cols', String(options.cols));
  if (options.validationData !== undefined) argv.push('--validation-data', options.validationData);
  for (const [key, value] of Object.entries(trial)) {
    const option = tableOption(key);
    if (option === null || option.key !== key) throw new ConfigError(key, 'is not an option of the options table');
    argv.push(`--${flagOf(key, option.spec)}`, String(value));
  }
  return argv;
}

interface TrialExit {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one trial's `train` in a fresh worker thread; resolves with its exit, never rejects. */
function runTrial(argv: readonly string[], onProgress: (progress: { epoch: number; epochs: number; loss: number }) => void): Promise<TrialExit> {
  return new Promise((resolve) => {
    const worker = startTrialWorker({ argv });
    let exit: TrialExit | undefined;
    worker.on('message', (message: TrialMessage) => {
      if (message.type === 'progress') onProgress(message);
      else exit = message;
    });
    worker.on('error', (error) => {
      exit ??= { code: 1, stdout: '', stderr: `edge-sae: error: the trial's worker thread failed: ${error.message}\n` };
    });
    worker.on('exit', (code) => resolve(exit ?? { code: code || 1, stdout: '', stderr: `edge-sae: error: the trial's worker thread exited with code ${code}\n` }));
  });
}

/**
 * The worker thread of a trial. Built, this module is JavaScript beside trial-worker.js; run from
 * the TypeScript source (tests, `tsx`), the worker registers tsx first, since a worker thread
 * does not inherit its parent's module loader.
 */
function startTrialWorker(data: TrialWorkerData): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './trial-worker.ts' : './trial-worker.js', import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData: data });
  // tsx is resolved from here (a dev dependency), not from the eval's working directory.
  const tsxApi = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `(async () => { const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(entry.href)}); })();`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

function resultOf(name: string, options: TrialOptions, exit: TrialExit, out: string | undefined): TrialResult {
  if (exit.code === 0) {
    const summary = JSON.parse(exit.stdout.trim().split('\n').pop()!) as { metrics: Metrics; validationMetrics?: Metrics; bestEpoch?: number; epochs: number; seconds: number };
    return {
      name,
      options,
      status: 'done',
      metrics: summary.metrics,
      ...(summary.validationMetrics ? { validationMetrics: summary.validationMetrics } : {}),
      ...(summary.bestEpoch !== undefined ? { bestEpoch: summary.bestEpoch } : {}),
      epochs: summary.epochs,
      seconds: summary.seconds,
      ...(out ? { out } : {}),
    };
  }
  const error = exit.stderr.trim().replace(/^edge-sae: (?:error: )?/, '') || `train exited with code ${exit.code}`;
  return { name, options, status: 'failed', error, exitCode: exit.code };
}
