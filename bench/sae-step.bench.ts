/**
 * The SAE training step (issue 16): one Adam step on the full batch at m = 256 rows, n = 768 →
 * h = 6144 (4.7 M parameters) of `sigmoid`, `relu`, `topk` and `batchtopk` (k = 32, auxK as the
 * options table says), on the AssemblyScript kernels and on tfjs-backend-wasm doing the same math.
 * batchtopk's step is topk's with the batch-wide selection (a radix select over the m·h codes)
 * in place of each row's, and θ's running mean (the batch's smallest code) after the update.
 *
 * Every backend is driven through its session directly (createSession, setTrainingData, then
 * trainStep(null, …)), as training.bench.ts does. The parameters are the model's own
 * (initialParameters with the architecture, b_dec the mean of the data for relu and topk, as
 * SparseAutoencoder.fit sets it) and the loss is the model's (lossConfigOf of the resolved model
 * config), from the same seeded data (uniform in [0, 1), as minmax-normalised data is).
 *
 * topk is timed twice: as a fresh session runs it (no unit dead yet, so no AuxK pass), and with
 * every fourth unit (1536 ≥ auxK) marked dead before each step, so the AuxK pass runs in full, as
 * it does in a long run once units have stopped firing (`topk+auxK`).
 *
 * All steps are timed in alternation (harness.ts's timeInterleavedRounds: each round one run of
 * each), so the ratios are paired: each is the median over rounds of the two figures of the same
 * round. A step is 0.1–3 s, so a run is one step and there are few rounds (≈ 60–90 s on 2 cores).
 * Records: `saeStep` per (backend, architecture) in ms, and `saeStep ratio` records named after
 * what they divide (topk/relu, tfjs-wasm/assemblyscript, …).
 *
 * Run alone with `npx tsx bench/sae-step.bench.ts`; `npm run bench` runs it as its 'sae-step' suite.
 */
import { pathToFileURL } from 'node:url';

import { loadNodeBackend } from '../src/backends/node-providers.js';
import { architectureOf, type BackendName, type BackendSession, type LayerShape, type LossConfig } from '../src/backends/types.js';
import { DEFAULT_TRAINING_OPTIONS, lossConfigOf, optimizerConfig, resolveModelConfig } from '../src/model/config.js';
import { decoderBiasFromData, initialParameters } from '../src/model/initialization.js';
import { median, pairedRatio, randomArray, timeInterleavedRounds, type BenchRecord } from './harness.js';

export const SAE_STEP_SHAPE = { inputSize: 768, hiddenSize: 6144, rows: 256 } as const;
export const SAE_STEP_K = 32;
export const SAE_STEP_BACKENDS: readonly BackendName[] = ['assemblyscript', 'tfjs-wasm'];
/** What is timed: the four architectures, and topk with the AuxK pass running. */
export const SAE_STEP_VARIANTS = ['sigmoid', 'relu', 'topk', 'topk+auxK', 'batchtopk'] as const;
export type SaeStepVariant = (typeof SAE_STEP_VARIANTS)[number];

export interface SaeStepBenchOptions {
  backends?: readonly BackendName[];
  variants?: readonly SaeStepVariant[];
  /** Timed rounds (each: one run of every step). */
  repeats?: number;
  /** Minimum length of one timed run (ms); 0: one step a run. */
  minRunMs?: number;
  /** Shape; default SAE_STEP_SHAPE (tests may pass a small one). */
  shape?: LayerShape & { rows: number };
}

export function saeStepShapeName(s: LayerShape & { rows: number } = SAE_STEP_SHAPE): string {
  return `${s.rows} × ${s.inputSize} → ${s.hiddenSize}`;
}

/** The step's name in records: `<backend> <variant>`. */
const key = (backend: string, variant: SaeStepVariant) => `${backend} ${variant}`;

/** Runs the benchmark: one `saeStep` record per (backend, variant) and the paired ratios. */
export async function benchSaeStep(options: SaeStepBenchOptions = {}): Promise<BenchRecord[]> {
  const s = options.shape ?? SAE_STEP_SHAPE;
  const shape: LayerShape = { inputSize: s.inputSize, hiddenSize: s.hiddenSize };
  const shapeName = saeStepShapeName(s);
  const variants = options.variants ?? SAE_STEP_VARIANTS;
  const backends = options.backends ?? SAE_STEP_BACKENDS;
  const optimizer = optimizerConfig(DEFAULT_TRAINING_OPTIONS);
  const x = randomArray(s.rows * s.inputSize, 7, 0, 1);
  const bDec = decoderBiasFromData(x, s.rows, s.inputSize);
  const k = Math.min(SAE_STEP_K, s.hiddenSize);

  const sessions: BackendSession[] = [];
  const calls: Record<string, () => void> = {};
  for (const name of backends) {
    const { backend } = await loadNodeBackend(name);
    for (const variant of variants) {
      const architecture = variant === 'topk+auxK' ? 'topk' : variant;
      const config = resolveModelConfig(s.inputSize, { architecture, hiddenSize: s.hiddenSize, k, auxK: Math.min(512, s.hiddenSize) });
      const loss: LossConfig = lossConfigOf(config);
      const params = initialParameters(shape, 42, architecture);
      if (architecture !== 'sigmoid') params.b2 = bDec.slice();
      const session = backend.createSession(shape, params, architectureOf(config));
      session.setTrainingData(x, s.rows);
      sessions.push(session);
      if (variant === 'topk+auxK') {
        // every fourth unit dead (≥ auxK of them), again before each step: the AuxK pass runs in full
        const dead = Uint32Array.from({ length: s.hiddenSize }, (_, j) => (j % 4 === 0 ? config.deadSteps : 0));
        calls[key(name, variant)] = () => {
          session.setStepsSinceFired(dead);
          session.trainStep(null, loss, optimizer);
        };
      } else {
        calls[key(name, variant)] = () => void session.trainStep(null, loss, optimizer);
      }
    }
  }

  let rounds: Record<string, number[]>;
  try {
    // warm-up: one step each (the first step of a session compiles and allocates), then the rounds
    rounds = timeInterleavedRounds(calls, { repeats: options.repeats ?? 3, minRunMs: options.minRunMs ?? 0, warmupMs: 0 });
  } finally {
    for (const session of sessions) session.dispose();
  }

  const records: BenchRecord[] = [];
  for (const name of backends) {
    for (const variant of variants) {
      records.push({ name: 'saeStep', backend: `${name} ${variant}`, shape: shapeName, figure: median(rounds[key(name, variant)]!), unit: 'ms' });
    }
  }
  const ratio = (label: string, slower: string, faster: string) => {
    if (rounds[slower] && rounds[faster]) records.push({ name: 'saeStep ratio', backend: label, shape: shapeName, figure: pairedRatio(rounds[slower]!, rounds[faster]!), unit: '×' });
  };
  const as = 'assemblyscript';
  const tw = 'tfjs-wasm';
  ratio('topk / relu (assemblyscript)', key(as, 'topk'), key(as, 'relu'));
  ratio('topk+auxK / relu (assemblyscript)', key(as, 'topk+auxK'), key(as, 'relu'));
  ratio('relu / sigmoid (assemblyscript)', key(as, 'relu'), key(as, 'sigmoid'));
  ratio('topk / sigmoid (assemblyscript)', key(as, 'topk'), key(as, 'sigmoid'));
  ratio('topk+auxK / sigmoid (assemblyscript)', key(as, 'topk+auxK'), key(as, 'sigmoid'));
  for (const variant of variants) ratio(`tfjs-wasm / assemblyscript (${variant})`, key(tw, variant), key(as, variant));
  ratio('topk / relu (tfjs-wasm)', key(tw, 'topk'), key(tw, 'relu'));
  ratio('batchtopk / topk (assemblyscript)', key(as, 'batchtopk'), key(as, 'topk'));
  ratio('batchtopk / topk (tfjs-wasm)', key(tw, 'batchtopk'), key(tw, 'topk'));
  for (const r of records) console.log(`[sae-step] ${r.name}  ${r.backend}  ${r.figure.toFixed(r.unit === 'ms' ? 1 : 2)} ${r.unit}`);
  return records;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchSaeStep().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
