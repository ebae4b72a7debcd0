/**
 * Assertions that a backend session computes what the float64 reference does, shared by the
 * backend tests and the conformance suite (each with its own tolerances).
 */
import type { BackendSession, LayerShape, LossConfig, Parameters } from '../../src/backends/types.js';
import { referenceForward, referenceGradients, referenceLoss, zeroParameters64, type Parameters64 } from '../../src/reference/sae-reference.js';
import type { LinearLossState } from '../../src/reference/linear-sae-reference.js';
import { expectAllClose, type Tolerance } from './allclose.js';
import { PARAMETER_NAMES, termsArray } from './parameters.js';

/** Sees each pair of values before it is compared (the conformance suite prints the differences). */
export type Observe = (what: string, actual: ArrayLike<number>, expected: ArrayLike<number>) => void;

/**
 * Runs `session.forward` on x, and `session.decode` on the hidden codes it gave, and asserts
 * that hidden, output and decode match referenceForward within `tolerance`.
 * `observe` sees 'hidden' and 'output'.
 */
export function expectForwardLikeReference(
  session: BackendSession,
  params: Parameters,
  x: Float32Array,
  rows: number,
  tolerance: Tolerance,
  observe?: Observe,
): void {
  const { hidden, output } = session.forward(x, rows);
  const ref = referenceForward(params, x, rows, session.shape);
  observe?.('hidden', hidden, ref.hidden);
  observe?.('output', output, ref.output);
  expectAllClose(hidden, ref.hidden, tolerance, 'hidden');
  expectAllClose(output, ref.output, tolerance, 'output');
  expectAllClose(session.decode(hidden, rows), ref.output, tolerance, 'decode');
}

export interface GradientTolerances {
  terms: Tolerance;
  meanActivation: Tolerance;
  /** One tolerance for every gradient, or one made from each expected gradient (e.g. scaled by its largest element). */
  gradients: Tolerance | ((expected: ArrayLike<number>) => Tolerance);
}

/**
 * Runs `session.gradients` on x and asserts that the loss terms, the mean activation and the four
 * gradients match referenceGradients. `observe` sees 'terms' and 'gW1', 'gb1', 'gW2', 'gb2'.
 */
export function expectGradientsLikeReference(
  session: BackendSession,
  params: Parameters,
  x: Float32Array,
  rows: number,
  loss: LossConfig,
  tolerances: GradientTolerances,
  observe?: Observe,
): void {
  const got = session.gradients(x, rows, loss);
  const ref = referenceGradients(params, x, rows, session.shape, loss);
  observe?.('terms', termsArray(got.terms), termsArray(ref.terms));
  for (const k of PARAMETER_NAMES) observe?.(`g${k}`, got.gradients[k], ref.gradients[k]);
  expectAllClose(termsArray(got.terms), termsArray(ref.terms), tolerances.terms, 'loss terms');
  expectAllClose(got.meanActivation, ref.meanActivation, tolerances.meanActivation, 'meanActivation');
  const { gradients } = tolerances;
  for (const k of PARAMETER_NAMES) {
    const tolerance = typeof gradients === 'function' ? gradients(ref.gradients[k]) : gradients;
    expectAllClose(got.gradients[k], ref.gradients[k], tolerance, `gradient ${k}`);
  }
}

/**
 * Central differences (f(p + step) − f(p − step)) / 2·step of the float64 referenceLoss for every
 * parameter, in float64. `p` is moved and put back. `state` is what the loss holds constant (relu
 * and topk: the dead units and the AuxK residual).
 */
export function centralDifferences(p: Parameters64, x: Float32Array, rows: number, shape: LayerShape, loss: LossConfig, step: number, state: LinearLossState = {}): Parameters64 {
  const out = zeroParameters64(shape);
  for (const name of PARAMETER_NAMES) {
    for (let k = 0; k < p[name].length; k++) {
      const saved = p[name][k]!;
      p[name][k] = saved + step;
      const up = referenceLoss(p, x, rows, shape, loss, state).loss;
      p[name][k] = saved - step;
      const down = referenceLoss(p, x, rows, shape, loss, state).loss;
      p[name][k] = saved;
      out[name][k] = (up - down) / (2 * step);
    }
  }
  return out;
}
