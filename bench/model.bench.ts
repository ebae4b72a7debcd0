/**
 * The model end to end, through the library's SparseAutoencoder (model code included):
 *
 * - the tutorial's whole run: a fresh 16→48 model, 256 rows, 1000 full-batch Adam epochs (create,
 *   upload, train, final metrics), in ms;
 * - encode latency of a trained 784→196 model for 1 row and for 256 rows, in ms a call: through
 *   model.encode (input checks, scaling, forward pass) and the backend's forward pass alone;
 * - epochs of each training shape that fit in 10 ms and in 30 s of CPU (the Workers' CPU caps),
 *   from the steady-state time of an epoch (the run's fixed cost, about one forward pass for the
 *   final metrics plus the upload, comes on top; the tutorial figure shows it).
 *
 * AssemblyScript beside tfjs-wasm; times are CPU time (harness.ts).
 * Run alone with `npx tsx bench/model.bench.ts`.
 */
import { pathToFileURL } from 'node:url';

import { loadNodeBackend } from '../src/backends/node-providers.js';
import type { BackendName, KernelBackend } from '../src/backends/types.js';
import type { Matrix } from '../src/data/index.js';
import { initialParameters } from '../src/model/initialization.js';
import { SparseAutoencoder } from '../src/model/sparse-autoencoder.js';
import { cpuMs, median, randomArray, timeCall, timeInterleaved, type BenchRecord } from './harness.js';

export interface ModelShape {
  inputSize: number;
  hiddenSize: number;
  rows: number;
}

/** The training shapes. */
export const MODEL_SHAPES: readonly ModelShape[] = [
  { inputSize: 16, hiddenSize: 48, rows: 256 },
  { inputSize: 64, hiddenSize: 25, rows: 1000 },
  { inputSize: 784, hiddenSize: 196, rows: 256 },
];

export const MODEL_BACKENDS: readonly BackendName[] = ['assemblyscript', 'tfjs-wasm'];

export function modelShapeName(s: ModelShape): string {
  return `${s.inputSize}→${s.hiddenSize} m=${s.rows}`;
}

function data(s: ModelShape, seed: number): Matrix {
  return { rows: s.rows, cols: s.inputSize, data: randomArray(s.rows * s.inputSize, seed, 0, 1) };
}

function model(backend: KernelBackend, s: ModelShape): SparseAutoencoder {
  return SparseAutoencoder.create(s.inputSize, { hiddenSize: s.hiddenSize }, backend, { seed: 42 });
}

/** The tutorial's run, end to end, `repeats` times: median CPU ms. */
function tutorialRun(backend: KernelBackend, repeats: number): number {
  const s = MODEL_SHAPES[0]!;
  const x = data(s, 3);
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const start = cpuMs();
    const m = model(backend, s);
    m.fit(x, { epochs: 1000, batchSize: 0 });
    m.dispose();
    if (r > 0) times.push(cpuMs() - start); // the first run warms up
  }
  return median(times);
}

/** Steady-state CPU ms an epoch (full batch), over slices of `epochsPerCall` epochs. */
function epochMs(backend: KernelBackend, s: ModelShape, epochsPerCall: number): number {
  const m = model(backend, s);
  const slice = m.startTraining(data(s, 5), { epochs: 1_000_000, batchSize: 0 });
  const ms = timeCall(() => void slice.step(epochsPerCall), { repeats: 5, minRunMs: 40, warmupMs: 100 });
  m.dispose();
  return ms / epochsPerCall;
}

export async function benchModel(): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const backends = await Promise.all(MODEL_BACKENDS.map(async (name) => (await loadNodeBackend(name)).backend));

  // 1. the tutorial's whole run
  for (const backend of backends) {
    const ms = tutorialRun(backend, backend.name === 'assemblyscript' ? 7 : 3);
    records.push({ name: 'tutorialRun', backend: backend.name, shape: '16→48 m=256, 1000 epochs', figure: ms, unit: 'ms' });
  }

  // 2. encode latency, 784→196, the backends interleaved
  const big = MODEL_SHAPES[2]!;
  const trained = backends.map((backend) => {
    const m = model(backend, big);
    m.fit(data(big, 9), { epochs: 1 });
    return m;
  });
  // the same work without the model's input checks and scaling: the backend's forward pass alone
  const sessions = backends.map((backend) => backend.createSession(big, initialParameters(big, 42)));
  for (const rows of [1, 256]) {
    const input: Matrix = { rows, cols: big.inputSize, data: randomArray(rows * big.inputSize, 11, 0, 1) };
    const calls: Record<string, () => void> = {};
    trained.forEach((m, b) => {
      calls[`model ${m.backendName}`] = () => void m.encode(input);
      calls[`session ${m.backendName}`] = () => void sessions[b]!.forward(input.data, rows);
    });
    const ms = timeInterleaved(calls, { repeats: 9, minRunMs: 30 });
    const shape = `784→196, ${rows} row${rows > 1 ? 's' : ''}`;
    for (const m of trained) {
      records.push({ name: 'encode', backend: m.backendName, shape, figure: ms[`model ${m.backendName}`]!, unit: 'ms' });
      records.push({ name: 'forward (session)', backend: m.backendName, shape, figure: ms[`session ${m.backendName}`]!, unit: 'ms' });
    }
  }
  for (const m of trained) m.dispose();
  for (const session of sessions) session.dispose();

  // 3. epochs in the Workers' CPU caps
  for (const s of MODEL_SHAPES) {
    for (const backend of backends) {
      const perEpoch = epochMs(backend, s, s.inputSize > 100 ? 2 : 16);
      const shape = modelShapeName(s);
      records.push({ name: 'epoch', backend: backend.name, shape, figure: perEpoch, unit: 'ms' });
      records.push({ name: 'epochsIn10ms', backend: backend.name, shape, figure: Math.floor(10 / perEpoch), unit: 'epochs' });
      records.push({ name: 'epochsIn30s', backend: backend.name, shape, figure: Math.floor(30_000 / perEpoch), unit: 'epochs' });
    }
  }
  return records;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchModel()
    .then((records) => {
      for (const r of records) console.log(`${r.name.padEnd(13)} ${r.backend.padEnd(14)}  ${r.shape.padEnd(26)}  ${r.figure.toFixed(3).padStart(10)} ${r.unit}`);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
