/**
 * Optimizer steps and gradients of any backend against the float64 reference (part of the
 * conformance suite, suite.ts): SGD steps, several Adam steps in a row, and a central-difference
 * check of the gradients, at the sizes the AssemblyScript backend's tests used (odd sizes, one
 * row, 1×1, register blocks) with wide parameters. These were the AssemblyScript and tfjs
 * backends' own tests; here every backend must pass them.
 *
 * Tolerances: where a check was in both a backend's test and the suite, the tighter of the two
 * (per component); otherwise the backend test's own, with its reason beside it.
 */
import { describe, expect, it } from 'vitest';

import type { KernelBackend, LayerShape, LossConfig, Parameters } from '../../src/backends/types.js';
import { referenceAdamStep, referenceGradients, toParameters64, zeroParameters64 } from '../../src/reference/sae-reference.js';
import { expectAllClose, type Tolerance } from '../helpers/allclose.js';
import { PARAMETER_NAMES, gatherRows, randomParametersAndData, termsArray } from '../helpers/parameters.js';
import { centralDifferences } from '../helpers/reference-checks.js';
import { ADAM, MEAN_LOSS, SGD, SUM_LOSS } from '../helpers/training-settings.js';
import { NARROW_BIASES, wide } from './contract.js';

/** m rows, n inputs, h hidden units (the AssemblyScript backend test's cases). */
export interface StepCase {
  label: string;
  m: number;
  n: number;
  h: number;
}

export const STEP_CASES: readonly StepCase[] = [
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

/** The tolerances the steps are checked with (suite.ts passes its own, tighter where both had one). */
export interface StepTolerances {
  terms: Tolerance;
  /** Parameters after one step from the same float32 parameters as the reference. */
  parameters: Tolerance;
  /** Adam m and v after a step, made from the expected moments (scaled by their largest element). */
  momentM: (expected: ArrayLike<number>) => Tolerance;
  momentV: (expected: ArrayLike<number>) => Tolerance;
}

export function maxAbs(values: ArrayLike<number>): number {
  let worst = 0;
  for (let k = 0; k < values.length; k++) worst = Math.max(worst, Math.abs(values[k]!));
  return worst;
}

function setup(c: StepCase, seed: number): { shape: LayerShape; params: Parameters; x: Float32Array } {
  const shape = { inputSize: c.n, hiddenSize: c.h };
  return { shape, ...randomParametersAndData(seed, shape, c.m, wide(shape)) };
}

/**
 * Central differences of the float64 referenceLoss with step 1e-5 (on the float32 parameters,
 * in float64) against the backend's gradients: |g − g_fd| ≤ 1e-3·max(|g|, |g_fd|, 1e-3·max|g_fd|).
 */
function expectCentralDifferences(gradients: Parameters, params: Parameters, x: Float32Array, m: number, shape: LayerShape, loss: LossConfig): void {
  // on the float32 values, exactly, in float64
  const differences = centralDifferences(toParameters64(params), x, m, shape, loss, 1e-5);
  for (const name of PARAMETER_NAMES) {
    const numeric = differences[name];
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
}

export function describeOptimizerSteps(name: string, getBackend: () => KernelBackend, tol: StepTolerances): void {
  describe.each(STEP_CASES)(`${name} steps, $label`, (c) => {
    it.each(LOSSES)('should pass a central-difference gradient check (%s)', (_, loss) => {
      const { shape, params, x } = setup(c, 17 * c.n + c.h);
      const session = getBackend().createSession(shape, params);
      const { gradients } = session.gradients(x, c.m, loss);
      session.dispose();
      expectCentralDifferences(gradients, params, x, c.m, shape, loss);
    });

    it.each(LOSSES)('should take Adam steps like the reference (%s)', (_, loss) => {
      const { shape, params, x } = setup(c, 19 * c.m + c.h);
      const session = getBackend().createSession(shape, params);
      session.setTrainingData(x, c.m);
      expect(session.getOptimizerState()).toBeNull();

      const p64 = toParameters64(params);
      const state = { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) };
      for (let t = 1; t <= 3; t++) {
        // the reference steps from the backend's current float32 parameters, so errors do not compound
        const current = session.getParameters();
        const reference = referenceGradients(current, x, c.m, shape, loss);
        const terms = session.trainStep(null, loss, ADAM);
        expectAllClose(termsArray(terms), termsArray(reference.terms), tol.terms, `terms at step ${t}`);
        for (const k of PARAMETER_NAMES) p64[k].set(current[k]);
        referenceAdamStep(p64, reference.gradients, state, ADAM);
        const after = session.getParameters();
        for (const k of PARAMETER_NAMES) expectAllClose(after[k], p64[k], tol.parameters, `${k} after step ${t}`);
        const s = session.getOptimizerState();
        expect(s?.step).toBe(t);
        for (const k of PARAMETER_NAMES) {
          expectAllClose(s!.m[k], state.m[k], tol.momentM(state.m[k]), `m.${k}`);
          expectAllClose(s!.v[k], state.v[k], tol.momentV(state.v[k]), `v.${k}`);
        }
      }
      session.dispose();
    });

    it('should take an SGD step like the reference', () => {
      const { shape, params, x } = setup(c, 23 * c.h + c.n);
      const session = getBackend().createSession(shape, params);
      session.setTrainingData(x, c.m);
      const reference = referenceGradients(params, x, c.m, shape, SUM_LOSS);
      const terms = session.trainStep(null, SUM_LOSS, SGD);
      expectAllClose(termsArray(terms), termsArray(reference.terms), tol.terms, 'terms');
      const p64 = toParameters64(params);
      referenceAdamStep(p64, reference.gradients, { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) }, SGD);
      const after = session.getParameters();
      // (the tolerance of both backend tests: updates ≈ lr·g per element, g known to ≈ 1e-4 relative)
      for (const k of PARAMETER_NAMES) expectAllClose(after[k], p64[k], { atol: 1e-6, rtol: 1e-5 }, k);
      expect(session.getOptimizerState()).toBeNull(); // SGD leaves Adam state alone
      session.dispose();
    });
  });

  describe(`${name} steps with gradient clipping`, () => {
    const c = { label: 'random', m: 13, n: 9, h: 27 };
    for (const [optimizerName, optimizer] of [['Adam', ADAM], ['SGD', SGD]] as const) {
      it(`should scale the gradients to clipNorm when their global norm exceeds it, as the reference does (${optimizerName})`, () => {
        const { shape, params, x } = setup(c, 29 * c.h + c.m);
        const reference = referenceGradients(params, x, c.m, shape, SUM_LOSS);
        let squares = 0;
        for (const k of PARAMETER_NAMES) for (const g of reference.gradients[k]) squares += g * g;
        const clipNorm = 0.3 * Math.sqrt(squares);
        const session = getBackend().createSession(shape, params);
        session.setTrainingData(x, c.m);
        session.trainStep(null, SUM_LOSS, { ...optimizer, clipNorm });
        const p64 = toParameters64(params);
        referenceAdamStep(p64, reference.gradients, { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) }, { ...optimizer, clipNorm });
        const after = session.getParameters();
        for (const k of PARAMETER_NAMES) expectAllClose(after[k], p64[k], tol.parameters, `${k} after a clipped step`);
        // A clipped SGD step moved the parameters by 0.3 of the unclipped one (Adam normalises it away on step 1).
        if (optimizer.kind === 'sgd') {
          const unclipped = toParameters64(params);
          referenceAdamStep(unclipped, reference.gradients, { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) }, optimizer);
          expectAllClose(Float64Array.from(after.W1, (w, i) => w - params.W1[i]!), Float64Array.from(unclipped.W1, (w, i) => 0.3 * (w - params.W1[i]!)), { atol: 1e-6, rtol: 1e-4 }, 'the clipped update, 0.3 of the unclipped');
        }
        session.dispose();
      });

      it(`should leave gradients within clipNorm as they are, bit for bit (${optimizerName})`, () => {
        const { shape, params, x } = setup(c, 31 * c.h + c.m);
        const [a, b] = [getBackend().createSession(shape, params), getBackend().createSession(shape, params)];
        for (const session of [a, b]) session.setTrainingData(x, c.m);
        for (let step = 0; step < 2; step++) {
          a.trainStep(null, SUM_LOSS, optimizer);
          b.trainStep(null, SUM_LOSS, { ...optimizer, clipNorm: 1e30 });
        }
        expect(b.getParameters()).toEqual(a.getParameters());
        a.dispose();
        b.dispose();
      });
    }

    it('should refuse a clipNorm that is negative or not finite', () => {
      const { shape, params, x } = setup(c, 3);
      const session = getBackend().createSession(shape, params);
      session.setTrainingData(x, c.m);
      for (const clipNorm of [-1, Number.NaN, Infinity]) {
        expect(() => session.trainStep(null, SUM_LOSS, { ...ADAM, clipNorm })).toThrow(/clipNorm must be a finite number ≥ 0/);
      }
      session.dispose();
    });
  });

  describe(`${name} steps on chosen rows`, () => {
    // The tfjs backends' test: the reference runs on in float64 across the three steps, so the
    // rounding of every step compounds; hence its own, looser tolerances.
    it('should take Adam steps as the reference does, on chosen rows and on the full batch', () => {
      const shape = { inputSize: 5, hiddenSize: 11 };
      const { params: p, x } = randomParametersAndData(3, shape, 7, NARROW_BIASES);
      const session = getBackend().createSession(shape, p);
      session.setTrainingData(x, 7);
      expect(session.getOptimizerState()).toBeNull();

      const ref = toParameters64(p);
      const state = { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) };
      const batches = [Uint32Array.from([6, 0, 3]), null, Uint32Array.from([2, 2, 5, 1])];
      for (const rows of batches) {
        const batch = rows === null ? x : gatherRows(x, shape.inputSize, rows);
        const count = rows === null ? 7 : rows.length;
        const expected = referenceGradients(ref, batch, count, shape, MEAN_LOSS);
        const terms = session.trainStep(rows, MEAN_LOSS, ADAM);
        expectAllClose(termsArray(terms), termsArray(expected.terms), { atol: 1e-6, rtol: 1e-5 }, 'loss terms before the update');
        referenceAdamStep(ref, expected.gradients, state, ADAM);
      }
      const got = session.getParameters();
      const adam = session.getOptimizerState();
      expect(adam?.step).toBe(3);
      for (const k of PARAMETER_NAMES) {
        expectAllClose(got[k], ref[k], { atol: 1e-6, rtol: 1e-5 }, `${k} after 3 Adam steps`);
        expectAllClose(adam!.m[k], state.m[k], { atol: 1e-5, rtol: 1e-4 }, `Adam m.${k}`);
        expectAllClose(adam!.v[k], state.v[k], { atol: 1e-8, rtol: 1e-4 }, `Adam v.${k}`);
      }
      session.dispose();
    });

    it('should take an SGD step as the reference does and leave the optimizer state null', () => {
      const shape = { inputSize: 4, hiddenSize: 6 };
      const { params: p, x } = randomParametersAndData(4, shape, 9, NARROW_BIASES);
      const session = getBackend().createSession(shape, p);
      session.setTrainingData(x, 9);
      const ref = toParameters64(p);
      const expected = referenceGradients(ref, x, 9, shape, SUM_LOSS);
      session.trainStep(null, SUM_LOSS, SGD);
      referenceAdamStep(ref, expected.gradients, { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) }, SGD);
      const got = session.getParameters();
      for (const k of PARAMETER_NAMES) expectAllClose(got[k], ref[k], { atol: 1e-6, rtol: 1e-5 }, `${k} after SGD`);
      expect(session.getOptimizerState()).toBeNull();
      session.dispose();
    });
  });
}
