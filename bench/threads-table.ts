/**
 * docs/BACKENDS.md's threads table, from bench/threads.json (written by `npm run bench -- --only
 * threads`, bench/threads.bench.ts); `npm run docs` writes it, test/docs/generated-docs.test.ts
 * checks it is current.
 */
import type { BenchRecord } from './harness.js';

export interface ThreadsResults {
  date: string;
  cores: number;
  cpu: string;
  node: string;
  loadAverage: { start: number[]; end: number[] };
  timing: string;
  records: BenchRecord[];
}

const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' / ');
/** A record's name without the "(2 cores, load …)" note every record carries. */
const bare = (name: string): string => name.replace(/ \(\d+ cores?, load [^)]*\)$/, '');

export function renderThreads(results: ThreadsResults): string {
  const find = (name: string, backend: string, shape: string) => results.records.find((r) => bare(r.name) === name && r.backend === backend && r.shape === shape);
  const lines = [
    `Measured ${results.date.slice(0, 10)} on ${results.cores} cores (${results.cpu}), Node ${results.node}, ${results.timing};`,
    `load average (1/5/15 min) ${load(results.loadAverage.start)} at the start, ${load(results.loadAverage.end)} at the end.`,
    '',
    '| what | shape | 1 thread | 2 threads | speed-up | CPU time, 2 ÷ 1 |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const r of results.records) {
    if (!/ speed-up$/.test(bare(r.name))) continue;
    const name = bare(r.name).replace(/ speed-up$/, '');
    const one = find(name, 'assemblyscript 1 thread', r.shape)!;
    const two = find(name, 'assemblyscript 2 threads', r.shape)!;
    const cpu = find(`${name} CPU time, 2 threads ÷ 1`, 'assemblyscript', r.shape);
    lines.push(`| ${name} | ${r.shape} | ${one.figure.toFixed(1)} ms | ${two.figure.toFixed(1)} ms | ×${r.figure.toFixed(2)} | ${cpu ? `×${cpu.figure.toFixed(2)}` : '–'} |`);
  }
  const t1 = results.records.find((r) => bare(r.name) === 'edge-sae train --threads 1');
  const t2 = results.records.find((r) => bare(r.name) === 'edge-sae train --threads 2');
  const same = results.records.find((r) => bare(r.name) === 'edge-sae train, the two model files the same bytes');
  if (t1 && t2) lines.push(`| \`edge-sae train\` | ${t1.shape} | ${t1.figure.toFixed(1)} s | ${t2.figure.toFixed(1)} s | ×${(t1.figure / t2.figure).toFixed(2)} | – |`);
  if (same) lines.push('', `The two \`edge-sae train\` runs wrote ${same.figure === 1 ? 'the same model file, byte for byte' : 'DIFFERENT model files'}.`);
  const cut = results.records.filter((r) => bare(r.name).startsWith('cut-off: '));
  if (cut.length > 0) {
    lines.push('', 'The cut-off part: a call split on 2 threads against the same call whole (whole ÷ split; above 1 the split wins):', '', '| kernel | size | whole ÷ split |', '|---|---|---:|');
    for (const r of cut) lines.push(`| ${bare(r.name).replace(/^cut-off: /, '').replace(/ split on 2 threads, whole ÷ split$/, '')} | ${r.shape} | ×${r.figure.toFixed(2)} |`);
  }
  return `${lines.join('\n')}\n`;
}
