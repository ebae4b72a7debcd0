/**
 * --threads and the library's `threads` option end to end: the same model file bytes, codes and
 * metrics for 1, 2 and 3 threads; a bad count refused by name; and processes that computed on
 * threads exit by themselves (the CLI, and a library script that never shuts the pool down).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, runNodeProcess } from '../helpers/cli.js';

let dir: string;
let data: string;
const ROWS = 3000;
const COLS = 64;
/** A model big enough that its products pass the split cut-off (1024 × 64 × 1024 multiply-adds a product). */
const TRAIN = ['--cols', String(COLS), '--hidden', '1024', '--epochs', '1', '--batch-size', '1024', '--seed', '3', '--json', '--quiet'];
const TIMEOUT = 120_000;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-threads-'));
  data = path.join(dir, 'rows.f32');
  const values = Float32Array.from({ length: ROWS * COLS }, (_, i) => Math.sin(i * 0.377) * 0.8);
  writeFileSync(data, new Uint8Array(values.buffer));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--threads', () => {
  it('should write the same model file, codes and metrics for 1, 2 and 3 threads, and exit', async () => {
    const models: Buffer[] = [];
    const codes: Buffer[] = [];
    const metrics: string[] = [];
    for (const threads of [1, 2, 3]) {
      const out = path.join(dir, `model-${threads}.safetensors`);
      const train = await runCli(['train', '--data', data, '--out', out, ...TRAIN, '--threads', String(threads)], { timeoutMs: TIMEOUT });
      expect(train.stderr).toBe('');
      expect(train.code).toBe(0);
      expect(JSON.parse(train.stdout).threads).toBe(threads);
      models.push(readFileSync(out));
      const codesOut = path.join(dir, `codes-${threads}.f32`);
      const encode = await runCli(['encode', '--model', out, '--data', path.join(dir, 'probe.csv'), '--out', codesOut, '--threads', String(threads)], { timeoutMs: TIMEOUT });
      expect(encode.code, encode.stderr).toBe(0);
      codes.push(readFileSync(codesOut));
      const evaluate = await runCli(['evaluate', '--model', out, '--data', path.join(dir, 'probe.csv'), '--threads', String(threads)], { timeoutMs: TIMEOUT });
      expect(evaluate.code, evaluate.stderr).toBe(0);
      metrics.push(evaluate.stdout);
    }
    expect(models[1]!.equals(models[0]!)).toBe(true);
    expect(models[2]!.equals(models[0]!)).toBe(true);
    expect(codes[1]!.equals(codes[0]!)).toBe(true);
    expect(codes[2]!.equals(codes[0]!)).toBe(true);
    expect(metrics[1]).toBe(metrics[0]);
    expect(metrics[2]).toBe(metrics[0]);
  }, 4 * TIMEOUT);

  it('should refuse a thread count that is not 1 to 64, naming the flag', async () => {
    for (const bad of ['0', '65']) {
      const r = await runCli(['evaluate', '--model', 'none.json', '--data', data, '--threads', bad], { timeoutMs: TIMEOUT });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--threads');
    }
  }, 2 * TIMEOUT);

  it('should let a library script that trained on threads exit without shutting the pool down', async () => {
    const script = path.join(dir, 'script.mts');
    writeFileSync(
      script,
      `import { createModel } from ${JSON.stringify(path.join(REPO_ROOT, 'src', 'index.ts'))};
const rows = Array.from({ length: 1024 }, (_, i) => Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j)));
const model = await createModel(64, { hiddenSize: 1024, architecture: 'relu', normalize: 'standardize' }, { threads: 2, seed: 1 });
model.fit(rows, { epochs: 2, batchSize: 1024 });
model.encode(rows);
console.log(JSON.stringify(model.backendReport.threads));
`,
    );
    const r = await runNodeProcess([path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), script], { cwd: REPO_ROOT, timeoutMs: TIMEOUT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ requested: 2, used: 2 });
  }, TIMEOUT);
});

beforeAll(() => {
  // 40 rows to encode and evaluate, as CSV
  const lines = Array.from({ length: 40 }, (_, i) => Array.from({ length: COLS }, (_, j) => (Math.cos(i * COLS + j) * 0.7).toFixed(4)).join(','));
  writeFileSync(path.join(dir, 'probe.csv'), `${lines.join('\n')}\n`);
});
