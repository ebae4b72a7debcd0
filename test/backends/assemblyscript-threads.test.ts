/**
 * Threads (src/backends/assemblyscript/thread-pool.ts, kernel-splits.ts): every kernel call split
 * by output tiles gives the single-thread bits, for every architecture, on full batches and
 * minibatches, for 2 and 3 threads; growing and moving a session's memory keeps the workers right;
 * the pool shuts down and comes back.
 *
 * The threaded backends here split every call (cut-off 0) on odd sizes, so each split path and its
 * tails are taken; one test goes through the real cut-off at a size above it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES, architectureModule } from '../../src/architectures/registry.js';

/** The architectures that train (gated is inference only: imported, never trained, so these cases train first). */
const TRAINABLE = ARCHITECTURES.filter((name) => architectureModule(name).trainable !== false);
import { createAssemblyScriptBackend } from '../../src/backends/assemblyscript/loader.js';
import { createThreadedAssemblyScriptBackend } from '../../src/backends/assemblyscript/threaded-backend.js';
import { loadKernelModule, loadSharedKernelModule } from '../../src/backends/assemblyscript/module-node.js';
import { ranges } from '../../src/backends/assemblyscript/kernel-splits.js';
import { shutdownThreadPool, threadPoolSize, threadSplitCalls } from '../../src/backends/assemblyscript/thread-pool.js';
import { architectureOf } from '../../src/backends/types.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import type { ArchitectureName, BackendSession, KernelBackend, LossConfig, OptimizerConfig, Parameters } from '../../src/backends/types.js';

let single: KernelBackend;
let portable: WebAssembly.Module;
let sharedModule: WebAssembly.Module;
const threaded = new Map<number, KernelBackend>();

beforeAll(async () => {
  const module = await loadKernelModule();
  portable = module;
  const shared = await loadSharedKernelModule();
  if (shared.module === null) throw new Error(`the shared build is needed: ${shared.reason}`);
  sharedModule = shared.module;
  single = createAssemblyScriptBackend(module);
  for (const count of [2, 3]) threaded.set(count, createThreadedAssemblyScriptBackend(module, sharedModule, count, { product: 0, stream: 0 }));
});

afterAll(() => shutdownThreadPool());

const N = 37;
const H = 70;
const ROWS = 50;

/** Rows in (−1, 1), different for each seed. */
function data(rows: number, cols: number, seed: number): Float32Array {
  return Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.731 + seed) * 0.9 + 0.05 * Math.cos(i * 0.13));
}

/** Two nested groups of h units (matryoshka). */
const groups = (h: number): number[] => [Math.floor(h / 2), h - Math.floor(h / 2)];

function lossFor(architecture: ArchitectureName): LossConfig {
  return {
    architecture,
    groupSizes: groups(H),
    thresholdDecay: 0.99,
    thresholdStart: 0,
    k: 6,
    auxK: 9,
    auxCoefficient: 1 / 32,
    // a unit is dead after 2 steps without firing, so topk's AuxK path runs within 10 steps
    deadSteps: 2,
    l0Coefficient: 0.01,
    bandwidth: 0.1,
    sparsityTarget: 0.05,
    sparsityWeight: 0.1,
    weightDecay: 0.001,
    reduction: 'mean',
  } as LossConfig;
}

const ADAM: OptimizerConfig = { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as OptimizerConfig;

interface Run {
  params: Parameters;
  m: Parameters;
  v: Parameters;
  steps: Uint32Array;
  losses: number[];
  codes: Float32Array;
  output: Float32Array;
}

/** Five full-batch steps, five minibatch steps (17 rows, a different pick each), then encode and forward. */
function tenSteps(backend: KernelBackend, architecture: ArchitectureName, change?: (p: Parameters) => Parameters): Run {
  const module = architectureModule(architecture);
  const shape = { inputSize: N, hiddenSize: H };
  const loss = lossFor(architecture);
  const initial = module.initialise(shape, 5);
  const session: BackendSession = backend.createSession(shape, change ? change(initial) : initial, architectureOf(loss));
  try {
    const x = data(ROWS, N, 1);
    session.setTrainingData(x, ROWS);
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) losses.push(session.trainStep(null, loss, ADAM).loss);
    for (let step = 0; step < 5; step++) {
      const rows = Uint32Array.from({ length: 17 }, (_, i) => (i * 3 + step * 7) % ROWS);
      losses.push(session.trainStep(rows, loss, ADAM).loss);
    }
    const state = session.getOptimizerState()!;
    const probe = data(23, N, 2);
    return { params: session.getParameters(), m: state.m, v: state.v, steps: session.getStepsSinceFired(), losses, codes: session.encode(probe, 23), output: session.forward(probe, 23).output };
  } finally {
    session.dispose();
  }
}

/** The bytes of a float or integer array, for bit-for-bit comparison (toEqual would call −0 and +0 equal… and NaN equal). */
const bits = (a: Float32Array | Uint32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const blockBits = (p: Parameters): Record<string, number[]> => Object.fromEntries(Object.entries(p).map(([k, a]) => [k, bits(a)]));

describe('threads: the single-thread bits for any thread count', () => {
  it.each(TRAINABLE)('%s: weights, Adam state, dead-unit counts, encode and forward after 10 steps (full batches, then minibatches)', (architecture) => {
    const before = threadSplitCalls();
    const one = tenSteps(single, architecture);
    for (const count of [2, 3]) {
      const many = tenSteps(threaded.get(count)!, architecture);
      expect(blockBits(many.params), `${count} threads: weights`).toEqual(blockBits(one.params));
      expect(blockBits(many.m), `${count} threads: Adam m`).toEqual(blockBits(one.m));
      expect(blockBits(many.v), `${count} threads: Adam v`).toEqual(blockBits(one.v));
      expect(bits(many.steps), `${count} threads: steps since fired`).toEqual(bits(one.steps));
      expect(many.losses, `${count} threads: losses`).toEqual(one.losses);
      expect(bits(many.codes), `${count} threads: encode`).toEqual(bits(one.codes));
      expect(bits(many.output), `${count} threads: forward`).toEqual(bits(one.output));
    }
    // the threaded runs did split (not one call whole on the main thread)
    expect(threadSplitCalls() - before).toBeGreaterThan(40);
    if (architecture === 'topk') expect(Array.from(one.steps).some((s) => s >= 2), 'some unit dead, so AuxK ran').toBe(true);
  });

  it('jumprelu with few codes firing (its products through the index, by density): the single-thread bits', () => {
    // θ = 1.5 for every unit: a few per cent of the codes fire, under every product's cut-off
    const sparse = (p: Parameters) => ({ ...p, theta: new Float32Array(H).fill(1.5) });
    const one = tenSteps(single, 'jumprelu', sparse);
    const density = Array.from(one.codes).filter((v) => v !== 0).length / (23 * H);
    expect(density, 'density of the codes after the steps').toBeGreaterThan(0);
    expect(density, 'density of the codes after the steps').toBeLessThan(0.07);
    for (const count of [2, 3]) {
      const many = tenSteps(threaded.get(count)!, 'jumprelu', sparse);
      expect(blockBits(many.params), `${count} threads: weights`).toEqual(blockBits(one.params));
      expect(blockBits(many.m), `${count} threads: Adam m`).toEqual(blockBits(one.m));
      expect(blockBits(many.v), `${count} threads: Adam v`).toEqual(blockBits(one.v));
      expect(many.losses, `${count} threads: losses`).toEqual(one.losses);
      expect(bits(many.output), `${count} threads: forward`).toEqual(bits(one.output));
    }
  });

  it('should split through the real cut-off at a size above it, with the same bits', () => {
    const module = architectureModule('relu');
    const shape = { inputSize: 256, hiddenSize: 1024 };
    const defaultCutoff = createThreadedAssemblyScriptBackend(portable, sharedModule, 2);
    const params = module.initialise(shape, 3);
    const loss = lossFor('relu');
    const x = data(256, 256, 3);
    const run = (backend: KernelBackend) => {
      const s = backend.createSession(shape, params, architectureOf(loss));
      s.setTrainingData(x, 256);
      s.trainStep(null, loss, ADAM);
      const out = { params: blockBits(s.getParameters()), codes: bits(s.encode(x, 256)) };
      s.dispose();
      return out;
    };
    const before = threadSplitCalls();
    const two = run(defaultCutoff);
    expect(threadSplitCalls()).toBeGreaterThan(before);
    expect(two).toEqual(run(single));
  });

  it('should keep the workers right when the memory grows after they attached, and after the session moves to a fresh memory', () => {
    const module = architectureModule('relu');
    const shape = { inputSize: N, hiddenSize: H };
    const params = module.initialise(shape, 9);
    const architecture = architectureOf(lossFor('relu'));
    const a = single.createSession(shape, params, architecture);
    const b = threaded.get(2)!.createSession(shape, params, architecture);
    try {
      const small = data(5, N, 4);
      expect(bits(b.encode(small, 5))).toEqual(bits(a.encode(small, 5)));
      // 40,000 rows: megabytes of scratch, grown after the workers attached; the session (encode
      // only) then gives it back by moving to a fresh memory, which the workers attach to anew
      const big = data(40_000, N, 5);
      expect(bits(b.encode(big, 40_000))).toEqual(bits(a.encode(big, 40_000)));
      expect(bits(b.encode(big, 40_000))).toEqual(bits(a.encode(big, 40_000)));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('should start again after shutdownThreadPool', () => {
    const module = architectureModule('sigmoid');
    const shape = { inputSize: N, hiddenSize: H };
    const params = module.initialise(shape, 2);
    const x = data(31, N, 6);
    const s = threaded.get(3)!.createSession(shape, params, architectureOf(lossFor('sigmoid')));
    const first = bits(s.encode(x, 31));
    expect(threadPoolSize()).toBe(2);
    shutdownThreadPool();
    expect(threadPoolSize()).toBe(0);
    expect(bits(s.encode(x, 31))).toEqual(first);
    expect(threadPoolSize()).toBe(2);
    s.dispose();
  });
});

describe('threads: the encode-only session (model.encode)', () => {
  it.each(TRAINABLE)('%s: the codes of f32, bf16 and int8 weights identical for 1, 2 and 3 threads (h a multiple of 16, and not)', (architecture) => {
    for (const hiddenSize of [96, 70]) {
      const config = { hiddenSize, architecture, normalize: architecture === 'sigmoid' ? ('minmax' as const) : ('standardize' as const), ...(architecture === 'topk' ? { k: 6 } : {}), ...(architecture === 'jumprelu' ? { initialThreshold: 0.05 } : {}), ...(architecture === 'matryoshka' ? { groupSizes: groups(hiddenSize) } : {}) };
      const rows = Array.from({ length: 41 }, (_, i) => Array.from({ length: N }, (_, j) => Math.sin(i * N + j) * 0.8));
      const trained = SparseAutoencoder.create(N, config, single, { seed: 4 });
      trained.fit(rows, { epochs: 2, learningRate: 0.01 });
      const file = trained.toBinaryFile();
      trained.dispose();
      for (const dtype of ['f32', 'bf16', 'int8'] as const) {
        const codes = (backend: KernelBackend) => {
          const f32 = SparseAutoencoder.fromBytes(file, backend);
          const m = dtype === 'f32' ? f32 : f32.withWeightDtype(dtype);
          const out = m.encode(rows).data;
          m.dispose();
          return bits(out);
        };
        const one = codes(single);
        const before = threadSplitCalls();
        for (const count of [2, 3]) expect(codes(threaded.get(count)!), `${hiddenSize} hidden, ${dtype}, ${count} threads`).toEqual(one);
        expect(threadSplitCalls(), `${hiddenSize} hidden, ${dtype}: split`).toBeGreaterThan(before);
      }
    }
  });
});

describe('ranges', () => {
  it('should cover [0, total) in order, inner bounds on the alignment, never an empty part', () => {
    for (const [total, count, align] of [[10, 3, 4], [3, 4, 4], [70, 2, 8], [1, 3, 1], [256, 3, 4], [0, 2, 1]] as const) {
      const parts = ranges(total, count, align);
      let at = 0;
      for (const [s, e] of parts) {
        expect(s).toBe(at);
        expect(e).toBeGreaterThan(s);
        if (e !== total) expect(e % align).toBe(0);
        at = e;
      }
      expect(at).toBe(total);
      expect(parts.length).toBeLessThanOrEqual(count);
    }
  });
});
