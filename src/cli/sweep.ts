/**
 * `edge-sae sweep`: train every trial of a grid on one data file, in parallel worker threads
 * (src/sweep/local-sweep.ts), with one progress display for all of them, then print the trials
 * ranked by a metric (a table, or one JSON line with --json) and keep each model in --out-dir.
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../errors.js';
import { MODEL_OPTIONS, TRAINING_OPTIONS } from '../model/options.js';
import { expandGrid, parseGrid, type BaseValue } from '../sweep/grid.js';
import { runLocalSweep, type SweepEvent } from '../sweep/local-sweep.js';
import type { RankedTrial, SweepMetric } from '../sweep/ranking.js';
import { UsageError, type ParsedOptions } from './args.js';
import type { CliIo } from './io.js';
import { flagOfField, readOptionFlags } from './option-flags.js';
import { formatDuration, progressStyle, type ProgressStyle } from './progress.js';

export async function sweep(options: ParsedOptions, io: CliIo): Promise<void> {
  if (options.has('api')) return (await import('./sweep-remote.js')).sweepRemote(options, io);
  for (const flag of ['dataset', 'validation-dataset', 'token', 'name']) if (options.has(flag)) throw new UsageError(`--${flag}: only with --api (a sweep on the API)`);
  if (!options.has('data')) throw new UsageError('sweep: missing --data FILE (or --api URL --dataset ID to sweep on the API; see edge-sae sweep --help)');
  const trials = expandGrid(usage(() => parseGrid(options.required('grid')), '--grid'));
  const base: Record<string, BaseValue> = { ...readOptionFlags(options, MODEL_OPTIONS), ...readOptionFlags(options, TRAINING_OPTIONS) };
  for (const key of Object.keys(trials[0]!)) {
    if (key in base) throw new UsageError(`${flagOfField(`${key in MODEL_OPTIONS ? 'config' : 'training'}.${key}`)}: given as a flag and in --grid; give it in one place`);
  }
  const jobs = options.number('jobs') ?? availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs: must be a whole number ≥ 1, got ${jobs}`);
  const json = options.flag('json');
  const quiet = options.flag('quiet');
  const display = sweepDisplay(progressStyle({ quiet, json, isTTY: io.stderrIsTTY }), trials.length, io);
  const ranked = await runLocalSweep({
    data: options.required('data'),
    ...(options.has('cols') ? { cols: options.number('cols')! } : {}),
    ...(options.has('validation-data') ? { validationData: options.string('validation-data')! } : {}),
    trials,
    base,
    jobs,
    ...(options.has('out-dir') ? { outDir: options.string('out-dir')! } : {}),
    format: options.choice<'json' | 'safetensors'>('format') ?? 'json',
    metric: options.choice<SweepMetric>('metric') ?? 'fvu',
    onEvent: display.event,
  }).finally(display.done);

  const failed = ranked.filter((trial) => trial.status === 'failed');
  if (failed.length === ranked.length) {
    // The same bad input for every trial (a missing file, a bad cell): say it once, as train would.
    const errors = new Set(failed.map((trial) => trial.error));
    if (errors.size === 1 && failed.every((trial) => trial.exitCode === 2)) throw new UsageError(failed[0]!.error!);
    throw new Error(`every trial failed; the first: ${failed[0]!.name}: ${failed[0]!.error}`);
  }
  const metric = options.choice<SweepMetric>('metric') ?? 'fvu';
  if (json) io.stdout(`${JSON.stringify({ metric, best: ranked.find((t) => t.best)?.name ?? null, trials: ranked })}\n`);
  else if (!quiet) io.stdout(rankedTable(ranked, metric));
}

/** Runs a parse, its ConfigError reported under `flag`. */
function usage<T>(parse: () => T, flag: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}

/**
 * One display for all trials. A bar on a terminal (the whole sweep's progress, as the sum of the
 * trials' epoch fractions); elsewhere a line as each trial ends (JSON with --json).
 */
function sweepDisplay(style: ProgressStyle, count: number, io: CliIo): { event(event: SweepEvent): void; done(): void } {
  const started = Date.now();
  const fraction = new Array<number>(count).fill(0);
  let finished = 0;
  let failed = 0;
  let running = 0;
  let lastDraw = 0;
  let drawn = false;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    drawn = true;
    const done = fraction.reduce((a, b) => a + b, 0) / count;
    const eta = done > 0 ? ((now - started) / done) * (1 - done) : Number.NaN;
    const width = 24;
    const filled = Math.round(done * width);
    const line = `sweep [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(done * 100)).padStart(3)}%  ${finished}/${count} done, ${running} running${failed ? `, ${failed} failed` : ''}  eta ${formatDuration(eta)}`;
    io.stderr(`\r${line.slice(0, Math.max(20, (io.stderrColumns ?? 80) - 1))}\x1b[K`);
  };
  return {
    event(event) {
      if (event.type === 'start') running++;
      else if (event.type === 'progress') fraction[event.trial] = event.epochs === 0 ? 1 : event.epoch / event.epochs;
      else {
        running--;
        finished++;
        fraction[event.trial] = 1;
        if (event.result.status === 'failed') failed++;
        const { name, status, error, metrics, seconds } = event.result;
        if (style === 'lines') {
          io.stderr(`trial ${finished}/${count} ${name}: ${status === 'done' ? `done in ${(seconds ?? 0).toFixed(2)} s, fvu ${metrics?.fvu?.toPrecision(4) ?? 'n/a'}` : `failed: ${error}`}\n`);
        } else if (style === 'json-lines') {
          io.stderr(`${JSON.stringify({ event: 'trial', finished, trials: count, name, status, ...(error ? { error } : {}), ...(metrics ? { metrics } : {}) })}\n`);
        }
      }
      if (style === 'bar') draw(event.type !== 'progress');
    },
    done() {
      if (style === 'bar' && drawn) io.stderr('\n');
    },
  };
}

/** The ranked trials for people: rank (the best starred), the metric, loss, epochs, time, file. */
export function rankedTable(trials: readonly RankedTrial[], metric: SweepMetric): string {
  const rows = trials.map((t) => [
    t.rank === null ? '-' : `${t.rank}${t.best ? '*' : ''}`,
    t.name,
    t.value === null ? (t.status === 'failed' ? 'failed' : 'n/a') : t.value.toPrecision(4),
    t.metrics ? t.metrics.loss.toPrecision(6) : '',
    t.epochs === undefined ? '' : String(t.epochs),
    t.seconds === undefined ? '' : t.seconds.toFixed(2),
    t.status === 'failed' ? (t.error ?? '') : (t.out ?? ''),
  ]);
  const header = ['rank', 'trial', metric, 'loss', 'epochs', 'seconds', 'model / error'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
