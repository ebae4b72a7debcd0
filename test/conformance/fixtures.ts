/**
 * What the conformance tests share: the backends under test, the training cases and their seeded
 * data, and a memo of trained models so each (backend, case) trains once per test file.
 *
 * Set CONFORMANCE_REPORT=1 to print the differences measured (how the tolerances were chosen).
 */
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { BackendName, KernelBackend, Parameters } from '../../src/backends/types.js';
import type { ModelConfig, TrainingOptions } from '../../src/model/config.js';
import { readModelFile } from '../../src/model/model-file.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { maxAbsDiff } from '../helpers/allclose.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';
import { referenceBackend } from '../helpers/reference-backend.js';

/** The three real backends, each loaded the way the library loads it. */
export const REAL_BACKENDS: readonly BackendName[] = ['assemblyscript', 'tfjs-wasm', 'tfjs-cpu'];

/** A label for a backend under test: a real backend's name, or 'reference' (float64). */
export type BackendLabel = BackendName | 'reference';

export async function loadBackend(label: BackendLabel): Promise<KernelBackend> {
  if (label === 'reference') return referenceBackend;
  return (await loadNodeBackend(label)).backend;
}

/** The worst element of `actual` vs `expected`: largest |diff| and largest |diff| / max(|expected|, 1e-3). */
export function differences(actual: ArrayLike<number>, expected: ArrayLike<number>): { abs: number; rel: number } {
  let rel = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i] as number;
    const r = Math.abs((actual[i] as number) - e) / Math.max(Math.abs(e), 1e-3);
    if (!(r <= rel)) rel = r;
  }
  return { abs: maxAbsDiff(actual, expected), rel };
}

/** Prints a measured difference when CONFORMANCE_REPORT=1. */
export function report(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  if (process.env.CONFORMANCE_REPORT !== '1') return;
  const d = differences(actual, expected);
  console.log(`[conformance] ${label}: max |diff| ${d.abs.toExponential(2)}, max rel ${d.rel.toExponential(2)}`);
}

/** One 100-epoch training run, the same on every backend. */
export interface TrainingCase {
  label: string;
  rows: number;
  inputSize: number;
  config: Partial<ModelConfig>;
  training: Partial<TrainingOptions>;
}

/**
 * The training cases. The learning rate is 0.01 (ten times the default) so that 100 epochs move
 * the weights well away from their initialisation and rounding differences have room to grow;
 * the mini-batch case has a short last batch (50 = 3·16 + 2) and a seeded shuffle.
 */
export const TRAINING_CASES: readonly TrainingCase[] = [
  {
    label: 'mini-batches of 16, sum, 6→18',
    rows: 50,
    inputSize: 6,
    config: { hiddenSize: 18, reduction: 'sum' },
    training: { epochs: 100, batchSize: 16, learningRate: 0.01, seed: 11 },
  },
  {
    label: 'full batch, sum, 17→51',
    rows: 64,
    inputSize: 17,
    config: { hiddenSize: 51, reduction: 'sum' },
    training: { epochs: 100, batchSize: 0, learningRate: 0.01, seed: 12 },
  },
  {
    label: 'full batch, mean, 5→11',
    rows: 40,
    inputSize: 5,
    config: { hiddenSize: 11, reduction: 'mean' },
    training: { epochs: 100, batchSize: 0, learningRate: 0.01, seed: 13 },
  },
];

/** The training data of a case, in an arbitrary scale (the model's min-max normalisation maps it to [0,1]). */
export function trainingData(c: TrainingCase): { rows: number; cols: number; data: Float32Array } {
  return randomMatrix(mulberry32(1000 + c.rows * 31 + c.inputSize), c.rows, c.inputSize, -3, 5);
}

export interface TrainedResult {
  parameters: Parameters;
  lossHistory: number[];
  codes: Float32Array;
  model: SparseAutoencoder;
}

/** The parameters a model holds, read back through its file (shortest float32 decimals are exact). */
export function parametersOf(model: SparseAutoencoder): Parameters {
  return readModelFile(JSON.parse(JSON.stringify(model.toFile()))).parameters;
}

/** Creates the case's model on `backend` with the case's seed and fits it. */
export function trainCase(backend: KernelBackend, c: TrainingCase): TrainedResult {
  const data = trainingData(c);
  const model = SparseAutoencoder.create(c.inputSize, c.config, backend, { seed: c.training.seed });
  const { lossHistory } = model.fit(data, c.training);
  return { parameters: parametersOf(model), lossHistory, codes: model.encode(data).data, model };
}

const trained = new Map<string, Promise<TrainedResult>>();

/** trainCase on the backend `load` gives, once per (label, case) in this process. */
export function trainedWith(label: string, load: () => Promise<KernelBackend>, c: TrainingCase): Promise<TrainedResult> {
  const key = `${label}|${c.label}`;
  let result = trained.get(key);
  if (result === undefined) {
    result = load().then((backend) => trainCase(backend, c));
    trained.set(key, result);
  }
  return result;
}

/** trainCase on a backend loaded the way the library loads it, once per (backend, case). */
export function trainedOn(label: BackendLabel, c: TrainingCase): Promise<TrainedResult> {
  return trainedWith(label, () => loadBackend(label), c);
}
