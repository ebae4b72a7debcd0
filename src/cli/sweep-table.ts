/** What `sweep` and `sweep --api` share: the ranked trials as a table for people. */
import type { RankedTrial, SweepMetric } from '../sweep/ranking.js';

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
