/**
 * `edge-sae train` streams CSV, .npy and raw float32 files shard by shard (docs/SPEC.md §2.1): a
 * file of more than one window trains to exactly the model of fitStream on an in-memory source of
 * the same rows, whatever its format; bad raw files and flags are named; and the resident memory
 * of a run on a file far larger than a window stays bounded (sampled in a child process).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { matrixShardSource } from '../../src/data/matrix-shard-source.js';
import type { Matrix } from '../../src/data/matrix.js';
import { formatNpy } from '../../src/data/npy.js';
import { shardRowsFor, WINDOW_SHARDS } from '../../src/data/shard-source.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { REPO_ROOT, runMain, runNodeProcess } from '../helpers/cli.js';
import { mulberry32 } from '../helpers/random.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-stream-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const at = (name: string) => path.join(root, name);

const cols = 16;
// One window and a bit: five shards, the last of 1000 rows, so the run streams in two windows.
const rows = WINDOW_SHARDS * shardRowsFor(cols) + 1000;

/** Whole numbers 0 … 255 (short in CSV, exact in float32), a few columns skewed. */
function pixelMatrix(): Matrix {
  const rng = mulberry32(21);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = Math.floor(rng() * (k % cols < 4 ? 64 : 256));
  return { rows, cols, data };
}

function writeCsv(file: string, m: Matrix): void {
  const fd = openSync(file, 'w');
  writeSync(fd, `${Array.from({ length: cols }, (_, j) => `c${j}`).join(',')}\r\n`);
  for (let start = 0; start < m.rows; start += 8192) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(start + 8192, m.rows); i++) lines.push(Array.from(m.data.subarray(i * cols, (i + 1) * cols)).join(','));
    writeSync(fd, `${lines.join('\r\n')}\r\n`);
  }
  writeSync(fd, '\r\n\r\n');
  closeSync(fd);
}

const flags = ['--hidden', '6', '--epochs', '2', '--batch-size', '4000', '--seed', '5', '--learning-rate', '0.01', '--backend', 'assemblyscript', '--quiet'];

describe('edge-sae train, streamed', () => {
  const matrix = pixelMatrix();

  it('should train a file of more than one window, as CSV, .npy and .f32, to exactly the model of fitStream on the same rows', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const model = SparseAutoencoder.create(cols, { hiddenSize: 6 }, backend, { seed: 5 });
    await model.fitStream(matrixShardSource(matrix), { epochs: 2, batchSize: 4000, seed: 5, learningRate: 0.01, backend: 'assemblyscript' });
    const expected = JSON.parse(JSON.stringify(model.toFile())) as unknown;
    model.dispose();

    writeCsv(at('pixels.csv'), matrix);
    writeFileSync(at('pixels.npy'), formatNpy(matrix));
    writeFileSync(at('pixels.f32'), new Uint8Array(matrix.data.buffer));
    for (const [file, extra] of [['pixels.csv', []], ['pixels.npy', []], ['pixels.f32', ['--cols', String(cols)]]] as const) {
      const result = await runMain(['train', '--data', at(file), ...extra, '--out', at(`${file}.json`), ...flags]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(readFileSync(at(`${file}.json`), 'utf8'))).toEqual(expected);
    }
  }, 60_000);

  it('should train relu and topk with --normalize none on values outside [0, 1], to the library\'s fit', async () => {
    const small: Matrix = { rows: 300, cols, data: Float32Array.from(matrix.data.subarray(0, 300 * cols), (v) => v / 32 - 4) };
    writeFileSync(at('signed.npy'), formatNpy(small));
    const { backend } = await loadNodeBackend('assemblyscript');
    for (const [config, extra] of [[{ architecture: 'topk', k: 2 }, ['--architecture', 'topk', '--k', '2']], [{ architecture: 'relu' }, ['--architecture', 'relu']]] as const) {
      const model = SparseAutoencoder.create(cols, { hiddenSize: 6, normalize: 'none', ...config }, backend, { seed: 5 });
      model.fit(small, { epochs: 2, batchSize: 50, seed: 5, learningRate: 0.01, backend: 'assemblyscript' });
      const out = at(`signed-${config.architecture}.json`);
      const result = await runMain(['train', '--data', at('signed.npy'), '--out', out, '--normalize', 'none', ...extra, ...flags.map((f) => (f === '4000' ? '50' : f))]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(JSON.stringify(model.toFile())));
      model.dispose();
    }
  });

  it('should refuse batch size 0 on a file of more than one window, naming --batch-size', async () => {
    writeFileSync(at('big.f32'), new Uint8Array(matrix.data.buffer));
    const result = await runMain(['train', '--data', at('big.f32'), '--cols', String(cols), '--out', at('m.json'), '--epochs', '1', '--quiet']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--batch-size: must be ≥ 1 for data of 263144 rows streamed in windows/);
  });

  it('should name a missing --cols, a misplaced one, a raw file of a wrong length and a bad value by row and column', async () => {
    const small = new Float32Array([0.5, 0.25, 1, 2, 3, 4]);
    writeFileSync(at('six.f32'), new Uint8Array(small.buffer));
    writeFileSync(at('seven.f32'), new Uint8Array(new Float32Array(7).buffer));
    writeFileSync(at('nan.f32'), new Uint8Array(new Float32Array([1, 2, 3, Number.NaN]).buffer));
    writeFileSync(at('ok.csv'), '1,2\n3,4\n');
    const cases: Array<[string[], RegExp]> = [
      [['--data', at('six.f32')], /--cols N is needed for .*six\.f32/],
      [['--data', at('ok.csv'), '--cols', '2'], /--cols: only for raw float32 files/],
      [['--data', at('six.f32'), '--cols', '0'], /--cols: must be a whole number ≥ 1/],
      [['--data', at('seven.f32'), '--cols', '2'], /seven\.f32: the file has 28 bytes, not a whole number of rows of 2 float32 values/],
      [['--data', at('nan.f32'), '--cols', '2'], /nan\.f32, row 2, column 2: value is NaN/],
    ];
    for (const [args, message] of cases) {
      const result = await runMain(['train', ...args, '--out', at('m.json'), '--quiet']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const good = await runMain(['train', '--data', at('six.f32'), '--cols', '2', '--out', at('six.json'), '--json', '--epochs', '3']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ rows: 3, inputSize: 2, epochs: 3 });
  });

  it('should name the line and cell of a bad value deep in a streamed CSV file', async () => {
    const lines = ['a,b'];
    for (let i = 0; i < 70_000; i++) lines.push(`${i % 7},${i % 5}`);
    lines[65_540] = '1,x';
    writeFileSync(at('bad.csv'), `${lines.join('\n')}\n`);
    const result = await runMain(['train', '--data', at('bad.csv'), '--out', at('m.json'), '--quiet']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bad\.csv, row 65541, column 2: expected a number, got "x"/);
  });

  it('should train files far larger than a window with resident memory that does not grow with the file', async () => {
    // 500,000 and 2,000,000 rows × 16 float32: 32 MB and 128 MB on disk, 2 and 8 windows of 16 MiB.
    const small = await residentGrowth(500_000);
    const large = await residentGrowth(2_000_000);
    console.log(`streamed training, resident memory growth: ${small.toFixed(0)} MB for a 32 MB file, ${large.toFixed(0)} MB for a 128 MB file`);
    // Four times the data, the same window: the growth may differ by garbage-collection slack only.
    // That slack (windows of 16 MiB freed when V8 gets to them) was measured at 20–34 MB on a
    // loaded two-core machine; reading the file whole would add at least the 96 MB more data.
    expect(large).toBeLessThan(small + 64);
    // Reading the file whole would hold its 128 MB at least twice (as read, and normalised in the kernels).
    expect(large).toBeLessThan(256);
  }, 120_000);
});

/** MB the resident set of `edge-sae train` on a random `rows` × 16 .f32 file grows by, sampled in a child process. */
async function residentGrowth(rows: number): Promise<number> {
  const file = at(`random-${rows}.f32`);
  const fd = openSync(file, 'w');
  const rng = mulberry32(rows);
  const block = new Float32Array(50_000 * cols);
  for (let written = 0; written < rows; written += 50_000) {
    for (let k = 0; k < block.length; k++) block[k] = rng();
    writeSync(fd, new Uint8Array(block.buffer));
  }
  closeSync(fd);
  const probe = at('probe.mts');
  writeFileSync(
    probe,
    [
      `import { main } from ${JSON.stringify(path.join(REPO_ROOT, 'src', 'cli', 'main.ts'))};`,
      'let peak = 0;',
      'const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };',
      'const before = process.memoryUsage().rss;',
      'const timer = setInterval(sample, 2);',
      'const code = await main(process.argv.slice(2));',
      'clearInterval(timer);',
      'sample();',
      // The kernel's own high-water mark catches peaks between samples too.
      'console.log(JSON.stringify({ code, before, peak: Math.max(peak, process.resourceUsage().maxRSS * 1024) }));',
    ].join('\n'),
  );
  const run = await runNodeProcess(
    [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), probe, 'train', '--data', file, '--cols', String(cols), '--out', at('random.json'), '--hidden', '4', '--epochs', '1', '--batch-size', '4096', '--backend', 'assemblyscript', '--quiet'],
    { cwd: REPO_ROOT, timeoutMs: 100_000 },
  );
  rmSync(file);
  expect(run.stderr).toBe('');
  const { code, before, peak } = JSON.parse(run.stdout) as { code: number; before: number; peak: number };
  expect(code).toBe(0);
  return (peak - before) / 2 ** 20;
}
