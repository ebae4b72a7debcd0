import { describe, expect, it } from 'vitest';
import type { LossConfig, LayerShape } from '../../src/backends/types.js';
import {
  gemmReference,
  referenceAdamStep,
  referenceForward,
  referenceGradients,
  referenceLoss,
  toParameters64,
  zeroParameters64,
  type Parameters64,
} from '../../src/reference/sae-reference.js';
import { PARAMETER_NAMES, randomParameters } from '../helpers/parameters.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference-checks.js';

/** Central differences of the reference loss for every parameter (step 1e-6). */
function numericalGradients(p: Parameters64, x: Float32Array, rows: number, shape: LayerShape, loss: LossConfig): Parameters64 {
  return centralDifferences(p, x, rows, shape, loss, 1e-6);
}

function relativeDifference(a: Parameters64, b: Parameters64): number {
  let num = 0;
  let den = 0;
  for (const name of PARAMETER_NAMES) {
    for (let k = 0; k < a[name].length; k++) {
      num += (a[name][k]! - b[name][k]!) ** 2;
      den += (a[name][k]! + b[name][k]!) ** 2;
    }
  }
  return Math.sqrt(num) / Math.sqrt(den);
}

describe('float64 reference', () => {
  it('should compute the three GEMM forms as their definitions say', () => {
    // A = [[1,2],[3,4]], B = [[5,6],[7,8]]
    const a = [1, 2, 3, 4];
    const b = [5, 6, 7, 8];
    expect(Array.from(gemmReference('nn', a, b, 2, 2, 2))).toEqual([19, 22, 43, 50]);
    expect(Array.from(gemmReference('tn', a, b, 2, 2, 2))).toEqual([26, 30, 38, 44]);
    expect(Array.from(gemmReference('nt', a, b, 2, 2, 2))).toEqual([17, 23, 39, 53]);
  });

  it('should give σ(b) everywhere when the weights are zero', () => {
    const shape = { inputSize: 2, hiddenSize: 3 };
    const p = zeroParameters64(shape);
    p.b1.set([0, 1, -1]);
    const { hidden, output } = referenceForward(p, [0.3, 0.7], 1, shape);
    expect(hidden[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(output[0]).toBe(0.5);
  });

  it('should give zero sparsity penalty when every mean activation equals the target', () => {
    const shape = { inputSize: 1, hiddenSize: 2 };
    const p = zeroParameters64(shape);
    const logit = Math.log(0.1 / 0.9); // σ(logit) = 0.1
    p.b1.fill(logit);
    const loss = referenceLoss(p, [0.5, 0.25], 2, shape, {
      sparsityTarget: 0.1,
      sparsityWeight: 3,
      weightDecay: 0,
      reduction: 'sum',
    });
    expect(loss.sparsity).toBeCloseTo(0, 12);
  });

  for (const reduction of ['sum', 'mean'] as const) {
    it(`should match central differences within 1e-7 (reduction ${reduction})`, () => {
      const rng = mulberry32(reduction === 'sum' ? 11 : 12);
      for (const [rows, n, h] of [
        [7, 5, 11],
        [1, 1, 1],
        [3, 4, 2],
      ] as const) {
        const shape = { inputSize: n, hiddenSize: h };
        const p = toParameters64(randomParameters(rng, shape, { weightLimit: 1, biasLimit: 0.5 }));
        const x = randomArray(rng, rows * n);
        const loss: LossConfig = { sparsityTarget: 0.1, sparsityWeight: 0.7, weightDecay: 0.3, reduction };
        const analytic = referenceGradients(p, x, rows, shape, loss).gradients;
        const numeric = numericalGradients(p, x, rows, shape, loss);
        expect(relativeDifference(analytic, numeric), `m=${rows} n=${n} h=${h}`).toBeLessThan(1e-7);
      }
    });
  }

  it('should take the Adam step of the formula, with bias correction at t = 1', () => {
    // At t = 1 with zero moments, m = (1−β1)g and v = (1−β2)g², so the step is lr·g/(|g| + ε/√(1−β2)).
    const shape = { inputSize: 1, hiddenSize: 1 };
    const p = zeroParameters64(shape);
    const g = zeroParameters64(shape);
    g.W1[0] = 0.5;
    g.b2[0] = -2;
    const state = { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) };
    referenceAdamStep(p, g, state, { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(state.step).toBe(1);
    expect(p.W1[0]).toBeCloseTo(-0.01 * (0.5 / (0.5 + 1e-7 / Math.sqrt(0.001))), 12);
    expect(p.b2[0]).toBeCloseTo(0.01 * (2 / (2 + 1e-7 / Math.sqrt(0.001))), 12);
    expect(p.b1[0]).toBe(0);
  });
});
