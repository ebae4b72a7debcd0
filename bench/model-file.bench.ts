/**
 * The model file, in one process: save and load of a trained 784→196 model with Adam's state
 * (307k parameters and two moments), JSON beside binary (safetensors layout), CPU ms a call:
 *
 * - save: the JSON text (`JSON.stringify(model.toFile())`, with today's shortestFloat32), the same
 *   with the previous string-based shortestFloat32 (shortestFloat32Reference: the figure before),
 *   and `JSON.stringify` alone of the same file object (the floor: what printing the numbers costs);
 *   binary: `model.toBinaryFile()`;
 * - decode: bytes to a checked model state (`readModelBytes`: UTF-8 decode, JSON.parse and the
 *   checks for JSON; header parse, checks and Float32Array views for binary);
 * - load: decode, then the model in a backend session (`SparseAutoencoder.fromBytes`; the session
 *   copies the parameters into its wasm memory, the same for either form; Adam's moments, and the
 *   gradient and moment blocks, wait for the first training step: "then one step" times a load
 *   and a one-step fit on 16 rows);
 * - file sizes, in MB;
 * - the CLI's one-epoch 784→196 run (`node bin/edge-sae.js train`, 256 rows of CSV) against Node's
 *   start (`node -e 0`) and the run's own training time (the `seconds` of its --json summary: fit,
 *   metrics and the write of --out), wall ms (medians of child processes, as a user waits for
 *   them); and the training alone in this process (create + fit, warm), for comparison.
 *
 * Run alone with `npx tsx bench/model-file.bench.ts` (the CLI part needs `npm run build:ts`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT } from '../test/helpers/wrangler-dev.js';
import { isCliBuilt } from '../test/helpers/cli.js';
import { loadNodeBackend } from '../src/backends/node-providers.js';
import type { Parameters } from '../src/backends/types.js';
import { shortestFloat32Reference } from '../src/data/float32.js';
import { readModelBytes } from '../src/model/model-bytes.js';
import { toModelFile, type ModelFile, type ModelState } from '../src/model/model-file.js';
import { SparseAutoencoder } from '../src/model/sparse-autoencoder.js';
import { median, randomArray, timeCall, type BenchRecord } from './harness.js';

export const FILE_SHAPE = { inputSize: 784, hiddenSize: 196, rows: 256 };
const SHAPE = `${FILE_SHAPE.inputSize}→${FILE_SHAPE.hiddenSize} with Adam state`;
/** Slow calls (≈ 100 ms) are timed a few times, as the harness does for its slow baselines. */
const TIMING = { repeats: 7, slowRepeats: 5, minRunMs: 60, warmupMs: 300 };

/** The JSON file as the writer made it before (string-based shortestFloat32), for the "before" figure. */
function previousModelFile(state: ModelState): ModelFile {
  const file = toModelFile(state);
  const { inputSize: n, hiddenSize: h } = state.shape;
  const rows = (values: Float32Array, r: number, c: number) =>
    Array.from({ length: r }, (_, i) => Array.from(values.subarray(i * c, (i + 1) * c), shortestFloat32Reference));
  const layers = (p: Parameters) => ({
    encoder: { weights: rows(p.W1, n, h), bias: Array.from(p.b1, shortestFloat32Reference) },
    decoder: { weights: rows(p.W2, h, n), bias: Array.from(p.b2, shortestFloat32Reference) },
  });
  const { encoder, decoder } = layers(state.parameters);
  const out: ModelFile = { ...file, encoder, decoder };
  if (state.normalization.kind === 'minmax') {
    out.normalization = { kind: 'minmax', min: Array.from(state.normalization.min, shortestFloat32Reference), max: Array.from(state.normalization.max, shortestFloat32Reference) };
  }
  if (state.optimizerState) {
    out.optimizerState = { kind: 'adam', step: state.optimizerState.step, m: layers(state.optimizerState.m), v: layers(state.optimizerState.v) };
  }
  out.lossHistory = state.lossHistory.map((v) => shortestFloat32Reference(Math.fround(v)));
  return out;
}

function wallMs(run: () => void, repeats: number): number {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** The CLI's one-epoch run beside Node's start and the training alone; [] when dist/ is not built. */
function cliRun(training: () => void): BenchRecord[] {
  if (!isCliBuilt()) {
    console.error('[bench] model-file: dist/ is not built (npm run build:ts); skipping the CLI run');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'edge-sae-bench-file-'));
  try {
    const { rows, inputSize } = FILE_SHAPE;
    const x = randomArray(rows * inputSize, 11, 0, 1);
    const lines = Array.from({ length: rows }, (_, i) => Array.from(x.subarray(i * inputSize, (i + 1) * inputSize), String).join(','));
    writeFileSync(join(dir, 'd.csv'), `${lines.join('\n')}\n`);
    const bin = join(ROOT, 'bin', 'edge-sae.js');
    // The run's own training time is the `seconds` of its --json summary: fit, final metrics and
    // the write of --out, timed inside the run (so with its cold JIT).
    const ownSeconds: Record<string, number[]> = { 'm.json': [], 'm.safetensors': [] };
    const train = (out: string) => () => {
      const stdout = execFileSync(process.execPath, [bin, 'train', '--data', join(dir, 'd.csv'), '--out', join(dir, out), '--hidden', '196', '--epochs', '1', '--json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      ownSeconds[out]!.push((JSON.parse(stdout) as { seconds: number }).seconds);
    };
    train('m.json')(); // warms the disk cache and the compile cache alike for every run below
    ownSeconds['m.json'] = [];
    const nodeStart = wallMs(() => execFileSync(process.execPath, ['-e', '0']), 5);
    const json = wallMs(train('m.json'), 5);
    const binary = wallMs(train('m.safetensors'), 5);
    const trainingMs = wallMs(training, 5);
    const shape = `${inputSize}→${FILE_SHAPE.hiddenSize} m=${rows}, 1 epoch`;
    return [
      { name: 'cli train, --out .json', backend: 'node', shape, figure: json, unit: 'ms wall' },
      { name: 'cli train, --out .safetensors', backend: 'node', shape, figure: binary, unit: 'ms wall' },
      { name: 'cli training time, --out .json', backend: 'node', shape, figure: 1000 * median(ownSeconds['m.json']!), unit: 'ms wall' },
      { name: 'cli training time, --out .safetensors', backend: 'node', shape, figure: 1000 * median(ownSeconds['m.safetensors']!), unit: 'ms wall' },
      { name: 'node start', backend: 'node', shape: 'node -e 0', figure: nodeStart, unit: 'ms wall' },
      { name: 'training alone', backend: 'assemblyscript', shape, figure: trainingMs, unit: 'ms wall' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchModelFile(): Promise<BenchRecord[]> {
  const { backend } = await loadNodeBackend('assemblyscript');
  const { inputSize, hiddenSize, rows } = FILE_SHAPE;
  const data = { rows, cols: inputSize, data: randomArray(rows * inputSize, 11, 0, 1) };
  const trainOnce = () => {
    const m = SparseAutoencoder.create(inputSize, { hiddenSize }, backend, { seed: 1 });
    m.fit(data, { epochs: 1 });
    return m;
  };
  const few = { rows: 16, cols: inputSize, data: data.data.subarray(0, 16 * inputSize) };
  const firstStep = (m: SparseAutoencoder) => {
    m.fit(few, { epochs: 1, batchSize: 16 });
    m.dispose();
  };
  const model = trainOnce();
  const state = model.toState();
  const file = model.toFile();
  const jsonText = `${JSON.stringify(file)}\n`;
  const jsonBytes = new TextEncoder().encode(jsonText);
  const binary = model.toBinaryFile();
  if (JSON.stringify(previousModelFile(state)) !== JSON.stringify(file)) throw new Error('the previous writer gives another file: the comparison would be unfair');

  const record = (name: string, figure: number, unit = 'ms'): BenchRecord => ({ name, backend: 'assemblyscript', shape: SHAPE, figure, unit });
  const out: BenchRecord[] = [
    record('save json', timeCall(() => void JSON.stringify(model.toFile()), TIMING)),
    record('save json (previous shortestFloat32)', timeCall(() => void JSON.stringify(previousModelFile(model.toState())), TIMING)),
    record('JSON.stringify of the file object', timeCall(() => void JSON.stringify(file), TIMING)),
    record('save binary', timeCall(() => void model.toBinaryFile(), TIMING)),
    record('decode json', timeCall(() => void readModelBytes(jsonBytes), TIMING)),
    record('decode binary', timeCall(() => void readModelBytes(binary), TIMING)),
    record('load json', timeCall(() => SparseAutoencoder.fromBytes(jsonBytes, backend).dispose(), TIMING)),
    record('load binary', timeCall(() => SparseAutoencoder.fromBytes(binary, backend).dispose(), TIMING)),
    // What load defers (the moments into the session, the training blocks) is paid here, the same
    // for both forms: load, then one step on 16 rows.
    record('load json, then one step', timeCall(() => firstStep(SparseAutoencoder.fromBytes(jsonBytes, backend)), TIMING)),
    record('load binary, then one step', timeCall(() => firstStep(SparseAutoencoder.fromBytes(binary, backend)), TIMING)),
    record('file size json', jsonBytes.length / 1e6, 'MB'),
    record('file size binary', binary.length / 1e6, 'MB'),
  ];
  model.dispose();
  out.push(...cliRun(() => trainOnce().dispose()));
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchModelFile().then(
    (records) => console.table(records),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
