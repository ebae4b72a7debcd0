/**
 * Streamed training against in-memory training of the same shape, in one process (issue 15's
 * target: streaming costs at most 15% over in-memory at 784 → 196). Both train 2 epochs of
 * 8,000 rows × 784 in batches of 256 with 196 hidden units on the AssemblyScript kernels: once
 * with the rows in memory (`model.fit` on a Matrix), once streamed from a raw float32 file on
 * disk (`model.fitStream` over `openDataSource`, as `edge-sae train` runs: 6 shards, two windows,
 * each shard read and normalised as it is needed). Each round times both, back to back; the
 * overhead is the median of the rounds' own ratios. The first pass over the file (counting rows,
 * checking every value, column min/max) is timed on its own: it is paid once, not per epoch.
 *
 * Run alone with `npx tsx bench/streaming.bench.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadNodeBackend } from '../src/backends/node-providers.js';
import { openDataSource } from '../src/data/open-data-source.js';
import { SparseAutoencoder } from '../src/model/sparse-autoencoder.js';
import { median, pairedRatio, randomArray, type BenchRecord } from './harness.js';

const ROWS = 8000;
const COLS = 784;
const HIDDEN = 196;
const TRAINING = { epochs: 2, batchSize: 256, seed: 3 };
const ROUNDS = 5;
export const STREAMING_SHAPE = `${ROWS}×${COLS} → ${HIDDEN}, ${TRAINING.epochs} epochs, batch ${TRAINING.batchSize}`;

export async function benchStreaming(): Promise<BenchRecord[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-bench-streaming-'));
  try {
    const values = randomArray(ROWS * COLS, 5, 0, 1);
    const file = path.join(dir, 'data.f32');
    writeFileSync(file, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    const matrix = { rows: ROWS, cols: COLS, data: values };
    const { backend } = await loadNodeBackend('assemblyscript');

    const inMemory: number[] = [];
    const streamed: number[] = [];
    const firstPass: number[] = [];
    for (let round = 0; round < ROUNDS + 1; round++) {
      let model = SparseAutoencoder.create(COLS, { hiddenSize: HIDDEN }, backend, { seed: TRAINING.seed });
      let started = performance.now();
      model.fit(matrix, TRAINING);
      const memoryMs = performance.now() - started;
      model.dispose();

      started = performance.now();
      const opened = await openDataSource(file, COLS);
      const passMs = performance.now() - started;
      model = SparseAutoencoder.create(COLS, { hiddenSize: HIDDEN }, backend, { seed: TRAINING.seed });
      started = performance.now();
      await model.fitStream(opened.shards, TRAINING);
      const streamMs = performance.now() - started;
      model.dispose();
      await opened.close();
      if (round === 0) continue; // warm-up: V8 tiers the wasm and the readers up
      inMemory.push(memoryMs);
      streamed.push(streamMs);
      firstPass.push(passMs);
    }
    const rowsPerSecond = (ms: number) => (ROWS * TRAINING.epochs) / (ms / 1000);
    return [
      { name: 'training, rows in memory', backend: 'assemblyscript', shape: STREAMING_SHAPE, figure: rowsPerSecond(median(inMemory)), unit: 'rows/s' },
      { name: 'training, streamed from a file', backend: 'assemblyscript', shape: STREAMING_SHAPE, figure: rowsPerSecond(median(streamed)), unit: 'rows/s' },
      { name: 'streaming overhead', backend: 'assemblyscript', shape: STREAMING_SHAPE, figure: pairedRatio(streamed, inMemory), unit: '×' },
      { name: 'first pass over the file', backend: 'node', shape: `${ROWS}×${COLS} raw float32`, figure: median(firstPass), unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const record of await benchStreaming()) console.log(`${record.name.padEnd(34)} ${record.figure.toFixed(record.unit === '×' ? 3 : 0)} ${record.unit}`);
}
