/**
 * Training-step time: one full step (forward, backward, Adam) on the full batch, for the
 * AssemblyScript kernels beside tfjs-backend-wasm and tfjs-backend-cpu, same shapes, same process.
 *
 * Each backend is driven through its session directly (createSession, setTrainingData, then
 * trainStep(null, …)), so the figure is the backend's own cost with no model code around it.
 * A figure is the median over `repeats` timed runs, after a warm-up that lets V8 tier the wasm
 * up; a run repeats the step until it has lasted `minRunMs` and reports the time per step.
 * A step slower than SLOW_STEP_MS (tfjs-cpu at 784→196: ~0.7 s) is timed alone, `slowRepeats` times.
 *
 * Run alone with `npx tsx bench/training.bench.ts`; `npm run bench` runs it as its 'training' suite.
 * Either way it prints each backend's step time over the AssemblyScript one.
 */
import { pathToFileURL } from 'node:url';

import { loadNodeBackend } from '../src/backends/node-providers.js';
import type { BackendName, LayerShape, LossConfig, OptimizerConfig } from '../src/backends/types.js';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAINING_OPTIONS, optimizerConfig } from '../src/model/config.js';
import { initialParameters } from '../src/model/initialization.js';
import { randomArray, timeCall, type BenchRecord } from './harness.js';

export interface TrainingShape extends LayerShape {
  /** Rows in the (full) batch. */
  rows: number;
}

export const TRAINING_SHAPES: readonly TrainingShape[] = [
  { inputSize: 16, hiddenSize: 48, rows: 256 },
  { inputSize: 64, hiddenSize: 25, rows: 1000 },
  { inputSize: 784, hiddenSize: 196, rows: 256 },
];

export const TRAINING_BACKENDS: readonly BackendName[] = ['assemblyscript', 'tfjs-wasm', 'tfjs-cpu'];

export interface TrainingBenchOptions {
  shapes?: readonly TrainingShape[];
  backends?: readonly BackendName[];
  repeats?: number;
  /** Repeats for a step slower than SLOW_STEP_MS. */
  slowRepeats?: number;
  /** Minimum time a timed run lasts (ms). */
  minRunMs?: number;
  warmupMs?: number;
}

/** A step that takes longer than this (in the warm-up) is timed one step a run. */
const SLOW_STEP_MS = 100;

/** The tutorial's defaults (docs/SPEC.md section 2): sum reduction, ρ = β = α = 0.1, Adam lr 0.001. */
const LOSS: LossConfig = {
  sparsityTarget: DEFAULT_MODEL_CONFIG.sparsityTarget,
  sparsityWeight: DEFAULT_MODEL_CONFIG.sparsityWeight,
  weightDecay: DEFAULT_MODEL_CONFIG.weightDecay,
  reduction: DEFAULT_MODEL_CONFIG.reduction,
};
const OPTIMIZER: OptimizerConfig = optimizerConfig(DEFAULT_TRAINING_OPTIONS);

export function shapeName(s: TrainingShape): string {
  return `${s.inputSize}→${s.hiddenSize} m=${s.rows}`;
}

/** Median milliseconds a call of `step` (CPU time, see harness.ts). */
function measureStep(step: () => void, o: Required<Omit<TrainingBenchOptions, 'shapes' | 'backends'>>): number {
  // at least two warm-up steps, and slowness judged on the last one: the first step of a backend
  // in a process includes compiling its kernels and is not representative
  return timeCall(step, { ...o, slowCallMs: SLOW_STEP_MS });
}

/** Runs the training-step benchmark: one record per (backend, shape), in ms a step. */
export async function benchTraining(options: TrainingBenchOptions = {}): Promise<BenchRecord[]> {
  const o = {
    repeats: options.repeats ?? 7,
    slowRepeats: options.slowRepeats ?? 3,
    minRunMs: options.minRunMs ?? 200,
    warmupMs: options.warmupMs ?? 500,
  };
  const records: BenchRecord[] = [];
  for (const s of options.shapes ?? TRAINING_SHAPES) {
    const shape = { inputSize: s.inputSize, hiddenSize: s.hiddenSize };
    const x = randomArray(s.rows * s.inputSize, 7, 0, 1); // in [0, 1), as normalised training data is
    for (const name of options.backends ?? TRAINING_BACKENDS) {
      const { backend } = await loadNodeBackend(name);
      const session = backend.createSession(shape, initialParameters(shape, 42));
      session.setTrainingData(x, s.rows);
      const figure = measureStep(() => void session.trainStep(null, LOSS, OPTIMIZER), o);
      session.dispose();
      records.push({ name: 'trainStep', backend: name, shape: shapeName(s), figure, unit: 'ms' });
    }
  }
  for (const line of trainingRatios(records)) console.log(`[training] ${line}`);
  return records;
}

/** For each shape, every backend's step time over the AssemblyScript one. */
export function trainingRatios(records: readonly BenchRecord[]): string[] {
  const lines: string[] = [];
  for (const shape of new Set(records.map((r) => r.shape))) {
    const base = records.find((r) => r.shape === shape && r.backend === 'assemblyscript');
    if (!base) continue;
    for (const r of records.filter((x) => x.shape === shape && x !== base)) {
      lines.push(`${shape}  ${r.backend} / assemblyscript = ${(r.figure / base.figure).toFixed(2)}×`);
    }
  }
  return lines;
}

function printTraining(records: readonly BenchRecord[]): void {
  const width = Math.max(...records.map((r) => r.shape.length));
  for (const r of records) {
    console.log(`${r.name}  ${r.backend.padEnd(14)}  ${r.shape.padEnd(width)}  ${r.figure.toFixed(3).padStart(9)} ${r.unit}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchTraining()
    .then(printTraining)
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
