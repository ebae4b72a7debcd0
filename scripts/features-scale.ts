/**
 * Feature statistics of a file larger than memory: generates the e2e scale file (2,000,000 × 64
 * raw float32, 512 MB, the same seeded values as scripts/e2e-scale.ts, a block at a time), trains
 * a small relu model on its first 20,000 rows, then runs `edge-sae features` on the whole file,
 * sampling the CLI's resident memory every 250 ms from /proc. Writes bench/features-scale.json.
 *
 *   npx tsx scripts/features-scale.ts
 *   FEATURES_ROWS=200000 npx tsx scripts/features-scale.ts   # a quicker look (figures not written)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '../src/index.js';
import { SeededRandom } from '../src/model/random.js';
import { treeRssMb } from '../test/helpers/process-rss.js';

const ROWS = Number(process.env.FEATURES_ROWS ?? 2_000_000);
const COLS = 64;
const HIDDEN = 128;
const dir = mkdtempSync(join(tmpdir(), 'features-scale-'));
const file = join(dir, 'data.f32');

try {
  // The data, a block of 65,536 rows at a time (scripts/e2e-scale.ts's generator).
  const rng = new SeededRandom(20261203);
  const handle = await open(file, 'w');
  const head = new Float32Array(20_000 * COLS);
  for (let row = 0; row < ROWS; row += 65_536) {
    const block = new Float32Array(Math.min(65_536, ROWS - row) * COLS);
    for (let k = 0; k < block.length; k++) block[k] = rng.nextFloat() * 2 - 1;
    if (row === 0) head.set(block.subarray(0, head.length));
    await handle.write(new Uint8Array(block.buffer));
  }
  await handle.close();

  const model = await createModel(COLS, { architecture: 'relu', hiddenSize: HIDDEN, normalize: 'none' }, { seed: 1 });
  model.fit({ rows: 20_000, cols: COLS, data: head }, { epochs: 3, batchSize: 256, seed: 1 });
  writeFileSync(join(dir, 'm.json'), JSON.stringify(model.toFile()));
  model.dispose();

  const started = performance.now();
  const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', 'features', '--model', join(dir, 'm.json'), '--data', file, '--cols', String(COLS), '--out', join(dir, 'out'), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  let peakMb = 0;
  const timer = setInterval(() => {
    try {
      peakMb = Math.max(peakMb, treeRssMb(child.pid!));
    } catch {
      // the process just ended
    }
  }, 250);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`edge-sae features exited ${code}`);
  const result = JSON.parse(readFileSync(join(dir, 'out', 'features.json'), 'utf8')) as { rows: number; features: { frequency: number }[] };
  const figures = {
    rows: ROWS,
    cols: COLS,
    fileMB: (ROWS * COLS * 4) / 2 ** 20,
    hiddenSize: HIDDEN,
    architecture: 'relu',
    seconds: Math.round(seconds * 10) / 10,
    peakRssMB: Math.round(peakMb),
    resultRows: result.rows,
    deadFeatures: result.features.filter((f) => f.frequency === 0).length,
    summary: JSON.parse(stdout) as unknown,
    measuredAt: new Date().toISOString(),
  };
  console.log(JSON.stringify(figures, null, 2));
  if (ROWS === 2_000_000) writeFileSync('bench/features-scale.json', `${JSON.stringify(figures, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
