/**
 * `npm run bench`: runs the benchmarks, prints a table, and writes bench/results.json with the
 * machine, the Node version and the date beside the figures.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchGemm, type BenchRecord } from './gemm.bench.js';

function table(records: readonly BenchRecord[]): string {
  const header = ['name', 'backend', 'shape', 'figure', 'unit'];
  const rows = records.map((r) => [r.name, r.backend, r.shape, r.figure.toFixed(2), r.unit]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** For each shape, the best wasm GEMM form as a fraction of tfjs-wasm's matMul. */
function ratios(records: readonly BenchRecord[]): string[] {
  const lines: string[] = [];
  for (const shape of new Set(records.map((r) => r.shape))) {
    const tfjs = records.find((r) => r.shape === shape && r.backend === 'tfjs-wasm');
    if (!tfjs) continue;
    for (const r of records.filter((x) => x.shape === shape && x.backend === 'assemblyscript')) {
      lines.push(`${shape}  ${r.name} / tfjs matMul = ${((100 * r.figure) / tfjs.figure).toFixed(0)}%`);
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const records = await benchGemm();
  console.log(table(records));
  console.log('');
  for (const line of ratios(records)) console.log(line);
  const results = {
    machine: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    os: `${platform()} ${release()}`,
    node: process.version,
    // 1/5/15-minute load averages at the end: figures taken on a busy machine are noisy
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
    date: new Date().toISOString(),
    records,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json');
  await writeFile(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwrote ${out}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
