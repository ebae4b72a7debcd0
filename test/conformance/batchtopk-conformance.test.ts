/**
 * batchtopk (and matryoshka, its nested-groups variant) on every real backend against the float64
 * reference (src/reference/batchtopk-reference.ts): inference codes r ⊙ 1[r > θ] and encode equal
 * to forward's bit for bit, the training loss terms and gradients (the batch's k·m selection,
 * AuxK with dead units, matryoshka's prefix losses), and five Adam steps against the reference
 * backend stepping the same way (θ's running mean, its warm-up counter, the dead-unit bookkeeping
 * and the decoder renormalisation included). Tolerances as test/conformance/architectures.ts's.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { architectureModule } from '../../src/architectures/registry.js';
import type { Architecture, KernelBackend, LayerShape, LossConfig } from '../../src/backends/types.js';
import { deadMask } from '../../src/reference/linear-sae-reference.js';
import { referenceForward, referenceGradients } from '../../src/reference/sae-reference.js';
import { expectAllClose, type Tolerance } from '../helpers/allclose.js';
import { PARAMETER_NAMES, randomParametersAndData, termsArray } from '../helpers/parameters.js';
import { referenceBackend } from '../helpers/reference-backend.js';
import { ADAM } from '../helpers/training-settings.js';
import { REAL_BACKENDS, loadBackend, report } from './fixtures.js';
import { maxAbs } from './optimizer-steps.js';

const FORWARD_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };
const TERMS_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };
const gradientTolerance = (expected: ArrayLike<number>): Tolerance => ({ atol: 1e-5 * maxAbs(expected) + 1e-9, rtol: 1e-4 });
const STEPPED_TOL: Tolerance = { atol: 1e-5, rtol: 0 };

const BASE = { sparsityTarget: 0.1, sparsityWeight: 0, weightDecay: 0.1, reduction: 'sum', auxK: 4, auxCoefficient: 0.25, deadSteps: 2, thresholdDecay: 0.5, thresholdStart: 1 } as const;

interface Case {
  label: string;
  architecture: Architecture;
  loss: LossConfig;
  dead: ((j: number) => boolean) | null;
}

export const BATCH_CASES: Case[] = [
  { label: 'batchtopk', architecture: { architecture: 'batchtopk', k: 3 }, loss: { ...BASE, architecture: 'batchtopk', k: 3 }, dead: null },
  { label: 'batchtopk, every third unit dead', architecture: { architecture: 'batchtopk', k: 3 }, loss: { ...BASE, architecture: 'batchtopk', k: 3 }, dead: (j) => j % 3 === 0 },
];

/** matryoshka: three groups (the sizes fit the cases' h = 11 and h = 51 through groupsFor). */
const MATRYOSHKA: Case[] = [
  { label: 'matryoshka', architecture: { architecture: 'matryoshka', k: 3 }, loss: { ...BASE, architecture: 'matryoshka', k: 3 }, dead: null },
  { label: 'matryoshka, every third unit dead', architecture: { architecture: 'matryoshka', k: 3 }, loss: { ...BASE, architecture: 'matryoshka', k: 3 }, dead: (j) => j % 3 === 0 },
];

/** Three nested groups of h units (¼, ¼, the rest), for matryoshka's loss; other losses as they are. */
function withGroups(loss: LossConfig, h: number): LossConfig {
  if (loss.architecture !== 'matryoshka') return loss;
  const quarter = Math.max(1, Math.floor(h / 4));
  return { ...loss, groupSizes: [quarter, quarter, h - 2 * quarter] };
}

const SIZES: { m: number; shape: LayerShape }[] = [
  { m: 7, shape: { inputSize: 5, hiddenSize: 11 } },
  { m: 1, shape: { inputSize: 5, hiddenSize: 11 } },
  { m: 33, shape: { inputSize: 17, hiddenSize: 51 } },
];

/** Parameters of the architecture (the dictionary's, θ = 0.3, no step seen) and data with both signs. */
export function batchData(seed: number, shape: LayerShape, m: number, theta = 0.3) {
  const { params, x } = randomParametersAndData(seed, shape, m, { weightLimit: 0.8, biasLimit: 0.3 });
  return { params: { ...params, theta: Float32Array.from([theta]), thetaSteps: new Float32Array(1) }, x: x.map((v) => 3 * v - 1) };
}

const stepsFor = (c: Case, h: number) => Uint32Array.from({ length: h }, (_, j) => (c.dead?.(j) ? (c.loss.deadSteps ?? 1) : 0));

export function describeBatchConformance(name: string, load: () => Promise<KernelBackend>, cases: Case[]): void {
  describe(`${name} backend: ${cases[0]!.architecture.architecture} against the reference`, () => {
    let backend: KernelBackend;
    beforeAll(async () => {
      backend = await load();
    });
    const names = [...PARAMETER_NAMES, 'theta', 'thetaSteps'];

    describe.each(cases)('$label', (c) => {
      it.each(SIZES)('should match the reference: inference codes, training loss terms and gradients (m=$m)', ({ m, shape }) => {
        const { params: p, x } = batchData(701 + m, shape, m);
        const session = backend.createSession(shape, p, c.architecture);
        const tag = `${name} ${c.label} ${m}×${shape.inputSize}×${shape.hiddenSize}`;
        const { hidden, output } = session.forward(x, m);
        const ref = referenceForward(p, x, m, shape, c.architecture);
        expectAllClose(hidden, ref.hidden, FORWARD_TOL, 'hidden');
        expectAllClose(output, ref.output, FORWARD_TOL, 'output');
        expect(hidden.some((v) => v > 0) && hidden.some((v, q) => v === 0 && ref.hidden[q] === 0)).toBe(true);
        expect(Array.from(session.encode(x, m))).toEqual(Array.from(hidden));
        const steps = stepsFor(c, shape.hiddenSize);
        session.setStepsSinceFired(steps);
        const loss = withGroups(c.loss, shape.hiddenSize);
        const got = session.gradients(x, m, loss);
        const expected = referenceGradients(p, x, m, shape, loss, { dead: deadMask(steps, c.loss.deadSteps ?? 1) });
        report(`${tag} terms`, termsArray(got.terms), termsArray(expected.terms));
        expectAllClose(termsArray(got.terms), termsArray(expected.terms), TERMS_TOL, 'loss terms');
        if (c.dead !== null) expect(got.terms.sparsity).toBeGreaterThan(0);
        if (loss.groupSizes) expect(got.terms.reconstruction).not.toBeCloseTo(referenceGradients(p, x, m, shape, { ...loss, groupSizes: [shape.hiddenSize] }, {}).terms.reconstruction, 3);
        expectAllClose(got.meanActivation, expected.meanActivation, FORWARD_TOL, 'meanActivation');
        // the training codes keep k·m of the batch (meanActivation is theirs)
        for (const k of names) {
          report(`${tag} g${k}`, got.gradients[k]!, expected.gradients[k]!);
          expectAllClose(got.gradients[k]!, expected.gradients[k]!, gradientTolerance(expected.gradients[k]!), `gradient ${k}`);
        }
        session.dispose();
      });

      it('should take five Adam steps as the reference backend does (θ\'s running mean, dead units and renormalisation included)', () => {
        const shape = { inputSize: 5, hiddenSize: 11 };
        const { params: p, x } = batchData(801, shape, 9, 0);
        const sessions = [backend.createSession(shape, p, c.architecture), referenceBackend.createSession(shape, p, c.architecture)];
        for (const s of sessions) {
          s.setTrainingData(x, 9);
          s.setStepsSinceFired(stepsFor(c, shape.hiddenSize));
        }
        for (const r of [null, Uint32Array.from([0, 4, 8]), null, Uint32Array.from([2, 2, 7, 1]), null]) {
          const [got, ref] = sessions.map((s) => s.trainStep(r, withGroups(c.loss, shape.hiddenSize), { ...ADAM, learningRate: 0.01 }));
          expectAllClose(termsArray(got!), termsArray(ref!), TERMS_TOL, 'loss terms');
        }
        const [got, ref] = sessions.map((s) => s.getParameters());
        for (const k of names) {
          report(`${name} ${c.label} stepped ${k}`, got![k]!, ref![k]!);
          expectAllClose(got![k]!, ref![k]!, STEPPED_TOL, `${k} after five steps`);
        }
        expect(got!.theta![0]).toBeGreaterThan(0); // θ started after one step of warm-up
        expect(Array.from(got!.thetaSteps!)).toEqual([2]); // the counter stops at thresholdStart + 1
        expect(Array.from(sessions[0]!.getStepsSinceFired())).toEqual(Array.from(sessions[1]!.getStepsSinceFired()));
        for (let j = 0; j < shape.hiddenSize; j++) {
          let s = 0;
          for (let q = 0; q < shape.inputSize; q++) s += got!.W2[j * shape.inputSize + q]! ** 2;
          expect(Math.sqrt(s)).toBeCloseTo(1, 6);
        }
        for (const s of sessions) s.dispose();
      });
    });

    it('should encode from exactly the parameters the module declares as the encoder\'s', () => {
      const shape = { inputSize: 6, hiddenSize: 13 };
      const { params: p, x } = batchData(611, shape, 5, 0.1);
      const a = cases[0]!.architecture;
      const specs = architectureModule(a.architecture).parameters(shape);
      const codesWith = (changed: string | null) => {
        const params = Object.fromEntries(specs.map((spec) => [spec.name, p[spec.name as keyof typeof p]!.map((v) => (spec.name === changed ? v + 0.25 : v))]));
        const session = backend.createSession(shape, params as typeof p, a);
        const codes = Array.from(session.encode(x, 5));
        session.dispose();
        return codes;
      };
      const base = codesWith(null);
      for (const spec of specs) {
        if (spec.encoder) expect(codesWith(spec.name), `${spec.name} is read by encode`).not.toEqual(base);
        else expect(codesWith(spec.name), `${spec.name} is not read by encode`).toEqual(base);
      }
    });

    it('should refuse a bad k, a θ of the wrong size and bad running-mean fields', () => {
      const shape = { inputSize: 2, hiddenSize: 3 };
      const { params: p, x } = batchData(5, shape, 2);
      const a = cases[0]!;
      expect(() => backend.createSession(shape, p, { ...a.architecture, k: 4 })).toThrow(/k must be an integer from 1 to hiddenSize = 3, got 4/);
      expect(() => backend.createSession(shape, { ...p, theta: new Float32Array(3) }, a.architecture)).toThrow(/theta must be a Float32Array of 1 value/);
      const session = backend.createSession(shape, p, a.architecture);
      if (a.architecture.architecture === 'matryoshka') {
        expect(() => session.gradients(x, 2, { ...a.loss, groupSizes: [1, 1] })).toThrow(/gradients: loss.groupSizes must sum to the hidden size 3 \(the groups split the dictionary\), got 1 \+ 1 = 2/);
        expect(() => session.gradients(x, 2, { ...a.loss, groupSizes: [3, 0] })).toThrow(/loss.groupSizes \[1\] must be an integer ≥ 1/);
      }
      const good = withGroups(a.loss, 3);
      expect(() => session.gradients(x, 2, good)).not.toThrow();
      expect(() => session.gradients(x, 2, { ...a.loss, thresholdDecay: 1 })).toThrow(/loss.thresholdDecay must be a number in \[0, 1\), got 1/);
      expect(() => session.gradients(x, 2, { ...a.loss, thresholdStart: -1 })).toThrow(/loss.thresholdStart must be an integer from 0/);
      session.dispose();
    });
  });
}

for (const name of REAL_BACKENDS) describeBatchConformance(name, () => loadBackend(name), BATCH_CASES);
for (const name of REAL_BACKENDS) describeBatchConformance(name, () => loadBackend(name), MATRYOSHKA);
