/**
 * Progress of a count (bytes sent, steps taken) on stderr, styled as training's progress is
 * (src/cli/progress.ts): on a terminal one bar redrawn in place at most ten times a second;
 * elsewhere a plain line at every tenth and at least every ten seconds, as text or JSON.
 */
import { formatDuration, type ProgressStyle } from './progress.js';

export interface CountProgress {
  /** `done` of `total` so far; `note` is shown after the bar ("loss 0.0123"). */
  update(done: number, total: number, note?: string): void;
  /** Ends the bar's line; call once, also after a failure. */
  done(): void;
}

export interface CountProgressOptions {
  write(text: string): void;
  /** What is counted, at the head of the line: "upload", "job". */
  label: string;
  /** How a count reads: bytes as "12.0 MB", steps as "120". */
  format(count: number): string;
  columns?: number;
  now?: () => number;
}

const REDRAW_MS = 100;
const LINE_EVERY_MS = 10_000;

export function createCountProgress(style: ProgressStyle, options: CountProgressOptions): CountProgress {
  const now = options.now ?? Date.now;
  const started = now();
  let lastDraw = -Infinity;
  let lastMilestone = -1;
  let drawn = false;
  return {
    update(done, total, note) {
      if (style === 'none') return;
      const t = now();
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      const elapsed = t - started;
      const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : Number.NaN;
      const finished = fraction === 1;
      if (style === 'bar') {
        if (!finished && t - lastDraw < REDRAW_MS) return;
        lastDraw = t;
        drawn = true;
        options.write(`\r${countBar(options.label, fraction, `${options.format(done)}/${options.format(total)}`, note, finished ? `took ${formatDuration(elapsed)}` : `eta ${formatDuration(eta)}`, options.columns ?? 80)}\x1b[K`);
        return;
      }
      const milestone = Math.floor(fraction * 10);
      if (!finished && milestone === lastMilestone && t - lastDraw < LINE_EVERY_MS) return;
      if (finished && lastMilestone === 10) return;
      lastMilestone = milestone;
      lastDraw = t;
      if (style === 'json-lines') {
        options.write(`${JSON.stringify({ event: options.label, done, total, ...(note ? { note } : {}), elapsedSeconds: seconds(elapsed), etaSeconds: seconds(eta) })}\n`);
      } else {
        options.write(`${options.label} ${options.format(done)}/${options.format(total)} (${Math.floor(fraction * 100)}%)${note ? `  ${note}` : ''}  elapsed ${formatDuration(elapsed)}  eta ${formatDuration(eta)}\n`);
      }
    },
    done() {
      if (style === 'bar' && drawn) options.write('\n');
    },
  };
}

/** `upload [#####-----]  50%  256 MB/512 MB  eta 0:12`, fitted to `columns`. */
export function countBar(label: string, fraction: number, counts: string, note: string | undefined, time: string, columns: number): string {
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const tail = `${counts}${note ? `  ${note}` : ''}  ${time}`;
  const room = columns - 1 - label.length - percent.length - tail.length - 7;
  const width = Math.max(0, Math.min(40, room));
  if (width < 5) return `${label} ${percent}  ${tail}`.slice(0, Math.max(10, columns - 1));
  const filled = Math.round(fraction * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${tail}`;
}

/** Bytes for people: 1000-based, as transfer rates are read ("12.3 MB"). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function seconds(ms: number): number | null {
  return Number.isFinite(ms) ? Math.round(ms) / 1000 : null;
}
