/**
 * The relu and topk models on one backend, against the float64 reference
 * (src/reference/linear-sae-reference.ts): forward (codes, x̂, decode), loss terms and gradients
 * (topk with and without dead units, so the AuxK term is exercised), and training steps (the
 * dead-unit bookkeeping and topk's decoder renormalisation included) against the reference
 * backend stepping the same way.
 *
 * Tolerances: element i passes when |actual − expected| ≤ atol + rtol·|expected|. CONFORMANCE_REPORT=1
 * prints the measured differences; the figure beside each tolerance is the worst measured.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { architectureModule } from '../../src/architectures/registry.js';
import type { Architecture, KernelBackend, LayerShape, LossConfig } from '../../src/backends/types.js';
import { gatedForward } from '../../src/reference/gated-reference.js';
import { deadMask } from '../../src/reference/linear-sae-reference.js';
import { referenceForward, referenceGradients } from '../../src/reference/sae-reference.js';
import { expectAllClose, type Tolerance } from '../helpers/allclose.js';
import { PARAMETER_NAMES, randomParametersAndData, termsArray } from '../helpers/parameters.js';
import { referenceBackend } from '../helpers/reference-backend.js';
import { ADAM } from '../helpers/training-settings.js';
import { report } from './fixtures.js';
import { maxAbs } from './optimizer-steps.js';

/** Codes and outputs: float32 sums of ≤ 51 products. Measured worst: 9.7e-7 (codes), 2.4e-6 (x̂, 33×17×51). */
const FORWARD_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Loss terms. Measured worst: 6.9e-5 absolute on a reconstruction term of ≈ 10², tfjs-wasm (< 1e-6 relative). */
const TERMS_TOL: Tolerance = { atol: 1e-6, rtol: 1e-5 };
/** Gradients: 1e-5 of the largest expected gradient absolute, 1e-4 relative. Measured worst: 1.6e-5 absolute (gb_dec, tfjs-wasm, 33×17×51, gradients of ≈ 10²). */
function gradientTolerance(expected: ArrayLike<number>): Tolerance {
  return { atol: 1e-5 * maxAbs(expected) + 1e-9, rtol: 1e-4 };
}
/** Parameters after five Adam steps (lr 0.01) against the reference backend's. Measured worst: 1.2e-7. */
const STEPPED_TOL: Tolerance = { atol: 1e-5, rtol: 0 };

const BASE = { sparsityTarget: 0.1, weightDecay: 0.1, reduction: 'sum' } as const;

interface ArchitectureCase {
  label: string;
  architecture: Architecture;
  loss: LossConfig;
  /** Units marked dead (steps since fired ≥ deadSteps) before the check; null: none. */
  dead: ((h: number) => boolean) | null;
}

const CASES: ArchitectureCase[] = [
  { label: 'relu', architecture: { architecture: 'relu', k: 0 }, loss: { ...BASE, architecture: 'relu', sparsityWeight: 0.3 }, dead: null },
  {
    label: 'topk',
    architecture: { architecture: 'topk', k: 3 },
    loss: { ...BASE, sparsityWeight: 0.3, architecture: 'topk', k: 3, auxK: 4, auxCoefficient: 0.25, deadSteps: 2 },
    dead: null,
  },
  {
    label: 'topk, every third unit dead',
    architecture: { architecture: 'topk', k: 3 },
    loss: { ...BASE, sparsityWeight: 0.3, architecture: 'topk', k: 3, auxK: 4, auxCoefficient: 0.25, deadSteps: 2 },
    dead: (j) => j % 3 === 0,
  },
];

const SIZES: { m: number; shape: LayerShape }[] = [
  { m: 7, shape: { inputSize: 5, hiddenSize: 11 } },
  { m: 1, shape: { inputSize: 5, hiddenSize: 11 } },
  { m: 33, shape: { inputSize: 17, hiddenSize: 51 } },
];

function stepsFor(c: ArchitectureCase, h: number): Uint32Array {
  return Uint32Array.from({ length: h }, (_, j) => (c.dead?.(j) ? (c.loss.deadSteps ?? 1) : 0));
}

/** Data with both signs and an offset (the linear models take any finite values). */
function dataFor(seed: number, shape: LayerShape, m: number) {
  const { params, x } = randomParametersAndData(seed, shape, m, { weightLimit: 0.8, biasLimit: 0.3 });
  return { params, x: x.map((v) => 3 * v - 1) };
}

export function describeArchitectureConformance(name: string, load: () => Promise<KernelBackend>): void {
  describe(`${name} backend: relu and topk against the reference`, () => {
    let backend: KernelBackend;
    beforeAll(async () => {
      backend = await load();
    });

    describe.each(CASES)('$label', (c) => {
      it.each(SIZES)('should match the reference forward pass, loss terms and gradients (m=$m)', ({ m, shape }) => {
        const { params: p, x } = dataFor(201 + m, shape, m);
        const session = backend.createSession(shape, p, c.architecture);
        const tag = `${name} ${c.label} ${m}×${shape.inputSize}×${shape.hiddenSize}`;
        const { hidden, output } = session.forward(x, m);
        const ref = referenceForward(p, x, m, shape, c.architecture);
        report(`${tag} hidden`, hidden, ref.hidden);
        report(`${tag} output`, output, ref.output);
        expectAllClose(hidden, ref.hidden, FORWARD_TOL, 'hidden');
        expectAllClose(output, ref.output, FORWARD_TOL, 'output');
        expectAllClose(session.decode(hidden, m), ref.output, FORWARD_TOL, 'decode');

        const steps = stepsFor(c, shape.hiddenSize);
        session.setStepsSinceFired(steps);
        const got = session.gradients(x, m, c.loss);
        const expected = referenceGradients(p, x, m, shape, c.loss, { dead: deadMask(steps, c.loss.deadSteps ?? 1) });
        report(`${tag} terms`, termsArray(got.terms), termsArray(expected.terms));
        expectAllClose(termsArray(got.terms), termsArray(expected.terms), TERMS_TOL, 'loss terms');
        if (c.dead !== null) expect(got.terms.sparsity).toBeGreaterThan(0);
        expectAllClose(got.meanActivation, expected.meanActivation, FORWARD_TOL, 'meanActivation');
        for (const k of PARAMETER_NAMES) {
          report(`${tag} g${k}`, got.gradients[k], expected.gradients[k]);
          expectAllClose(got.gradients[k], expected.gradients[k], gradientTolerance(expected.gradients[k]), `gradient ${k}`);
        }
        expect(Array.from(session.getStepsSinceFired())).toEqual(Array.from(steps));
        session.dispose();
      });

      it('should take five Adam steps as the reference backend does (bookkeeping and renormalisation included)', () => {
        const shape = { inputSize: 5, hiddenSize: 11 };
        const { params: p, x } = dataFor(301, shape, 9);
        const sessions = [backend.createSession(shape, p, c.architecture), referenceBackend.createSession(shape, p, c.architecture)];
        for (const s of sessions) {
          s.setTrainingData(x, 9);
          s.setStepsSinceFired(stepsFor(c, shape.hiddenSize));
        }
        const rows = [null, Uint32Array.from([0, 4, 8]), null, Uint32Array.from([2, 2, 7, 1]), null];
        for (const r of rows) {
          const [got, ref] = sessions.map((s) => s.trainStep(r, c.loss, { ...ADAM, learningRate: 0.01 }));
          expectAllClose(termsArray(got!), termsArray(ref!), TERMS_TOL, 'loss terms');
        }
        const [got, ref] = sessions.map((s) => s.getParameters());
        for (const k of PARAMETER_NAMES) {
          report(`${name} ${c.label} stepped ${k}`, got![k], ref![k]);
          expectAllClose(got![k], ref![k], STEPPED_TOL, `${k} after five steps`);
        }
        expect(Array.from(sessions[0]!.getStepsSinceFired())).toEqual(Array.from(sessions[1]!.getStepsSinceFired()));
        if (c.architecture.architecture === 'topk') {
          // every decoder row has unit norm after a topk step
          for (let j = 0; j < shape.hiddenSize; j++) {
            let s = 0;
            for (let q = 0; q < shape.inputSize; q++) s += got!.W2[j * shape.inputSize + q]! ** 2;
            expect(Math.sqrt(s)).toBeCloseTo(1, 6);
          }
        }
        for (const s of sessions) s.dispose();
      });
    });

    it('should refuse a loss for another architecture than the session\'s, and a bad k', () => {
      const shape = { inputSize: 2, hiddenSize: 3 };
      const { params: p, x } = dataFor(5, shape, 2);
      const session = backend.createSession(shape, p, { architecture: 'relu', k: 0 });
      expect(() => session.gradients(x, 2, { ...BASE, sparsityWeight: 0 })).toThrow(/loss is for sigmoid but the session computes relu/);
      expect(() => backend.createSession(shape, p, { architecture: 'topk', k: 4 })).toThrow(/k must be an integer from 1 to hiddenSize = 3, got 4/);
      session.dispose();
    });
  });

  describe(`${name} backend: jumprelu against the reference`, () => {
    let backend: KernelBackend;
    beforeAll(async () => {
      backend = await load();
    });
    const architecture = { architecture: 'jumprelu', k: 0 } as const;
    const loss: LossConfig = { ...BASE, sparsityWeight: 0, architecture: 'jumprelu', l0Coefficient: 0.2, bandwidth: 0.3 };
    /** The dictionary of dataFor and thresholds in [0, 0.6): some units fire, some do not, some z lie in the kernel's window. */
    const jumpData = (seed: number, shape: LayerShape, m: number) => {
      const { params, x } = dataFor(seed, shape, m);
      return { params: { ...params, theta: Float32Array.from({ length: shape.hiddenSize }, (_, j) => (0.6 * ((j * 7) % 11)) / 11) }, x };
    };
    const names = [...PARAMETER_NAMES, 'theta'];

    it.each(SIZES)('should match the reference forward pass, loss terms and gradients, θ\'s pseudo-derivatives included (m=$m)', ({ m, shape }) => {
      const { params: p, x } = jumpData(401 + m, shape, m);
      const session = backend.createSession(shape, p, architecture);
      const tag = `${name} jumprelu ${m}×${shape.inputSize}×${shape.hiddenSize}`;
      const { hidden, output } = session.forward(x, m);
      const ref = referenceForward(p, x, m, shape, architecture);
      expectAllClose(hidden, ref.hidden, FORWARD_TOL, 'hidden');
      expectAllClose(output, ref.output, FORWARD_TOL, 'output');
      expect(Array.from(session.encode(x, m))).toEqual(Array.from(hidden));
      expectAllClose(session.decode(hidden, m), ref.output, FORWARD_TOL, 'decode');
      const got = session.gradients(x, m, loss);
      const expected = referenceGradients(p, x, m, shape, loss);
      report(`${tag} terms`, termsArray(got.terms), termsArray(expected.terms));
      expectAllClose(termsArray(got.terms), termsArray(expected.terms), TERMS_TOL, 'loss terms');
      for (const k of names) {
        report(`${tag} g${k}`, got.gradients[k]!, expected.gradients[k]!);
        expectAllClose(got.gradients[k]!, expected.gradients[k]!, gradientTolerance(expected.gradients[k]!), `gradient ${k}`);
      }
      if (m > 1) expect(expected.gradients.theta!.some((g) => g !== 0)).toBe(true);
      session.dispose();
    });

    it('should match the reference where few codes fire (the step\'s products through the codes\' index), θ learning at the window', () => {
      const [m, shape] = [40, { inputSize: 17, hiddenSize: 51 }];
      const { params: base, x } = dataFor(431, shape, m);
      const h = shape.hiddenSize;
      // z from the reference with no threshold; every third unit fires on its one largest z (θ midway
      // to the second largest, clear of float32 rounding), the others on none: a density of 1/120,
      // under every product's cut-off
      const z = referenceForward({ ...base, theta: new Float32Array(h).fill(-1e30) }, x, m, shape, architecture).hidden;
      const theta = Float32Array.from({ length: h }, (_, j) => {
        const column = Array.from({ length: m }, (_, i) => z[i * h + j]!).sort((a, b) => b - a);
        return j % 3 === 0 ? (column[0]! + column[1]!) / 2 : column[0]! + 0.05;
      });
      const p = { ...base, theta };
      const session = backend.createSession(shape, p, architecture);
      const { hidden } = session.forward(x, m);
      expect(hidden.filter((v) => v !== 0).length).toBe(Math.ceil(h / 3));
      const got = session.gradients(x, m, loss);
      const expected = referenceGradients(p, x, m, shape, loss);
      expectAllClose(termsArray(got.terms), termsArray(expected.terms), TERMS_TOL, 'loss terms');
      for (const k of names) expectAllClose(got.gradients[k]!, expected.gradients[k]!, gradientTolerance(expected.gradients[k]!), `gradient ${k}`);
      // θ's pseudo-derivative reaches units that did not fire (z in the window below θ)
      expect(Array.from({ length: h }, (_, j) => j).some((j) => j % 3 !== 0 && expected.gradients.theta![j] !== 0)).toBe(true);
      session.dispose();
    });

    it('should take five Adam steps as the reference backend does, θ included', () => {
      const shape = { inputSize: 5, hiddenSize: 11 };
      const { params: p, x } = jumpData(501, shape, 9);
      const sessions = [backend.createSession(shape, p, architecture), referenceBackend.createSession(shape, p, architecture)];
      for (const s of sessions) s.setTrainingData(x, 9);
      for (const r of [null, Uint32Array.from([0, 4, 8]), null, Uint32Array.from([2, 2, 7, 1]), null]) {
        const [got, ref] = sessions.map((s) => s.trainStep(r, loss, { ...ADAM, learningRate: 0.01 }));
        expectAllClose(termsArray(got!), termsArray(ref!), TERMS_TOL, 'loss terms');
      }
      const [got, ref] = sessions.map((s) => s.getParameters());
      for (const k of names) expectAllClose(got![k]!, ref![k]!, STEPPED_TOL, `${k} after five steps`);
      expect(Array.from(got!.theta!)).not.toEqual(Array.from(p.theta)); // θ learns
      for (const s of sessions) s.dispose();
    });

    it('should encode every architecture with the encoder alone, equal to forward\'s codes bit for bit', () => {
      const shape = { inputSize: 6, hiddenSize: 13 };
      const { params: p, x } = jumpData(601, shape, 5);
      for (const a of [{ architecture: 'sigmoid', k: 0 }, { architecture: 'relu', k: 0 }, { architecture: 'topk', k: 4 }, architecture] as const) {
        const session = backend.createSession(shape, a.architecture === 'jumprelu' ? p : { W1: p.W1, b1: p.b1, W2: p.W2, b2: p.b2 }, a);
        expect(Array.from(session.encode(x, 5)), a.architecture).toEqual(Array.from(session.forward(x, 5).hidden));
        expect(session.encode(new Float32Array(0), 0).length).toBe(0);
        session.dispose();
      }
    });

    it('should encode from exactly the parameters each module declares as the encoder\'s (others changed: same codes; one of its own changed: other codes)', () => {
      const shape = { inputSize: 6, hiddenSize: 13 };
      const { params: p, x } = jumpData(611, shape, 5);
      for (const a of [{ architecture: 'sigmoid', k: 0 }, { architecture: 'relu', k: 0 }, { architecture: 'topk', k: 4 }, architecture] as const) {
        const specs = architectureModule(a.architecture).parameters(shape);
        const own = Object.fromEntries(specs.map((spec) => [spec.name, p[spec.name as keyof typeof p]!.slice()]));
        const codesWith = (changed: string | null) => {
          const params = Object.fromEntries(Object.entries(own).map(([name, v]) => [name, name === changed ? v.map((value) => value + 0.25) : v.slice()]));
          const session = backend.createSession(shape, params as typeof p, a);
          const codes = Array.from(session.encode(x, 5));
          session.dispose();
          return codes;
        };
        const base = codesWith(null);
        for (const spec of specs) {
          if (spec.encoder) expect(codesWith(spec.name), `${a.architecture}: ${spec.name} is read by encode`).not.toEqual(base);
          else expect(codesWith(spec.name), `${a.architecture}: ${spec.name} is not read by encode`).toEqual(base);
        }
      }
    });

    it('should refuse a jumprelu loss without a positive bandwidth, and parameters without θ', () => {
      const shape = { inputSize: 2, hiddenSize: 3 };
      const { params: p, x } = jumpData(5, shape, 2);
      const session = backend.createSession(shape, p, architecture);
      expect(() => session.gradients(x, 2, { ...loss, bandwidth: 0 })).toThrow(/gradients: loss.bandwidth must be a finite number > 0, got 0/);
      expect(() => backend.createSession(shape, { W1: p.W1, b1: p.b1, W2: p.W2, b2: p.b2 }, architecture)).toThrow(/theta must be a Float32Array of 3 values/);
      session.dispose();
    });
  });
  describe(`${name} backend: gated (inference only) against the reference`, () => {
    let backend: KernelBackend;
    beforeAll(async () => {
      backend = await load();
    });
    const architecture = { architecture: 'gated', k: 0 } as const;
    /** The dictionary of dataFor, b_gate = b1 of both signs, r_mag in [−0.5, 0.5), b_mag in [−0.3, 0.3): some gates open, some magnitudes negative. */
    const gatedData = (seed: number, shape: LayerShape, m: number) => {
      const { params, x } = dataFor(seed, shape, m);
      const h = shape.hiddenSize;
      const r_mag = Float32Array.from({ length: h }, (_, j) => ((j * 5) % 11) / 11 - 0.5);
      const b_mag = Float32Array.from({ length: h }, (_, j) => (0.6 * ((j * 3) % 7)) / 7 - 0.3);
      return { params: { ...params, r_mag, b_mag }, x };
    };

    it.each(SIZES)('should match the reference encode, forward and decode (m=$m)', ({ m, shape }) => {
      const { params: p, x } = gatedData(701 + m, shape, m);
      const session = backend.createSession(shape, p, architecture);
      const tag = `${name} gated ${m}×${shape.inputSize}×${shape.hiddenSize}`;
      const { hidden, output } = session.forward(x, m);
      const ref = referenceForward(p, x, m, shape, architecture);
      report(`${tag} hidden`, hidden, ref.hidden);
      report(`${tag} output`, output, ref.output);
      expectAllClose(hidden, ref.hidden, FORWARD_TOL, 'hidden');
      expectAllClose(output, ref.output, FORWARD_TOL, 'output');
      expect(Array.from(session.encode(x, m))).toEqual(Array.from(hidden));
      expectAllClose(session.decode(hidden, m), ref.output, FORWARD_TOL, 'decode');
      if (m > 1) {
        // the case exercises every branch: closed gates, open gates with a positive magnitude, open gates with a negative one
        const { gate, magnitude } = gatedForward(p, x, m, shape);
        expect(gate.some((g) => g <= 0)).toBe(true);
        expect(gate.some((g, q) => g > 0 && magnitude[q]! > 0)).toBe(true);
        expect(gate.some((g, q) => g > 0 && magnitude[q]! < 0)).toBe(true);
      }
      session.dispose();
    });

    it('should encode from the encoder\'s parameters only (W_enc, b_gate, r_mag, b_mag, b_dec), each changing the codes', () => {
      const shape = { inputSize: 6, hiddenSize: 13 };
      const { params: p, x } = gatedData(711, shape, 5);
      const codesWith = (changed: string | null) => {
        const params = Object.fromEntries(Object.entries(p).map(([key, v]) => [key, key === changed ? v.map((value) => value + 0.25) : v.slice()]));
        const session = backend.createSession(shape, params as typeof p, architecture);
        const codes = Array.from(session.encode(x, 5));
        session.dispose();
        return codes;
      };
      const base = codesWith(null);
      for (const spec of architectureModule('gated').parameters(shape)) {
        if (spec.encoder) expect(codesWith(spec.name), `${spec.name} is read by encode`).not.toEqual(base);
        else expect(codesWith(spec.name), `${spec.name} is not read by encode`).toEqual(base);
      }
    });

    it('should refuse every training call, naming gated as inference only, and parameters without r_mag', () => {
      const shape = { inputSize: 2, hiddenSize: 3 };
      const { params: p, x } = gatedData(5, shape, 2);
      const session = backend.createSession(shape, p, architecture);
      const loss: LossConfig = { ...BASE, sparsityWeight: 0, architecture: 'gated' };
      expect(() => session.setTrainingData(x, 2)).toThrow(/setTrainingData: "gated" is inference only/);
      expect(() => session.trainStep(null, loss, { ...ADAM, learningRate: 0.01 })).toThrow(/trainStep: "gated" is inference only/);
      expect(() => session.gradients(x, 2, loss)).toThrow(/gradients: "gated" is inference only/);
      expect(Array.from(session.getParameters().r_mag!)).toEqual(Array.from(p.r_mag)); // nothing moved
      session.dispose();
      expect(() => backend.createSession(shape, { W1: p.W1, b1: p.b1, W2: p.W2, b2: p.b2, b_mag: p.b_mag }, architecture)).toThrow(/r_mag must be a Float32Array of 3 values/);
    });
  });
}
