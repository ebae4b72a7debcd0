/**
 * Training progress on stderr. On a terminal: one line redrawn in place, at most ten times a
 * second — a bar, the epoch, the loss and the time left. Elsewhere (a log, a pipe): a plain line
 * at every tenth of the run and at least every ten seconds, as text or, with --json, as JSON.
 */
import type { TrainingProgress } from '../model/sparse-autoencoder.js';

export type ProgressStyle = 'bar' | 'lines' | 'json-lines' | 'none';

export interface ProgressReporter {
  update(progress: TrainingProgress): void;
  /** Ends the bar's line; call once training stops (also after a failure). */
  done(): void;
}

export interface ProgressOptions {
  write(text: string): void;
  /** Terminal width for the bar (default 80). */
  columns?: number;
  /** Milliseconds, for tests (default Date.now). */
  now?: () => number;
}

const REDRAW_MS = 100;
const LINE_EVERY_MS = 10_000;

/** Picks the style: none when quiet, a bar on a terminal, else plain (or JSON) lines. */
export function progressStyle({ quiet, json, isTTY }: { quiet: boolean; json: boolean; isTTY: boolean }): ProgressStyle {
  if (quiet) return 'none';
  if (isTTY) return 'bar';
  return json ? 'json-lines' : 'lines';
}

/**
 * @example
 * const progress = createProgressReporter('bar', { write: (t) => process.stderr.write(t) });
 * model.fit(data, options, progress.update);
 * progress.done();
 */
export function createProgressReporter(style: ProgressStyle, options: ProgressOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const started = now();
  let lastDraw = -Infinity;
  let lastMilestone = 0;
  let drawn = false;
  const write = options.write;

  // The time left is estimated from the epochs since the first one reported, not from the start:
  // the first epoch also pays the run's one-time costs (loading the kernels, the first pass over
  // the data to initialise b_dec), which on a short run are most of its time (a 0.1 s run's first
  // estimate used to say 23 s). Until a second epoch has ended the time left is unknown ("?").
  let first: { epoch: number; t: number } | undefined;

  const update = ({ epoch, epochs, loss, validationLoss }: TrainingProgress): void => {
    const t = now();
    const elapsed = t - started;
    first ??= { epoch, t };
    const last = epoch === epochs;
    const eta = last ? 0 : epoch > first.epoch ? ((t - first.t) / (epoch - first.epoch)) * (epochs - epoch) : NaN;
    if (style === 'bar') {
      if (!last && t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      drawn = true;
      write(`\r${barLine(epoch, epochs, loss, elapsed, eta, options.columns ?? 80, validationLoss)}\x1b[K`);
      return;
    }
    if (style === 'none') return;
    // Plain lines: at each tenth of the run, and at least every LINE_EVERY_MS.
    const milestone = Math.floor((epoch * 10) / epochs);
    if (!last && milestone === lastMilestone && t - lastDraw < LINE_EVERY_MS) return;
    lastMilestone = milestone;
    lastDraw = t;
    if (style === 'json-lines') {
      write(`${JSON.stringify({ event: 'progress', epoch, epochs, loss, ...(validationLoss === undefined ? {} : { validationLoss }), elapsedSeconds: round(elapsed / 1000), etaSeconds: round(eta / 1000) })}\n`);
    } else {
      const val = validationLoss === undefined ? '' : `  val ${formatLoss(validationLoss)}`;
      write(`epoch ${epoch}/${epochs}  loss ${formatLoss(loss)}${val}  elapsed ${formatDuration(elapsed)}  eta ${formatDuration(eta)}\n`);
    }
  };

  return {
    update,
    done() {
      if (style === 'bar' && drawn) write('\n');
    },
  };
}

/** `epoch  120/1000 [######------------]  12%  loss 0.123456  eta 0:42`, fitted to `columns`. */
export function barLine(epoch: number, epochs: number, loss: number, elapsedMs: number, etaMs: number, columns: number, validationLoss?: number): string {
  const digits = String(epochs).length;
  const head = `epoch ${String(epoch).padStart(digits)}/${epochs}`;
  const percent = `${String(Math.floor((epoch / epochs) * 100)).padStart(3)}%`;
  const tail = `loss ${formatLoss(loss)}${validationLoss === undefined ? '' : `  val ${formatLoss(validationLoss)}`}  ${epoch === epochs ? `took ${formatDuration(elapsedMs)}` : `eta ${formatDuration(etaMs)}`}`;
  // Leave one column free: writing into the last one wraps on some terminals.
  const room = columns - 1 - head.length - percent.length - tail.length - 8;
  const barWidth = Math.max(0, Math.min(40, room));
  if (barWidth < 5) return `${head} ${percent}  ${tail}`.slice(0, Math.max(10, columns - 1));
  const filled = Math.round((epoch / epochs) * barWidth);
  return `${head} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${percent}  ${tail}`;
}

/** m:ss, or h:mm:ss from an hour; "?" before the first epoch. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function formatLoss(loss: number): string {
  return Number.isFinite(loss) ? loss.toPrecision(6) : String(loss);
}

function round(value: number): number | null {
  return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : null;
}
