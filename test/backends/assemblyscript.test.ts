/**
 * The AssemblyScript backend against the float64 reference (src/reference/sae-reference.ts).
 *
 * Tolerances, and why:
 * - forward (sigmoid outputs in (0,1)): atol 1e-6, rtol 1e-5 — a few float32 roundings of dot
 *   products of length ≤ 24 and the ≤ 1.5e-7-relative SIMD sigmoid.
 * - gradients: each element is a float32 sum over rows and columns; atol 1e-5·max|g| + rtol 1e-4.
 * - loss terms (sums accumulated in f64 from float32 elements): rtol 1e-5.
 * - parameters after an optimizer step: atol 1e-6 (updates are ≈ lr = 1e-2 per element, known to
 *   ≈ 1e-4 relative), rtol 1e-5.
 * - gradient check: central differences of the float64 referenceLoss with step 1e-5 (on the
 *   float32 parameters, in float64): |g − g_fd| ≤ 1e-3·max(|g|, |g_fd|, 1e-3·max|g_fd|).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createAssemblyScriptBackend } from '../../src/backends/assemblyscript/loader.js';
import { loadKernelModule } from '../../src/backends/assemblyscript/module-node.js';
import type { KernelBackend, LayerShape, Parameters } from '../../src/backends/types.js';
import { referenceAdamStep, referenceGradients, referenceLoss, toParameters64, zeroParameters64 } from '../../src/reference/sae-reference.js';
import { expectAllClose } from '../helpers/allclose.js';
import { PARAMETER_NAMES, gatherRows, initLimit, randomParameters, randomParametersAndData, termsArray, type ParameterRanges } from '../helpers/parameters.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { expectForwardLikeReference, expectGradientsLikeReference } from '../helpers/reference-checks.js';
import { ADAM, MEAN_LOSS, SGD, SUM_LOSS } from '../helpers/training-settings.js';

const FORWARD_TOL = { atol: 1e-6, rtol: 1e-5 };
const TERMS_TOL = { atol: 1e-7, rtol: 1e-5 };
const PARAMETER_TOL = { atol: 1e-6, rtol: 1e-5 };

/** m rows, n inputs, h hidden units. */
interface Case {
  label: string;
  m: number;
  n: number;
  h: number;
}

const CASES: Case[] = [
  { label: '1×1 (m=1, n=1, h=1)', m: 1, n: 1, h: 1 },
  { label: 'odd (m=7, n=5, h=11)', m: 7, n: 5, h: 11 },
  { label: 'one row (m=1, n=6, h=18)', m: 1, n: 6, h: 18 },
  { label: 'random (m=13, n=9, h=27)', m: 13, n: 9, h: 27 },
  { label: 'blocks (m=16, n=8, h=24)', m: 16, n: 8, h: 24 },
];
const LOSSES = [
  ['sum', SUM_LOSS],
  ['mean', MEAN_LOSS],
] as const;

let backend: KernelBackend;
beforeAll(async () => {
  backend = createAssemblyScriptBackend(await loadKernelModule());
});

/** Twice the default init's weights and biases in ±0.5, so σ is not all ≈ ½. */
function wide(shape: LayerShape): ParameterRanges {
  return { weightLimit: 2 * initLimit(shape), biasLimit: 0.5 };
}

function setup(c: Case, seed: number): { shape: LayerShape; params: Parameters; x: Float32Array } {
  const shape = { inputSize: c.n, hiddenSize: c.h };
  return { shape, ...randomParametersAndData(seed, shape, c.m, wide(shape)) };
}

function maxAbs(values: ArrayLike<number>): number {
  let worst = 0;
  for (let k = 0; k < values.length; k++) worst = Math.max(worst, Math.abs(values[k]!));
  return worst;
}

describe.each(CASES)('AssemblyScript session, $label', (c) => {
  it('should match the reference forward pass and decode', () => {
    const { shape, params, x } = setup(c, 11 * c.m + c.n);
    const session = backend.createSession(shape, params);
    expectForwardLikeReference(session, params, x, c.m, FORWARD_TOL);
    session.dispose();
  });

  it.each(LOSSES)('should match the reference gradients (%s)', (_, loss) => {
    const { shape, params, x } = setup(c, 13 * c.h + c.m);
    const session = backend.createSession(shape, params);
    expectGradientsLikeReference(session, params, x, c.m, loss, {
      terms: TERMS_TOL,
      meanActivation: FORWARD_TOL,
      gradients: (expected) => ({ atol: 1e-5 * maxAbs(expected) + 1e-12, rtol: 1e-4 }),
    });
    session.dispose();
  });

  it.each(LOSSES)('should pass a central-difference gradient check (%s)', (_, loss) => {
    const { shape, params, x } = setup(c, 17 * c.n + c.h);
    const session = backend.createSession(shape, params);
    const { gradients } = session.gradients(x, c.m, loss);
    session.dispose();
    const p64 = toParameters64(params); // the float32 values, exactly, in float64
    const step = 1e-5;
    for (const name of PARAMETER_NAMES) {
      const numeric = new Float64Array(p64[name].length);
      for (let k = 0; k < numeric.length; k++) {
        const saved = p64[name][k]!;
        p64[name][k] = saved + step;
        const up = referenceLoss(p64, x, c.m, shape, loss).loss;
        p64[name][k] = saved - step;
        const down = referenceLoss(p64, x, c.m, shape, loss).loss;
        p64[name][k] = saved;
        numeric[k] = (up - down) / (2 * step);
      }
      const floor = 1e-3 * maxAbs(numeric) + 1e-9;
      for (let k = 0; k < numeric.length; k++) {
        const g = gradients[name][k]!;
        const fd = numeric[k]!;
        const relative = Math.abs(g - fd) / Math.max(Math.abs(g), Math.abs(fd), floor);
        if (!(relative < 1e-3)) {
          expect.fail(`${name}[${k}]: backend ${g}, central difference ${fd}, relative difference ${relative}`);
        }
      }
    }
  });

  it.each(LOSSES)('should take Adam steps like the reference (%s)', (_, loss) => {
    const { shape, params, x } = setup(c, 19 * c.m + c.h);
    const session = backend.createSession(shape, params);
    session.setTrainingData(x, c.m);
    expect(session.getOptimizerState()).toBeNull();

    const p64 = toParameters64(params);
    const state = { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) };
    for (let t = 1; t <= 3; t++) {
      // the reference steps from the backend's current float32 parameters, so errors do not compound
      const current = session.getParameters();
      const reference = referenceGradients(current, x, c.m, shape, loss);
      const terms = session.trainStep(null, loss, ADAM);
      expectAllClose(termsArray(terms), termsArray(reference.terms), TERMS_TOL, `terms at step ${t}`);
      for (const name of PARAMETER_NAMES) p64[name].set(current[name]);
      referenceAdamStep(p64, reference.gradients, state, ADAM);
      const after = session.getParameters();
      for (const name of PARAMETER_NAMES) expectAllClose(after[name], p64[name], PARAMETER_TOL, `${name} after step ${t}`);
      const s = session.getOptimizerState();
      expect(s?.step).toBe(t);
      for (const name of PARAMETER_NAMES) {
        expectAllClose(s!.m[name], state.m[name], { atol: 1e-5 * maxAbs(state.m[name]) + 1e-12, rtol: 1e-4 }, `m.${name}`);
        expectAllClose(s!.v[name], state.v[name], { atol: 1e-5 * maxAbs(state.v[name]) + 1e-16, rtol: 2e-4 }, `v.${name}`);
      }
    }
    session.dispose();
  });

  it('should take an SGD step like the reference', () => {
    const { shape, params, x } = setup(c, 23 * c.h + c.n);
    const session = backend.createSession(shape, params);
    session.setTrainingData(x, c.m);
    const reference = referenceGradients(params, x, c.m, shape, SUM_LOSS);
    const terms = session.trainStep(null, SUM_LOSS, SGD);
    expectAllClose(termsArray(terms), termsArray(reference.terms), TERMS_TOL, 'terms');
    const p64 = toParameters64(params);
    referenceAdamStep(p64, reference.gradients, { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) }, SGD);
    const after = session.getParameters();
    for (const name of PARAMETER_NAMES) expectAllClose(after[name], p64[name], PARAMETER_TOL, name);
    expect(session.getOptimizerState()).toBeNull(); // SGD leaves Adam state alone
    session.dispose();
  });
});

describe('AssemblyScript session training steps', () => {
  const shape = { inputSize: 5, hiddenSize: 11 };

  it('should give the same as gradients() on the gathered rows when rowIndices are given', () => {
    const rows = 20;
    const { params, x } = randomParametersAndData(99, shape, rows, wide(shape));
    const indices = new Uint32Array([19, 3, 3, 0, 7, 12, 5]);
    for (const loss of [SUM_LOSS, MEAN_LOSS]) {
      const training = backend.createSession(shape, params);
      training.setTrainingData(x, rows);
      const terms = training.trainStep(indices, loss, SGD);
      const checking = backend.createSession(shape, params);
      const expected = checking.gradients(gatherRows(x, shape.inputSize, indices), indices.length, loss);
      expect(terms).toEqual(expected.terms); // the same kernels on the same numbers: bit for bit
      const lr = Math.fround(SGD.learningRate);
      const after = training.getParameters();
      for (const name of PARAMETER_NAMES) {
        const stepped = Float32Array.from(params[name], (w, k) => w - Math.fround(lr * expected.gradients[name][k]!));
        expect(after[name]).toEqual(stepped);
      }
      training.dispose();
      checking.dispose();
    }
  });

  it('should be deterministic bit for bit', () => {
    const { params, x } = randomParametersAndData(5, shape, 9, wide(shape));
    const run = () => {
      const session = backend.createSession(shape, params);
      session.setTrainingData(x, 9);
      const losses = [];
      for (let t = 0; t < 5; t++) losses.push(session.trainStep(t % 2 ? new Uint32Array([8, 1, 2]) : null, SUM_LOSS, ADAM).loss);
      const out = { losses, params: session.getParameters(), state: session.getOptimizerState() };
      session.dispose();
      return out;
    };
    expect(run()).toEqual(run());
  });

  it('should round-trip optimizer state and resume exactly', () => {
    const { params, x } = randomParametersAndData(6, shape, 8, wide(shape));
    const straight = backend.createSession(shape, params);
    straight.setTrainingData(x, 8);
    for (let t = 0; t < 4; t++) straight.trainStep(null, MEAN_LOSS, ADAM);

    const first = backend.createSession(shape, params);
    first.setTrainingData(x, 8);
    for (let t = 0; t < 2; t++) first.trainStep(null, MEAN_LOSS, ADAM);
    const resumed = backend.createSession(shape, first.getParameters());
    resumed.setOptimizerState(first.getOptimizerState());
    resumed.setTrainingData(x, 8);
    for (let t = 0; t < 2; t++) resumed.trainStep(null, MEAN_LOSS, ADAM);

    expect(resumed.getParameters()).toEqual(straight.getParameters());
    expect(resumed.getOptimizerState()).toEqual(straight.getOptimizerState());
    resumed.setOptimizerState(null);
    expect(resumed.getOptimizerState()).toBeNull();
    for (const s of [straight, first, resumed]) s.dispose();
  });

  it('should replace the training data and the parameters', () => {
    const rng = mulberry32(7);
    const params = randomParameters(rng, shape, wide(shape));
    const session = backend.createSession(shape, params);
    session.setTrainingData(randomArray(rng, 3 * shape.inputSize), 3);
    const x = randomArray(rng, 40 * shape.inputSize);
    session.setTrainingData(x, 40);
    const other = randomParameters(rng, shape, wide(shape));
    session.setParameters(other);
    expect(session.getParameters()).toEqual(other);
    const terms = session.trainStep(null, SUM_LOSS, SGD);
    expectAllClose(termsArray(terms), termsArray(referenceLoss(other, x, 40, shape, SUM_LOSS)), TERMS_TOL, 'terms');
    session.dispose();
  });

  it('should reject bad input with clear errors', () => {
    const params = randomParameters(mulberry32(8), shape, wide(shape));
    const session = backend.createSession(shape, params);
    expect(() => session.trainStep(null, SUM_LOSS, SGD)).toThrow(/no training data/);
    session.setTrainingData(new Float32Array(3 * 5), 3);
    expect(() => session.trainStep(new Uint32Array([0, 3]), SUM_LOSS, SGD)).toThrow(/not a row/);
    expect(() => session.trainStep(new Uint32Array([]), SUM_LOSS, SGD)).toThrow(RangeError);
    expect(() => session.forward(new Float32Array(7), 2)).toThrow(/expected 10/);
    expect(() => session.setParameters({ ...params, b1: new Float32Array(3) })).toThrow(/b1/);
    expect(() => backend.createSession({ inputSize: 0, hiddenSize: 2 }, params)).toThrow(/inputSize/);
    session.dispose();
    expect(() => session.forward(new Float32Array(5), 1)).toThrow(/after dispose/);
  });

  it('should report its name and refuse something that is not a module', () => {
    expect(backend.name).toBe('assemblyscript');
    expect(() => createAssemblyScriptBackend({} as WebAssembly.Module)).toThrow(TypeError);
  });
});
