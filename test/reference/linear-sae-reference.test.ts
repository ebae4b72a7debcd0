import { describe, expect, it } from 'vitest';
import type { LayerShape, LossConfig } from '../../src/backends/types.js';
import {
  auxCodes,
  deadMask,
  decoderNorms,
  linearForward,
  renormalizeDecoder,
  residualOf,
  topMask,
  updateStepsSinceFired,
} from '../../src/reference/linear-sae-reference.js';
import { referenceForward, referenceGradients, referenceLoss, toParameters64, zeroParameters64, type Parameters64 } from '../../src/reference/sae-reference.js';
import { PARAMETER_NAMES, randomParameters } from '../helpers/parameters.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference-checks.js';

const base = { sparsityTarget: 0.1, weightDecay: 0.3, reduction: 'sum' } as const;

function relativeDifference(a: Parameters64, b: Parameters64): number {
  let num = 0;
  let den = 0;
  for (const name of PARAMETER_NAMES) {
    for (let q = 0; q < a[name].length; q++) {
      num += (a[name][q]! - b[name][q]!) ** 2;
      den += (a[name][q]! + b[name][q]!) ** 2;
    }
  }
  return Math.sqrt(num) / Math.sqrt(den);
}

const SHAPES = [
  [7, 5, 11],
  [1, 1, 1],
  [3, 4, 2],
  [6, 3, 9],
] as const;

describe('float64 reference: relu and topk', () => {
  it('should encode (x − b_dec)·W_enc + b_enc through max(·, 0) and decode linearly', () => {
    const shape = { inputSize: 2, hiddenSize: 2 };
    const p = zeroParameters64(shape);
    p.W1.set([1, 0, 0, 1]); // identity encoder
    p.b1.set([0, -1]);
    p.W2.set([2, 0, 0, 3]);
    p.b2.set([0.5, 0.5]);
    // z = (x − 0.5) + b_enc = [1.5, 0.5 − 1] = [1.5, −0.5]; a = [1.5, 0]; x̂ = [3 + 0.5, 0 + 0.5]
    const { pre, hidden, output } = linearForward(p, [2, 1], 1, shape, { architecture: 'relu', k: 0 });
    expect(Array.from(pre)).toEqual([1.5, -0.5]);
    expect(Array.from(hidden)).toEqual([1.5, 0]);
    expect(Array.from(output)).toEqual([3.5, 0.5]);
    // referenceForward dispatches on the architecture; the sigmoid default is untouched
    expect(Array.from(referenceForward(p, [2, 1], 1, shape, { architecture: 'relu', k: 0 }).output)).toEqual([3.5, 0.5]);
    expect(referenceForward(p, [2, 1], 1, shape).output[0]).not.toBe(3.5);
  });

  it('should keep each row\'s k largest pre-activations, ties to the lower index, and drop negative ones', () => {
    const z = [3, 1, 3, 2, /* row 2 */ -1, -2, 0.5, -3];
    expect(Array.from(topMask(z, 2, 4, 2))).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
    expect(Array.from(topMask([1, 1, 1, 1], 1, 4, 3))).toEqual([1, 1, 1, 0]);
    expect(Array.from(topMask([5, 4, 3, 2], 1, 4, 2, Uint8Array.from([0, 1, 0, 1])))).toEqual([0, 1, 0, 1]);
    const shape = { inputSize: 4, hiddenSize: 4 };
    const p = zeroParameters64(shape);
    p.W1.set([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const { hidden } = linearForward(p, z, 2, shape, { architecture: 'topk', k: 2 });
    expect(Array.from(hidden)).toEqual([3, 0, 3, 0, 0, 0, 0.5, 0]);
  });

  it('should give every row exactly k non-zero codes wherever k pre-activations are positive', () => {
    const rng = mulberry32(5);
    const shape = { inputSize: 6, hiddenSize: 20 };
    const p = toParameters64(randomParameters(rng, shape, { weightLimit: 1, biasLimit: 0.5 }));
    const rows = 40;
    const x = randomArray(rng, rows * shape.inputSize, -1, 1);
    for (const k of [1, 3, 7, 10]) {
      const { pre, hidden } = linearForward(p, x, rows, shape, { architecture: 'topk', k });
      let checked = 0;
      for (let i = 0; i < rows; i++) {
        const positive = Array.from(pre.subarray(i * 20, (i + 1) * 20)).filter((v) => v > 0).length;
        const l0 = Array.from(hidden.subarray(i * 20, (i + 1) * 20)).filter((v) => v !== 0).length;
        expect(l0, `row ${i}, k ${k}`).toBe(Math.min(k, positive));
        if (positive >= k) checked++;
      }
      expect(checked).toBeGreaterThan(0);
    }
  });

  it('should take the L1 penalty weighted by decoder row norms, and no weight decay', () => {
    const shape = { inputSize: 2, hiddenSize: 2 };
    const p = zeroParameters64(shape);
    p.W1.set([1, 0, 0, 1]);
    p.W2.set([3, 4, 0, 2]); // row norms 5 and 2
    const x = [1, 2, /* row 2 */ 0, 1];
    const terms = referenceLoss(p, x, 2, shape, { ...base, architecture: 'relu', sparsityWeight: 0.5 });
    // a = x (non-negative), x̂ = [3 + 0, 4 + 4] and [0, 2]; errors [2, 6] and [0, 1]
    expect(terms.reconstruction).toBeCloseTo((4 + 36 + 0 + 1) / 2, 12);
    expect(terms.sparsity).toBeCloseTo((0.5 * (1 * 5 + 2 * 2 + 0 * 5 + 1 * 2)) / 2, 12);
    expect(terms.weightDecay).toBe(0);
  });

  it('should reconstruct the residual from the auxK largest dead pre-activations, and give 0 with no dead unit', () => {
    const z = Float64Array.from([4, 3, 2, 1, -1]);
    expect(Array.from(auxCodes(z, 1, 5, 2, Uint8Array.from([1, 0, 1, 1, 1])))).toEqual([4, 0, 2, 0, 0]);
    expect(Array.from(auxCodes(z, 1, 5, 9, Uint8Array.from([0, 0, 0, 0, 1])))).toEqual([0, 0, 0, 0, 0]);
    const shape = { inputSize: 3, hiddenSize: 5 };
    const p = toParameters64(randomParameters(mulberry32(2), shape, { weightLimit: 1, biasLimit: 0.5 }));
    const x = randomArray(mulberry32(3), 4 * 3);
    const loss: LossConfig = { ...base, sparsityWeight: 0, architecture: 'topk', k: 2, auxK: 2, auxCoefficient: 0.25, deadSteps: 3 };
    expect(referenceLoss(p, x, 4, shape, loss).sparsity).toBe(0);
    expect(referenceLoss(p, x, 4, shape, loss, { dead: new Uint8Array(5) }).sparsity).toBe(0);
    expect(referenceLoss(p, x, 4, shape, loss, { dead: Uint8Array.from([1, 1, 1, 1, 1]) }).sparsity).toBeGreaterThan(0);
  });

  function gradientCheck(loss: LossConfig, seed: number, deadOf?: (h: number) => Uint8Array): void {
    const rng = mulberry32(seed);
    for (const [rows, n, h] of SHAPES) {
      const shape: LayerShape = { inputSize: n, hiddenSize: h };
      const p = toParameters64(randomParameters(rng, shape, { weightLimit: 1, biasLimit: 0.5 }));
      const x = randomArray(rng, rows * n, -1, 2);
      const k = Math.min(loss.k ?? 1, h);
      const config = { ...loss, k };
      const dead = deadOf?.(h) ?? null;
      // the AuxK residual is held at its value for these parameters, as the loss defines it
      const residual = dead && residualOf(x, linearForward(p, x, rows, shape, { architecture: 'topk', k }).output);
      const state = { dead, residual };
      const analytic = referenceGradients(p, x, rows, shape, config, state).gradients;
      const numeric = centralDifferences(p, x, rows, shape, config, 1e-6, state);
      expect(relativeDifference(analytic, numeric), `m=${rows} n=${n} h=${h}`).toBeLessThan(1e-7);
    }
  }

  it('should match central differences within 1e-7 (relu)', () => {
    gradientCheck({ ...base, architecture: 'relu', sparsityWeight: 0.7 }, 21);
    gradientCheck({ ...base, architecture: 'relu', sparsityWeight: 0 }, 22);
  });

  it('should match central differences within 1e-7 (topk, no dead unit)', () => {
    gradientCheck({ ...base, sparsityWeight: 0.7, architecture: 'topk', k: 3, auxK: 4, auxCoefficient: 1 / 32, deadSteps: 5 }, 23);
  });

  it('should match central differences within 1e-7 (topk with dead units and the AuxK loss)', () => {
    // every other unit dead; a large coefficient so that the AuxK gradient is not lost in the rest
    const everyOther = (h: number) => Uint8Array.from({ length: h }, (_, j) => (j % 2 === 0 ? 1 : 0));
    gradientCheck({ ...base, sparsityWeight: 0, architecture: 'topk', k: 2, auxK: 2, auxCoefficient: 0.5, deadSteps: 1 }, 24, everyOther);
    gradientCheck({ ...base, sparsityWeight: 0, architecture: 'topk', k: 1, auxK: 8, auxCoefficient: 2, deadSteps: 1 }, 25, (h) => new Uint8Array(h).fill(1));
  });

  it('should scale every decoder row to unit norm, leaving a zero row alone', () => {
    const shape = { inputSize: 2, hiddenSize: 3 };
    const p = zeroParameters64(shape);
    p.W2.set([3, 4, 0, 0, -1, 1]);
    renormalizeDecoder(p, shape);
    expect(Array.from(p.W2)).toEqual([0.6, 0.8, 0, 0, -1 / Math.SQRT2, 1 / Math.SQRT2]);
    expect(Array.from(decoderNorms(p, shape)).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1, 0, 1]);
  });

  it('should count the steps since each unit fired and call it dead after deadSteps of them', () => {
    const steps = new Uint32Array(3);
    updateStepsSinceFired(steps, [0, 1, 0, /* row 2 */ 0, 0, 0], 2, 3);
    updateStepsSinceFired(steps, [0, 0, 2], 1, 3);
    expect(Array.from(steps)).toEqual([2, 1, 0]);
    expect(Array.from(deadMask(steps, 2))).toEqual([1, 0, 0]);
    expect(Array.from(deadMask(steps, 1))).toEqual([1, 1, 0]);
  });
});
