/**
 * The SAE training step (issue 16): one Adam step on the full batch at m = 256 rows, n = 768 →
 * h = 6144 (4.7 M parameters) of `sigmoid`, `relu`, `topk`, `batchtopk` (k = 32, auxK as the
 * options table says) and `jumprelu` (its default λ, ε, θ₀; issue 25's target: ≤ 1.2× relu's step),
 * on the AssemblyScript kernels and on tfjs-backend-wasm doing the same math.
 *
 * jumprelu is timed at two states, because its step's cost follows how many codes fire (its
 * products go through the codes' index below a measured density: src/architectures/jumprelu/
 * assemblyscript.ts): at initialisation (`jumprelu`: θ = θ₀ = 0.01, about half of the codes fire,
 * the products dense), and with θ set, not trained, so that the codes are as sparse as a trained
 * JumpReLU SAE's (`jumprelu θ-set L0=32`: θ the same for every unit, the value 32·m of the batch's m·h
 * pre-activations at initialisation exceed, so L0 = 32 = topk's k). A step from there changes the
 * state a lot (its Adam step moves every weight of the units that fired by ≈ the learning rate, and
 * the L0 falls to ≈ 10 on the next step), so the parameters are put back before every timed step,
 * untimed (harness.ts's setups; the Adam moments carry on): each timed step starts at L0 = 32. The
 * L0 of every step taken is recorded beside the times (`saeStep L0`, the L0 term ÷ λ). Both
 * backends start from the same parameters and θ.
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
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';

import { loadNodeBackend } from '../src/backends/node-providers.js';
import { architectureOf, type ArchitectureName, type BackendName, type BackendSession, type LayerShape, type LossConfig, type Parameters } from '../src/backends/types.js';
import { DEFAULT_TRAINING_OPTIONS, lossConfigOf, optimizerConfig, resolveModelConfig } from '../src/model/config.js';
import { decoderBiasFromData, initialParameters } from '../src/model/initialization.js';
import { loadRecords, median, pairedRatio, randomArray, timeInterleavedRounds, type BenchRecord } from './harness.js';

export const SAE_STEP_SHAPE = { inputSize: 768, hiddenSize: 6144, rows: 256 } as const;
export const SAE_STEP_K = 32;
export const SAE_STEP_BACKENDS: readonly BackendName[] = ['assemblyscript', 'tfjs-wasm'];
/** jumprelu with θ set (not trained) so that L0 = 32 = k on the batch: its products through the codes' index. */
const THETA_SET = 'jumprelu θ-set L0=32';
/** What is timed: the five trainable architectures, topk with the AuxK pass running, and jumprelu with θ set for L0 = k. */
export const SAE_STEP_VARIANTS = ['sigmoid', 'relu', 'topk', 'topk+auxK', 'batchtopk', 'jumprelu', THETA_SET] as const;
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

/** The architecture a variant times. */
const architectureOfVariant = (variant: SaeStepVariant) => (variant === 'topk+auxK' ? 'topk' : variant === THETA_SET ? 'jumprelu' : variant);

/**
 * θ for every unit alike such that `l0`·rows of the rows·h pre-activations z = (x − b_dec)·W_enc + b_enc
 * exceed it: z from a jumprelu session on the AssemblyScript backend whose θ no z is below (its
 * codes are then z), the (l0·rows + 1)-th largest z taken.
 */
async function thresholdForL0(shape: LayerShape, params: Parameters, x: Float32Array, rows: number, l0: number): Promise<number> {
  const { backend } = await loadNodeBackend('assemblyscript');
  const session = backend.createSession(shape, { ...params, theta: new Float32Array(shape.hiddenSize).fill(-3e38) }, { architecture: 'jumprelu', k: 0 });
  const z = session.forward(x, rows).hidden.slice().sort();
  session.dispose();
  return z[z.length - l0 * rows - 1]!;
}

/** Runs the benchmark: one `saeStep` record per (backend, variant) and the paired ratios. */
export async function benchSaeStep(options: SaeStepBenchOptions = {}): Promise<BenchRecord[]> {
  const loadAtStart = loadavg()[0]!;
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
  const setups: Record<string, () => void> = {};
  /** The L0 (active codes a row: the L0 term ÷ λ) of each step of the jumprelu variants, by key. */
  const l0s: Record<string, number[]> = {};
  const parametersOf = (architecture: ArchitectureName) => {
    const params = initialParameters(shape, 42, architecture);
    if (architecture !== 'sigmoid') params.b2 = bDec.slice();
    return params;
  };
  const sparseTheta = variants.includes(THETA_SET) ? await thresholdForL0(shape, parametersOf('jumprelu'), x, s.rows, k) : 0;
  for (const name of backends) {
    const { backend } = await loadNodeBackend(name);
    for (const variant of variants) {
      const architecture = architectureOfVariant(variant);
      const config = resolveModelConfig(s.inputSize, { architecture, hiddenSize: s.hiddenSize, k, auxK: Math.min(512, s.hiddenSize) });
      const loss: LossConfig = lossConfigOf(config);
      const params = parametersOf(architecture);
      if (variant === THETA_SET) params.theta = new Float32Array(s.hiddenSize).fill(sparseTheta);
      const session = backend.createSession(shape, params, architectureOf(config));
      if (variant === THETA_SET) setups[key(name, variant)] = () => session.setParameters(params);
      session.setTrainingData(x, s.rows);
      sessions.push(session);
      if (variant === 'topk+auxK') {
        // every fourth unit dead (≥ auxK of them), again before each step: the AuxK pass runs in full
        const dead = Uint32Array.from({ length: s.hiddenSize }, (_, j) => (j % 4 === 0 ? config.deadSteps : 0));
        calls[key(name, variant)] = () => {
          session.setStepsSinceFired(dead);
          session.trainStep(null, loss, optimizer);
        };
      } else if (architecture === 'jumprelu') {
        const l0 = (l0s[key(name, variant)] = [] as number[]);
        calls[key(name, variant)] = () => void l0.push(session.trainStep(null, loss, optimizer).sparsity / (loss.l0Coefficient ?? 1));
      } else {
        calls[key(name, variant)] = () => void session.trainStep(null, loss, optimizer);
      }
    }
  }

  let rounds: Record<string, number[]>;
  try {
    // warm-up: one step each (the first step of a session compiles and allocates), then the rounds
    rounds = timeInterleavedRounds(calls, { repeats: options.repeats ?? 3, minRunMs: options.minRunMs ?? 0, warmupMs: 0 }, setups);
  } finally {
    for (const session of sessions) session.dispose();
  }

  const records: BenchRecord[] = [];
  for (const name of backends) {
    for (const variant of variants) {
      records.push({ name: 'saeStep', backend: `${name} ${variant}`, shape: shapeName, figure: median(rounds[key(name, variant)]!), unit: 'ms' });
    }
  }
  // the L0 of the jumprelu steps: the median over every step taken (the warm-up's included), and the range in the log
  for (const [label, l0] of Object.entries(l0s)) {
    if (l0.length === 0) continue;
    records.push({ name: 'saeStep L0', backend: label, shape: shapeName, figure: median(l0), unit: 'codes a row' });
    console.log(`[sae-step] L0 ${label}: ${l0.map((v) => v.toFixed(1)).join(', ')} (steps in order)`);
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
  ratio('jumprelu / relu (assemblyscript)', key(as, 'jumprelu'), key(as, 'relu'));
  ratio('jumprelu / relu (tfjs-wasm)', key(tw, 'jumprelu'), key(tw, 'relu'));
  ratio(`${THETA_SET} / relu (assemblyscript)`, key(as, THETA_SET), key(as, 'relu'));
  ratio(`${THETA_SET} / topk (assemblyscript)`, key(as, THETA_SET), key(as, 'topk'));
  ratio(`${THETA_SET} / relu (tfjs-wasm)`, key(tw, THETA_SET), key(tw, 'relu'));
  records.push(...loadRecords('sae-step', loadAtStart, shapeName));
  for (const r of records) console.log(`[sae-step] ${r.name}  ${r.backend}  ${r.figure.toFixed(r.unit === '×' ? 2 : 1)} ${r.unit}`);
  return records;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchSaeStep().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
