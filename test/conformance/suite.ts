/**
 * The backend conformance suite: the same cases, run on any KernelBackend, checked against the
 * float64 reference of docs/SPEC.md section 2, and 100-epoch training runs checked against the reference
 * run; with the session contract of src/backends/types.ts (contract.ts: errors, edges, dispose,
 * copies, determinism, resume) and optimizer steps (optimizer-steps.ts: SGD, Adam steps in a row,
 * central differences). backend-conformance.test.ts runs it on every Node backend (and compares
 * them pairwise); test/worker/kernel-builds.test.ts runs it on both kernel builds inside workerd.
 * Only what is truly one backend's (its loading, tfjs's tensors) stays in test/backends/.
 *
 * Tolerances: element i passes when |actual − expected| ≤ atol + rtol·|expected|. Every one was
 * measured (CONFORMANCE_REPORT=1 prints the differences) and set a few times above the worst
 * difference seen on any backend, so a real disagreement (a wrong term, a transposed index, a
 * moment not carried over) fails while float32 rounding passes. The measured figures are in the
 * comment beside each. Where a backend's own test had the same check with a tighter tolerance, the
 * tighter one is kept (per component; the backend tests' cases were merged in, see NUMERIC_CASES).
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { KernelBackend, LayerShape } from '../../src/backends/types.js';
import {
  referenceAdamStep,
  referenceGradients,
  toParameters64,
  zeroParameters64,
  type ReferenceAdamState,
} from '../../src/reference/sae-reference.js';
import { expectAllClose, type Tolerance } from '../helpers/allclose.js';
import { PARAMETER_NAMES, gatherRows, randomParametersAndData, termsArray, toFloat32Parameters, type ParameterRanges } from '../helpers/parameters.js';
import { mulberry32 } from '../helpers/random.js';
import { expectForwardLikeReference, expectGradientsLikeReference } from '../helpers/reference-checks.js';
import { ADAM, MEAN_LOSS, SUM_LOSS } from '../helpers/training-settings.js';
import { NARROW_BIASES, describeSessionContract, wide } from './contract.js';
import { TRAINING_CASES, report, trainedOn, trainedWith } from './fixtures.js';
import { STEP_CASES, describeOptimizerSteps, maxAbs } from './optimizer-steps.js';

/**
 * Forward pass (hidden, output, decode; ρ̂) vs the float64 reference: sigmoids of dot products
 * of ≤ 51 terms, so float32 rounding of the sums. Measured worst over the three backends:
 * 9.3e-8 absolute (assemblyscript output, 33×17×51), about one float32 ulp of values near 0.5.
 */
const FORWARD_TOL: Tolerance = { atol: 5e-7, rtol: 1e-6 };
/**
 * Loss terms vs the reference: sums of up to 33·17 float32 squares (reconstruction) and of 51
 * logarithms (sparsity). Measured worst relative difference: 6.4e-7 (tfjs-wasm, the loss of
 * ≈31 off by 2.0e-5; assemblyscript and tfjs-cpu are within 2.2e-7). The absolute part is the
 * AssemblyScript test's 1e-7 (it was 1e-6 here), the relative part this suite's.
 */
const TERMS_TOL: Tolerance = { atol: 1e-7, rtol: 5e-6 };
/**
 * Gradients vs the reference: gW = aᵀ·δ sums products of already-rounded factors over the batch,
 * and they cancel (δ2 has both signs), so the error tracks the size of the summands rather than
 * of the result; hence a mostly absolute tolerance. Measured worst: 2.9e-7 absolute
 * (assemblyscript, 33×17×51, sum); relative to max(|g|, 1e-3): 1.1e-5 (tfjs-wasm).
 */
const GRADIENT_TOL: Tolerance = { atol: 2e-6, rtol: 1e-4 };
/**
 * GRADIENT_TOL, or the AssemblyScript test's absolute part (1e-5 of the largest expected gradient)
 * where that is tighter: small gradients (one row, 1×1) are held to their own scale.
 */
function gradientTolerance(expected: ArrayLike<number>): Tolerance {
  return { atol: Math.min(GRADIENT_TOL.atol!, 1e-5 * maxAbs(expected) + 1e-12), rtol: GRADIENT_TOL.rtol! };
}
/**
 * One Adam step vs the reference (lr 0.01), rounded to float32. Measured worst on any backend:
 * 3.0e-8 on the parameters (one ulp), 8.3e-9 on m, 4.5e-10 on v.
 */
const PARAMETER_TOL: Tolerance = { atol: 3e-7, rtol: 1e-6 };
const MOMENT_M_TOL: Tolerance = { atol: 1e-7, rtol: 1e-5 };
const MOMENT_V_TOL: Tolerance = { atol: 5e-9, rtol: 1e-5 };
/**
 * Final weights after 100 epochs (lr 0.01), max |diff|. The aim was < 1e-4; it holds with a wide
 * margin. Measured worst: 1.3e-6 between any backend and the reference run (mini-batch case; the
 * three float32 backends drift from the float64 run together), 3.6e-7 between two real backends
 * (full batch 17→51, tfjs-cpu vs the other two). 1e-5 leaves ~8× headroom, and is needed: subtle
 * mistakes injected into the assemblyscript backend moved the final weights by 9e-5 to 3e-3
 * (Adam ε 1e-6 for 1e-7: 9.1e-5; learning rate ×1.001: ≥4.6e-4; weight decay ×1.001: ≥9.5e-5;
 * β2 0.9989: ≥2.1e-4), so 1e-4 would have let some of them through.
 */
export const TRAINED_WEIGHTS_ABS = 1e-5;
/** Codes of the training data from those trained models, max |diff|. Measured worst: 1.8e-7. */
export const TRAINED_CODES_ABS = 2e-6;
/** Per-epoch losses of two runs. Measured worst relative: 1.3e-6 (tfjs-wasm, full batch 17→51). */
const TRAINED_LOSS_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };

const SIZES: { label: string; m: number; shape: LayerShape }[] = [
  { label: 'm=7, n=5, h=11', m: 7, shape: { inputSize: 5, hiddenSize: 11 } },
  { label: 'm=1, n=5, h=11', m: 1, shape: { inputSize: 5, hiddenSize: 11 } },
  { label: '1×1, m=1', m: 1, shape: { inputSize: 1, hiddenSize: 1 } },
  { label: 'm=33, n=17, h=51', m: 33, shape: { inputSize: 17, hiddenSize: 51 } },
];

/** A forward and gradient case: its size, the ranges of its random parameters and its seeds. */
interface NumericCase {
  label: string;
  m: number;
  shape: LayerShape;
  ranges: ParameterRanges;
  seeds: { forward: number; gradients: number };
}

/**
 * This suite's sizes with its seeds; the same sizes with the tfjs test's biases (±0.1) and seeds;
 * the AssemblyScript test's sizes with its wide parameters and seeds.
 */
const NUMERIC_CASES: NumericCase[] = [
  ...SIZES.map((s) => ({ ...s, ranges: {}, seeds: { forward: 101, gradients: 102 } })),
  ...SIZES.map((s) => ({ ...s, label: `${s.label}, biases ±0.1`, ranges: NARROW_BIASES, seeds: { forward: 1, gradients: 2 } })),
  ...STEP_CASES.map((c) => {
    const shape = { inputSize: c.n, hiddenSize: c.h };
    return { label: `${c.label}, wide`, m: c.m, shape, ranges: wide(shape), seeds: { forward: 11 * c.m + c.n, gradients: 13 * c.h + c.m } };
  }),
];

/** Adam moments as a resumed run has them: m of both signs, v ≥ 0, after `step` updates. */
function randomAdamState(seed: number, shape: LayerShape, step: number): ReferenceAdamState {
  const rng = mulberry32(seed);
  const m = zeroParameters64(shape);
  const v = zeroParameters64(shape);
  for (const k of PARAMETER_NAMES) {
    for (let i = 0; i < m[k].length; i++) {
      m[k][i] = Math.fround(0.2 * rng() - 0.1);
      v[k][i] = Math.fround(0.01 * rng() * rng());
    }
  }
  return { step, m, v };
}

/**
 * Runs the conformance cases against one backend.
 *
 * `name` labels the tests and keys the memo of trained models (fixtures.ts trainedWith): one name,
 * one backend. `float32` is false only for the float64 reference backend (contract.ts).
 *
 * @example
 * describeBackendConformance('tfjs-wasm', () => loadBackend('tfjs-wasm'));
 */
export function describeBackendConformance(name: string, load: () => Promise<KernelBackend>, { float32 = true } = {}): void {
  describe(`${name} backend conformance`, () => {
    let backend: KernelBackend;
    beforeAll(async () => {
      backend = await load();
    });

    describeSessionContract(name, () => backend, { terms: TERMS_TOL, float32 });
    describeOptimizerSteps(name, () => backend, {
      terms: TERMS_TOL,
      parameters: PARAMETER_TOL,
      // this suite's moment tolerances, or the AssemblyScript test's (1e-5 of the largest) where tighter
      momentM: (expected) => ({ atol: Math.min(MOMENT_M_TOL.atol!, 1e-5 * maxAbs(expected) + 1e-12), rtol: MOMENT_M_TOL.rtol! }),
      momentV: (expected) => ({ atol: Math.min(MOMENT_V_TOL.atol!, 1e-5 * maxAbs(expected) + 1e-16), rtol: MOMENT_V_TOL.rtol! }),
    });

    describe.each(NUMERIC_CASES)('$label', ({ m, shape, ranges, seeds }) => {
      it('should match the reference forward pass (hidden, output, decode)', () => {
        const { params: p, x } = randomParametersAndData(seeds.forward, shape, m, ranges);
        const session = backend.createSession(shape, p);
        expectForwardLikeReference(session, p, x, m, FORWARD_TOL, (what, actual, expected) =>
          report(`${name} ${m}×${shape.inputSize}×${shape.hiddenSize} ${what}`, actual, expected),
        );
        session.dispose();
      });

      it.each([SUM_LOSS, MEAN_LOSS])('should match the reference loss terms and gradients ($reduction)', (loss) => {
        const { params: p, x } = randomParametersAndData(seeds.gradients, shape, m, ranges);
        const session = backend.createSession(shape, p);
        const tag = `${name} ${m}×${shape.inputSize}×${shape.hiddenSize} ${loss.reduction}`;
        const tolerances = { terms: TERMS_TOL, meanActivation: FORWARD_TOL, gradients: gradientTolerance };
        expectGradientsLikeReference(session, p, x, m, loss, tolerances, (what, actual, expected) => report(`${tag} ${what}`, actual, expected));
        // The gradients must not have moved the parameters.
        expect(Array.from(session.getParameters().W1)).toEqual(Array.from(p.W1));
        session.dispose();
      });
    });

    describe.each([
      { label: 'from a fresh state, full batch', state: null, rows: null },
      { label: 'from a resumed state (step 4), on chosen rows', state: 4, rows: [6, 0, 3, 3] },
    ])('one Adam step $label', ({ state: resumeStep, rows }) => {
      it.each([SUM_LOSS, MEAN_LOSS])('should match referenceAdamStep: parameters, moments and step ($reduction)', (loss) => {
        const shape = { inputSize: 5, hiddenSize: 11 };
        const { params: p, x } = randomParametersAndData(103, shape, 7);
        const session = backend.createSession(shape, p);
        session.setTrainingData(x, 7);

        const state = resumeStep === null ? { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) } : randomAdamState(104, shape, resumeStep);
        if (resumeStep !== null) session.setOptimizerState({ step: state.step, m: toFloat32Parameters(state.m), v: toFloat32Parameters(state.v) });
        const indices = rows === null ? null : Uint32Array.from(rows);
        const batch = indices === null ? x : gatherRows(x, shape.inputSize, indices);
        const expected = referenceGradients(p, batch, indices?.length ?? 7, shape, loss);
        const terms = session.trainStep(indices, loss, ADAM);
        const ref = toParameters64(p);
        referenceAdamStep(ref, expected.gradients, state, ADAM);

        expectAllClose(termsArray(terms), termsArray(expected.terms), TERMS_TOL, 'loss terms before the update');
        const got = session.getParameters();
        const adam = session.getOptimizerState();
        expect(adam?.step).toBe(state.step);
        for (const k of PARAMETER_NAMES) {
          report(`${name} Adam ${resumeStep ?? 'fresh'} ${loss.reduction} ${k}`, got[k], ref[k]);
          report(`${name} Adam ${resumeStep ?? 'fresh'} ${loss.reduction} m.${k}`, adam!.m[k], state.m[k]);
          report(`${name} Adam ${resumeStep ?? 'fresh'} ${loss.reduction} v.${k}`, adam!.v[k], state.v[k]);
          expectAllClose(got[k], ref[k], PARAMETER_TOL, `${k} after the step`);
          expectAllClose(adam!.m[k], state.m[k], MOMENT_M_TOL, `Adam m.${k}`);
          expectAllClose(adam!.v[k], state.v[k], MOMENT_V_TOL, `Adam v.${k}`);
        }
        session.dispose();
      });
    });

    describe.each(TRAINING_CASES)('100 epochs: $label', (c) => {
      // The float64 reference backend (float32-rounded between steps) is the common yardstick;
      // the pairwise comparisons between real backends are in 'across backends' below.
      it('should end with the reference run’s weights, codes and losses', async () => {
        const [got, ref] = await Promise.all([trainedWith(name, load, c), trainedOn('reference', c)]);
        for (const k of PARAMETER_NAMES) {
          report(`${name} trained ${c.label} ${k} vs reference`, got.parameters[k], ref.parameters[k]);
          expectAllClose(got.parameters[k], ref.parameters[k], { atol: TRAINED_WEIGHTS_ABS, rtol: 0 }, `trained ${k}`);
        }
        report(`${name} trained ${c.label} codes vs reference`, got.codes, ref.codes);
        report(`${name} trained ${c.label} losses vs reference`, got.lossHistory, ref.lossHistory);
        expectAllClose(got.codes, ref.codes, { atol: TRAINED_CODES_ABS, rtol: 0 }, 'codes of the training data');
        expect(got.lossHistory).toHaveLength(100);
        expectAllClose(got.lossHistory, ref.lossHistory, TRAINED_LOSS_TOL, 'per-epoch loss');
        // Training actually moved the model: the loss fell.
        expect(got.lossHistory[99]!).toBeLessThan(got.lossHistory[0]!);
      });
    });
  });
}
