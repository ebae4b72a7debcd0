/**
 * The Worker's bundle size as `wrangler deploy --dry-run` reports it (its "Total Upload": the
 * script and the `.wasm` modules, source maps excluded), with the script's largest parts from
 * esbuild's metafile. Written into the README's `bundle` region by `npm run docs`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface BundleFigures {
  totalKiB: number;
  gzipKiB: number;
  /** Minified bytes in worker.js by origin, and the size of each .wasm module. */
  parts: Record<string, number>;
}

function origin(input: string): string {
  if (input.includes('@tensorflow/')) return 'tfjs (JS)';
  if (/node_modules\/zod\//.test(input)) return 'zod';
  if (/node_modules\/(hono|@hono)\//.test(input)) return 'hono and its middleware';
  if (input.startsWith('src/')) return 'edge-sae (src/)';
  return 'other';
}

export function measureBundle(): BundleFigures {
  const out = mkdtempSync(join(tmpdir(), 'edge-sae-bundle-'));
  try {
    const log = execFileSync(join(ROOT, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', out, '--metafile', join(out, 'meta.json')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME ?? join(out, 'config') },
    });
    const total = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(log);
    if (!total) throw new Error(`wrangler deploy --dry-run printed no "Total Upload":\n${log}`);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as {
      outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
    };
    const parts: Record<string, number> = {};
    for (const output of Object.values(meta.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
        const key = origin(input);
        parts[key] = (parts[key] ?? 0) + bytesInOutput;
      }
    }
    for (const file of readdirSync(out).filter((name) => name.endsWith('.wasm'))) {
      parts[file.replace(/^[0-9a-f]+-/, '')] = statSync(join(out, file)).size;
    }
    return { totalKiB: Number(total[1]), gzipKiB: Number(total[2]), parts };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

export function renderBundle(figures: BundleFigures): string {
  const parts = Object.entries(figures.parts)
    .sort(([, a], [, b]) => b - a)
    .map(([name, bytes]) => `| ${name} | ${kib(bytes)} |`);
  return [
    `**${Math.round(figures.totalKiB)} KiB, ${Math.round(figures.gzipKiB)} KiB gzip** (wrangler's "Total Upload" of \`wrangler deploy --dry-run\`:`,
    'the minified script and both `.wasm` modules, source maps excluded). Its parts, uncompressed:',
    '',
    '| part | size |',
    '|---|---:|',
    ...parts,
  ].join('\n') + '\n';
}
