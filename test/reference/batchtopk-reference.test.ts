/**
 * The batchtopk and matryoshka reference (src/reference/batchtopk-reference.ts): the batch-wide
 * selection, the inference threshold, θ's running mean, and the loss against central differences
 * (the selection is piecewise constant: a step small enough keeps it), with and without dead units
 * (AuxK) and with nested groups (matryoshka's prefix losses).
 */
import { describe, expect, it } from 'vitest';
import { nextThreshold } from '../../src/architectures/batchtopk/threshold.js';
import type { LayerShape, LossConfig } from '../../src/backends/types.js';
import { batchTopKCodes, batchTopKForward, batchTopKGradients, batchTopKLoss, prefixEnds, thresholdAfterStep } from '../../src/reference/batchtopk-reference.js';
import { linearDecode } from '../../src/reference/linear-sae-reference.js';
import { referenceGradients, toParameters64, zeroParameters64 } from '../../src/reference/sae-reference.js';
import { PARAMETER_NAMES, randomParameters } from '../helpers/parameters.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { centralDifferences } from '../helpers/reference-checks.js';

const LOSS: LossConfig = { sparsityTarget: 0.1, sparsityWeight: 0, weightDecay: 0, reduction: 'sum', architecture: 'batchtopk', k: 2, auxK: 3, auxCoefficient: 0.4, deadSteps: 1, thresholdDecay: 0.9, thresholdStart: 2 };

function setup(seed: number, shape: LayerShape, m: number) {
  const rng = mulberry32(seed);
  const p = toParameters64({ ...randomParameters(rng, shape, { weightLimit: 1, biasLimit: 0.3 }), theta: Float32Array.from([0.3]), thetaSteps: new Float32Array(1) });
  const x = Float32Array.from(randomArray(rng, m * shape.inputSize, -1, 1));
  return { p, x };
}

describe('float64 reference: batchtopk and matryoshka', () => {
  it('should keep the k·m largest positive codes of the whole batch, ties to the lower flat index', () => {
    // 2 rows × 3 units, k = 1: keep 2 of 6; row 0 holds both largest, row 1 none
    expect(Array.from(batchTopKCodes([5, 4, -1, 3, 1, 2], 2, 3, 1))).toEqual([5, 4, 0, 0, 0, 0]);
    // ties: three 2s for the last of 2 places: the lowest flat index wins
    expect(Array.from(batchTopKCodes([1, 2, 9, 2, 2, 0], 2, 3, 1))).toEqual([0, 2, 9, 0, 0, 0]);
    // fewer positive values than k·m: every positive one, never a negative one
    expect(Array.from(batchTopKCodes([-1, 0.5, -2, -3], 2, 2, 2))).toEqual([0, 0.5, 0, 0]);
  });

  it('should encode at inference with one threshold for every unit: r ⊙ 1[r > θ]', () => {
    const shape = { inputSize: 2, hiddenSize: 3 };
    const p = { ...zeroParameters64(shape), theta: Float64Array.from([0.5]), thetaSteps: new Float64Array(1) };
    p.W1.set([1, 0, -1, 0, 1, 0]); // z = [x0, x1, −x0]
    expect(Array.from(batchTopKForward(p, [0.5, 2], 1, shape).hidden)).toEqual([0, 2, 0]); // z = θ passes nothing
    p.theta[0] = 0; // before θ's first update: ReLU codes
    expect(Array.from(batchTopKForward(p, [0.5, 2], 1, shape).hidden)).toEqual([0.5, 2, 0]);
    p.theta[0] = -1; // a negative θ still gives no negative code (r = max(z, 0) first, as dictionary_learning)
    expect(Array.from(batchTopKForward(p, [0.5, 2], 1, shape).hidden)).toEqual([0.5, 2, 0]);
  });

  it('should keep θ through the warm-up, take the first minimum, then average with β', () => {
    const loss = { thresholdDecay: 0.9, thresholdStart: 2 };
    let s = { theta: 0, steps: 0 };
    s = nextThreshold(s.theta, s.steps, 5, loss);
    expect(s).toEqual({ theta: 0, steps: 1 });
    s = nextThreshold(s.theta, s.steps, 5, loss);
    expect(s).toEqual({ theta: 0, steps: 2 });
    s = nextThreshold(s.theta, s.steps, 0.5, loss); // c = s: θ ← μ
    expect(s).toEqual({ theta: 0.5, steps: 3 });
    s = nextThreshold(s.theta, s.steps, 1.5, loss); // θ ← 0.9·0.5 + 0.1·1.5
    expect(s).toEqual({ theta: Math.fround(0.6), steps: 3 }); // the counter stops at s + 1
    expect(nextThreshold(0, 0, 0.7, { thresholdDecay: 0.5, thresholdStart: 0 })).toEqual({ theta: Math.fround(0.7), steps: 1 });
    // the reference's own rule (float64, μ found in the codes) agrees with the backends' function
    const codes = [0, 0.25, -1, 0.125, 3];
    for (const [theta, steps] of [[0, 0], [0, 2], [0.5, 3], [0.5, 7]] as const) {
      const reference = thresholdAfterStep(theta, steps, codes, { ...LOSS, thresholdStart: 2, thresholdDecay: 0.9 });
      const backends = nextThreshold(theta, steps, 0.125, loss);
      expect(Math.fround(reference.theta)).toBe(backends.theta);
      expect(reference.steps).toBe(backends.steps);
    }
    expect(thresholdAfterStep(0.5, 3, [0, -2], { ...LOSS, thresholdStart: 2, thresholdDecay: 0.9 }).theta).toBeCloseTo(0.45, 12); // no positive code: μ = 0
  });

  it('should make the matryoshka loss the mean of the weighted prefix losses (weights 1/G), batchtopk its one-group case', () => {
    const shape = { inputSize: 3, hiddenSize: 6 };
    const m = 4;
    const { p, x } = setup(7, shape, m);
    const groups = [1, 2, 3];
    expect(prefixEnds(groups, 6)).toEqual([1, 3, 6]);
    expect(prefixEnds(undefined, 6)).toEqual([6]);
    const a = batchTopKCodes(Array.from({ length: m * 6 }, (_, q) => {
      // z of these parameters
      const i = Math.floor(q / 6), j = q % 6;
      let s = p.b1[j]!;
      for (let c = 0; c < 3; c++) s += (x[i * 3 + c]! - p.b2[c]!) * p.W1[c * 6 + j]!;
      return s;
    }), m, 6, LOSS.k!);
    let expected = 0;
    for (const end of [1, 3, 6]) {
      const prefix = a.map((v, q) => ((q % 6) < end ? v : 0));
      const out = linearDecode(p, prefix, m, shape);
      let squared = 0;
      for (let q = 0; q < m * 3; q++) squared += (x[q]! - out[q]!) ** 2;
      expected += (1 / 3) * (squared / m);
    }
    const got = batchTopKLoss(p, x, m, shape, { ...LOSS, architecture: 'matryoshka', groupSizes: groups });
    expect(got.reconstruction).toBeCloseTo(expected / 3, 12);
    const one = batchTopKLoss(p, x, m, shape, LOSS);
    const out = linearDecode(p, a, m, shape);
    let squared = 0;
    for (let q = 0; q < m * 3; q++) squared += (x[q]! - out[q]!) ** 2;
    expect(one.reconstruction).toBeCloseTo(squared / m, 12);
  });

  it.each([
    ['batchtopk', undefined, null],
    ['batchtopk, every other unit dead (AuxK)', undefined, (j: number) => j % 2 === 0],
    ['matryoshka [2, 1, 4]', [2, 1, 4], null],
    ['matryoshka [3, 4], units 0 and 5 dead', [3, 4], (j: number) => j === 0 || j === 5],
  ] as const)('should match central differences in the dictionary\'s parameters (%s)', (_label, groupSizes, dead) => {
    const shape = { inputSize: 4, hiddenSize: 7 };
    const m = 5;
    const { p, x } = setup(91, shape, m);
    const loss: LossConfig = { ...LOSS, architecture: groupSizes ? 'matryoshka' : 'batchtopk', ...(groupSizes ? { groupSizes } : {}) };
    const state = dead ? { dead: Uint8Array.from({ length: 7 }, (_, j) => (dead(j) ? 1 : 0)) } : {};
    const { gradients, terms } = referenceGradients(p, x, m, shape, loss, state);
    if (dead) expect(terms.sparsity).toBeGreaterThan(0);
    // e = x − x̂ is held constant in the AuxK term (no gradient flows through it): the differences hold it too
    const numeric = centralDifferences(p, x, m, shape, loss, 1e-6, dead ? { ...state, residual: fixedResidual(p, x, m, shape) } : state);
    for (const name of PARAMETER_NAMES) {
      for (let q = 0; q < p[name].length; q++) expect(gradients[name][q]!, `${name}[${q}]`).toBeCloseTo(numeric[name][q]!, 5);
    }
    expect(Array.from(gradients.theta!)).toEqual([0]);
    expect(Array.from(gradients.thetaSteps!)).toEqual([0]);
  });

  it('should give the reference gradient of its own loss function (batchTopKGradients is what referenceGradients calls)', () => {
    const shape = { inputSize: 3, hiddenSize: 5 };
    const { p, x } = setup(3, shape, 4);
    const direct = batchTopKGradients(p, x, 4, shape, LOSS);
    const viaTable = referenceGradients(p, x, 4, shape, LOSS);
    expect(Array.from(viaTable.gradients.W1)).toEqual(Array.from(direct.gradients.W1));
  });
});

/** e = x − x̂ at these parameters (the AuxK term holds it constant). */
function fixedResidual(p: ReturnType<typeof setup>['p'], x: Float32Array, m: number, shape: LayerShape): Float64Array {
  const { inputSize: n, hiddenSize: h } = shape;
  const pre = new Float64Array(m * h);
  for (let i = 0; i < m; i++) for (let j = 0; j < h; j++) {
    let s = p.b1[j]!;
    for (let c = 0; c < n; c++) s += (x[i * n + c]! - p.b2[c]!) * p.W1[c * h + j]!;
    pre[i * h + j] = s;
  }
  const out = linearDecode(p, batchTopKCodes(pre, m, h, LOSS.k!), m, shape);
  return Float64Array.from(out, (v, q) => x[q]! - v);
}
