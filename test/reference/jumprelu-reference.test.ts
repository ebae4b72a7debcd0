/**
 * The jumprelu reference (src/reference/jumprelu-reference.ts): its forward pass, its loss against
 * central differences where it is differentiable (every parameter but θ, away from z = θ, where
 * the L0 term is locally constant), and θ's straight-through pseudo-derivatives against the
 * paper's formulas written out here independently.
 */
import { describe, expect, it } from 'vitest';
import type { LayerShape, LossConfig } from '../../src/backends/types.js';
import { jumpReluForward, jumpReluGradients, jumpReluLoss, rectangle } from '../../src/reference/jumprelu-reference.js';
import { referenceGradients, toParameters64, zeroParameters64 } from '../../src/reference/sae-reference.js';
import { PARAMETER_NAMES, randomParameters } from '../helpers/parameters.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference-checks.js';

const LOSS: LossConfig = { sparsityTarget: 0.1, sparsityWeight: 0, weightDecay: 0, reduction: 'sum', architecture: 'jumprelu', l0Coefficient: 0.3, bandwidth: 0.5 };

function setup(seed: number, shape: LayerShape, m: number) {
  const rng = mulberry32(seed);
  const p = toParameters64({ ...randomParameters(rng, shape, { weightLimit: 1, biasLimit: 0.3 }), theta: randomArray(rng, shape.hiddenSize, 0, 0.4) });
  const x = randomArray(rng, m * shape.inputSize, -1, 1);
  return { p, x };
}

describe('float64 reference: jumprelu', () => {
  it('should pass z above each unit\'s threshold and nothing at or below it', () => {
    const shape = { inputSize: 2, hiddenSize: 3 };
    const p = { ...zeroParameters64(shape), theta: Float64Array.from([0.5, 1, -1]) };
    p.W1.set([1, 0, 1, 0, 1, 0]); // z = [x0, x1, x0]
    const { pre, hidden } = jumpReluForward(p, [1, 1], 1, shape);
    expect(Array.from(pre)).toEqual([1, 1, 1]);
    expect(Array.from(hidden)).toEqual([1, 0, 1]); // z = θ passes nothing: H(0) = 0
    expect(jumpReluLoss(p, [1, 1], 1, shape, { ...LOSS, l0Coefficient: 2 }).sparsity).toBe(4); // λ·(1/m)·2 active
    expect(rectangle(0.49)).toBe(1);
    expect(rectangle(0.5)).toBe(0);
    expect(rectangle(-0.5)).toBe(0);
  });

  it.each([
    [4, 6, 7],
    [3, 5, 2],
    [1, 1, 3],
  ])('should match central differences in every parameter but θ (n=%i, h=%i, m=%i)', (n, h, m) => {
    const shape = { inputSize: n, hiddenSize: h };
    const { p, x } = setup(n * 100 + h, shape, m);
    // a step small enough that no z crosses its θ: the L0 term stays constant, the reconstruction is smooth
    const numeric = centralDifferences(p, x, m, shape, LOSS, 1e-6);
    const { gradients } = referenceGradients(p, x, m, shape, LOSS);
    for (const name of PARAMETER_NAMES) {
      for (let q = 0; q < p[name].length; q++) expect(gradients[name][q]!).toBeCloseTo(numeric[name][q]!, 5);
    }
  });

  it('should give θ the pseudo-derivatives of the JumpReLU and of the L0 term\'s Heaviside', () => {
    const shape = { inputSize: 5, hiddenSize: 8 };
    const m = 9;
    const { p, x } = setup(31, shape, m);
    const loss = { ...LOSS, bandwidth: 0.6 };
    const { gradients } = jumpReluGradients(p, x, m, shape, loss);
    const { pre: z, output } = jumpReluForward(p, x, m, shape);
    // δa_ij = Σ_c (2/m)(x̂ − x)_ic · W_dec[j,c]; then eq. 11 and 12 of Rajamanoharan et al. (2024)
    const eps = loss.bandwidth!;
    const lambda = loss.l0Coefficient!;
    let inKernel = 0;
    for (let j = 0; j < shape.hiddenSize; j++) {
      let expected = 0;
      for (let i = 0; i < m; i++) {
        let deltaA = 0;
        for (let c = 0; c < shape.inputSize; c++) deltaA += (2 / m) * (output[i * shape.inputSize + c]! - x[i * shape.inputSize + c]!) * p.W2[j * shape.inputSize + c]!;
        const u = (z[i * shape.hiddenSize + j]! - p.theta![j]!) / eps;
        if (Math.abs(u) < 0.5) {
          inKernel++;
          expected += deltaA * (-p.theta![j]! / eps) + (lambda / m) * (-1 / eps);
        }
      }
      expect(gradients.theta![j]!).toBeCloseTo(expected, 12);
    }
    expect(inKernel).toBeGreaterThan(5); // the kernel's window holds some z: the check is not vacuous
  });

  it('should give the L0 term\'s θ part alone when the reconstruction does not depend on the codes', () => {
    // W_dec = 0: δa = 0, so gθ_j = −λ/(m·ε) · #{i : |z_ij − θ_j| < ε/2}
    const shape = { inputSize: 1, hiddenSize: 1 };
    const p = { ...zeroParameters64(shape), theta: Float64Array.from([0.2]) };
    p.W1.set([1]);
    const x = [0.1, 0.25, 0.31, 0.9]; // z = x: within (0.2 ± 0.1): 0.25 only (0.1 and 0.31 outside)
    const { gradients } = jumpReluGradients(p, x, 4, shape, { ...LOSS, l0Coefficient: 2, bandwidth: 0.2 });
    expect(gradients.theta![0]).toBeCloseTo(-2 / (4 * 0.2), 12);
  });
});
