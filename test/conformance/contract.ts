/**
 * The session contract of src/backends/types.ts, on any backend (part of the conformance suite,
 * suite.ts): the error contract (what is refused, with which message, and that a refused call
 * changes nothing), the edges (0 rows), dispose, copies in and out, determinism, resuming from a
 * saved optimizer state, and replacing data and parameters. These were the AssemblyScript and
 * tfjs backends' own tests; here every backend must pass all of them.
 */
import { describe, expect, it } from 'vitest';

import type { KernelBackend, LayerShape, Parameters } from '../../src/backends/types.js';
import { referenceLoss } from '../../src/reference/sae-reference.js';
import { expectAllClose, type Tolerance } from '../helpers/allclose.js';
import { PARAMETER_NAMES, gatherRows, initLimit, randomParameters, randomParametersAndData, termsArray, type ParameterRanges } from '../helpers/parameters.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { ADAM, MEAN_LOSS, SGD, SUM_LOSS } from '../helpers/training-settings.js';

/** Twice the default init's weights and biases in ±0.5, so σ is not all ≈ ½. */
export function wide(shape: LayerShape): ParameterRanges {
  return { weightLimit: 2 * initLimit(shape), biasLimit: 0.5 };
}

/** Weights in the model's init range, biases in ±0.1. */
export const NARROW_BIASES: ParameterRanges = { biasLimit: 0.1 };

export interface ContractOptions {
  /** Loss terms vs the float64 reference (replacing data and parameters). */
  terms: Tolerance;
  /**
   * Whether the backend computes in float32, so that an SGD step is w − fround(lr·g) bit for bit
   * (false for the float64 reference backend, which rounds only after the step).
   */
  float32: boolean;
}

/** Every method of a session, called with valid arguments (for the after-dispose checks). */
function everyCall(shape: LayerShape, p: Parameters): [string, (s: ReturnType<KernelBackend['createSession']>) => unknown][] {
  const x = new Float32Array(shape.inputSize);
  return [
    ['getParameters', (s) => s.getParameters()],
    ['setParameters', (s) => s.setParameters(p)],
    ['getOptimizerState', (s) => s.getOptimizerState()],
    ['setOptimizerState', (s) => s.setOptimizerState(null)],
    ['setTrainingData', (s) => s.setTrainingData(x, 1)],
    ['trainStep', (s) => s.trainStep(null, SUM_LOSS, SGD)],
    ['forward', (s) => s.forward(x, 1)],
    ['decode', (s) => s.decode(new Float32Array(shape.hiddenSize), 1)],
    ['gradients', (s) => s.gradients(x, 1, SUM_LOSS)],
  ];
}

export function describeSessionContract(name: string, getBackend: () => KernelBackend, options: ContractOptions): void {
  const shape = { inputSize: 5, hiddenSize: 11 };

  describe(`${name} session contract`, () => {
    it('should reject bad input with clear errors naming the method and argument', () => {
      const backend = getBackend();
      const params = randomParameters(mulberry32(8), shape, wide(shape));
      const session = backend.createSession(shape, params);
      expect(() => session.trainStep(null, SUM_LOSS, SGD)).toThrow(/no training data/);
      session.setTrainingData(new Float32Array(3 * 5), 3);
      expect(() => session.trainStep(new Uint32Array([0, 3]), SUM_LOSS, SGD)).toThrow(/not a row/);
      expect(() => session.trainStep(new Uint32Array([0, 3]), SUM_LOSS, SGD)).toThrow(/row index 3 is out of range/);
      expect(() => session.trainStep(new Uint32Array([]), SUM_LOSS, SGD)).toThrow(RangeError);
      expect(() => session.trainStep(new Uint32Array([]), SUM_LOSS, SGD)).toThrow(/trainStep: the batch is empty/);
      expect(() => session.trainStep([0] as unknown as Uint32Array, SUM_LOSS, SGD)).toThrow(TypeError);
      expect(() => session.trainStep(null, SUM_LOSS, { kind: 'rmsprop' } as never)).toThrow(/unknown optimizer "rmsprop"/);
      // (the AssemblyScript test's n = 5 and the tfjs test's wording, in one message)
      expect(() => session.forward(new Float32Array(7), 2)).toThrow(/forward: x has 7 values, expected 2 × 5 = 10 values/);
      expect(() => session.forward(new Float32Array(5), 1.5)).toThrow(/forward: rows must be a non-negative integer, got 1.5/);
      expect(() => session.forward(new Float32Array(5), -1)).toThrow(RangeError);
      expect(() => session.forward(Array.from({ length: 5 }) as unknown as Float32Array, 1)).toThrow(/forward: x must be a Float32Array/);
      expect(() => session.decode(new Float32Array(10), 1)).toThrow(/decode: hidden has 10 values, expected 1 × 11 = 11 values/);
      expect(() => session.gradients(new Float32Array(4), 1, SUM_LOSS)).toThrow(/gradients: x has 4 values/);
      expect(() => session.setTrainingData(new Float32Array(0), 0)).toThrow(/setTrainingData: rows must be a positive integer/);
      expect(() => session.setTrainingData(new Float32Array(9), 2)).toThrow(/setTrainingData: x has 9 values, expected 2 × 5 = 10 values/);
      expect(() => session.setParameters({ ...params, b1: new Float32Array(3) })).toThrow(/b1/);
      expect(() => session.setParameters({ ...params, W2: new Float64Array(55) as unknown as Float32Array })).toThrow(TypeError);
      expect(() => session.setOptimizerState({ step: -1, m: params, v: params })).toThrow(/setOptimizerState: step must be a non-negative integer/);
      expect(() => session.setOptimizerState({ step: 1, m: params, v: { ...params, b2: new Float32Array(4) } })).toThrow(/setOptimizerState: v: b2 must be a Float32Array of 5 values/);
      expect(() => backend.createSession({ inputSize: 0, hiddenSize: 2 }, params)).toThrow(/inputSize/);
      expect(() => backend.createSession({ inputSize: 2, hiddenSize: 1.5 }, params)).toThrow(/hiddenSize must be a positive integer/);
      session.dispose();
    });

    it('should reject parameters of the wrong shape when creating a session', () => {
      const small = { inputSize: 2, hiddenSize: 3 };
      const p = randomParameters(mulberry32(7), small, NARROW_BIASES);
      expect(() => getBackend().createSession(small, { ...p, b1: new Float32Array(2) })).toThrow(/b1 must be a Float32Array of 3 values/);
      const session = getBackend().createSession(small, p);
      expect(() => session.trainStep(null, SUM_LOSS, ADAM)).toThrow(/no training data/);
      expect(() => session.forward(new Float32Array(5), 2)).toThrow(/expected 2 × 2 = 4 values/);
      session.setTrainingData(new Float32Array(4), 2);
      expect(() => session.trainStep(Uint32Array.from([0, 2]), SUM_LOSS, ADAM)).toThrow(/row index 2 is out of range/);
      session.dispose();
      expect(() => session.getParameters()).toThrow(/disposed/);
    });

    it('should change nothing on a refused call', () => {
      const { params, x } = randomParametersAndData(9, shape, 4, wide(shape));
      const session = getBackend().createSession(shape, params);
      session.setTrainingData(x, 4);
      session.trainStep(null, SUM_LOSS, ADAM);
      const before = { params: session.getParameters(), state: session.getOptimizerState() };
      expect(() => session.setParameters({ ...params, W1: new Float32Array(3) })).toThrow(RangeError);
      expect(() => session.setOptimizerState({ step: 2, m: params, v: { ...params, W2: new Float32Array(1) } })).toThrow(RangeError);
      expect(() => session.setTrainingData(new Float32Array(7), 2)).toThrow(RangeError);
      expect(() => session.trainStep(Uint32Array.from([1, 4]), SUM_LOSS, ADAM)).toThrow(RangeError);
      expect(session.getParameters()).toEqual(before.params);
      expect(session.getOptimizerState()).toEqual(before.state);
      // the training data is still the 4 rows: row 3 exists, and a step runs on them
      const terms = session.trainStep(Uint32Array.from([3]), SUM_LOSS, ADAM);
      expect(Number.isFinite(terms.loss)).toBe(true);
      session.dispose();
    });

    it('should give empty results for 0 rows in forward and decode, and refuse an empty batch in gradients', () => {
      const p = randomParameters(mulberry32(10), shape);
      const session = getBackend().createSession(shape, p);
      const empty = session.forward(new Float32Array(0), 0);
      expect(empty.hidden).toBeInstanceOf(Float32Array);
      expect(empty.hidden).toHaveLength(0);
      expect(empty.output).toBeInstanceOf(Float32Array);
      expect(empty.output).toHaveLength(0);
      const decoded = session.decode(new Float32Array(0), 0);
      expect(decoded).toBeInstanceOf(Float32Array);
      expect(decoded).toHaveLength(0);
      expect(() => session.gradients(new Float32Array(0), 0, SUM_LOSS)).toThrow(/gradients: the batch is empty/);
      // and the session still works
      expect(session.forward(new Float32Array(5), 1).hidden).toHaveLength(11);
      session.dispose();
    });

    it('should refuse every call after dispose, and allow dispose again', () => {
      const p = randomParameters(mulberry32(11), shape);
      const session = getBackend().createSession(shape, p);
      session.setTrainingData(new Float32Array(5), 1);
      session.dispose();
      for (const [method, call] of everyCall(shape, p)) {
        expect(() => call(session), method).toThrow(/after dispose/);
        expect(() => call(session), method).toThrow(new RegExp(`${method}\\(\\) called after dispose\\(\\)`));
        expect(() => call(session), method).toThrow(/disposed/);
      }
      expect(() => session.dispose()).not.toThrow();
      expect(session.shape).toEqual(shape);
    });

    it('should not keep the caller’s arrays nor hand out its own', () => {
      const small = { inputSize: 2, hiddenSize: 3 };
      const p = randomParameters(mulberry32(6), small, NARROW_BIASES);
      const before = Array.from(p.W1);
      const session = getBackend().createSession(small, p);
      p.W1.fill(42);
      expect(Array.from(session.getParameters().W1)).toEqual(before);
      session.getParameters().W1.fill(7);
      expect(Array.from(session.getParameters().W1)).toEqual(before);
      // nor the training data, nor the optimizer state
      const x = Float32Array.from([0.1, 0.9, 0.4, 0.6]);
      session.setTrainingData(x, 2);
      const reference = getBackend().createSession(small, session.getParameters());
      reference.setTrainingData(x.slice(), 2);
      x.fill(0.5);
      expect(session.trainStep(null, SUM_LOSS, ADAM)).toEqual(reference.trainStep(null, SUM_LOSS, ADAM));
      const state = session.getOptimizerState()!;
      state.m.W1.fill(3);
      expect(session.getOptimizerState()).toEqual(reference.getOptimizerState());
      session.dispose();
      reference.dispose();
    });

    it('should give the same as gradients() on the gathered rows when rowIndices are given', () => {
      const rows = 20;
      const { params, x } = randomParametersAndData(99, shape, rows, wide(shape));
      const indices = new Uint32Array([19, 3, 3, 0, 7, 12, 5]);
      for (const loss of [SUM_LOSS, MEAN_LOSS]) {
        const training = getBackend().createSession(shape, params);
        training.setTrainingData(x, rows);
        const terms = training.trainStep(indices, loss, SGD);
        const checking = getBackend().createSession(shape, params);
        const expected = checking.gradients(gatherRows(x, shape.inputSize, indices), indices.length, loss);
        expect(terms).toEqual(expected.terms); // the same kernels on the same numbers: bit for bit
        const after = training.getParameters();
        for (const k of PARAMETER_NAMES) {
          if (options.float32) {
            const lr = Math.fround(SGD.learningRate);
            const stepped = Float32Array.from(params[k], (w, i) => w - Math.fround(lr * expected.gradients[k][i]!));
            expect(after[k]).toEqual(stepped);
          } else {
            const stepped = Float32Array.from(params[k], (w, i) => w - SGD.learningRate * expected.gradients[k][i]!);
            expectAllClose(after[k], stepped, { atol: 1e-7, rtol: 1e-6 }, `${k} after the SGD step`);
          }
        }
        training.dispose();
        checking.dispose();
      }
    });

    it('should be deterministic bit for bit', () => {
      const { params, x } = randomParametersAndData(5, shape, 9, wide(shape));
      const run = () => {
        const session = getBackend().createSession(shape, params);
        session.setTrainingData(x, 9);
        const losses = [];
        for (let t = 0; t < 5; t++) losses.push(session.trainStep(t % 2 ? new Uint32Array([8, 1, 2]) : null, SUM_LOSS, ADAM).loss);
        const out = { losses, params: session.getParameters(), state: session.getOptimizerState() };
        session.dispose();
        return out;
      };
      expect(run()).toEqual(run());
    });

    it('should train the same after encoding as without (nothing an encode call leaves behind reaches training)', () => {
      // The AssemblyScript session allocates its gradient and moment blocks on first training,
      // over memory that encode calls used as scratch; they must start at zero all the same.
      const { params, x } = randomParametersAndData(12, shape, 9, wide(shape));
      const wideRows = randomArray(mulberry32(13), 200 * shape.inputSize, -3, 3);
      const run = (encodeFirst: boolean, resumeFrom?: ReturnType<ReturnType<KernelBackend['createSession']>['getOptimizerState']>) => {
        const session = getBackend().createSession(shape, params);
        if (encodeFirst) {
          session.forward(wideRows, 200);
          session.decode(randomArray(mulberry32(14), 200 * shape.hiddenSize, -5, 5), 200);
          session.gradients(wideRows, 200, SUM_LOSS);
        }
        if (resumeFrom) session.setOptimizerState(resumeFrom);
        session.setTrainingData(x, 9);
        const losses = [];
        for (let t = 0; t < 3; t++) losses.push(session.trainStep(null, SUM_LOSS, ADAM).loss);
        const out = { losses, params: session.getParameters(), state: session.getOptimizerState() };
        session.dispose();
        return out;
      };
      const direct = run(false);
      expect(run(true)).toEqual(direct);
      expect(run(true, direct.state)).toEqual(run(false, direct.state));
    });

    it('should round-trip optimizer state and resume exactly', () => {
      const { params, x } = randomParametersAndData(6, shape, 8, wide(shape));
      const straight = getBackend().createSession(shape, params);
      straight.setTrainingData(x, 8);
      for (let t = 0; t < 4; t++) straight.trainStep(null, MEAN_LOSS, ADAM);

      const first = getBackend().createSession(shape, params);
      first.setTrainingData(x, 8);
      for (let t = 0; t < 2; t++) first.trainStep(null, MEAN_LOSS, ADAM);
      const resumed = getBackend().createSession(shape, first.getParameters());
      resumed.setOptimizerState(first.getOptimizerState());
      resumed.setTrainingData(x, 8);
      for (let t = 0; t < 2; t++) resumed.trainStep(null, MEAN_LOSS, ADAM);

      expect(resumed.getParameters()).toEqual(straight.getParameters());
      expect(resumed.getOptimizerState()).toEqual(straight.getOptimizerState());
      resumed.setOptimizerState(null);
      expect(resumed.getOptimizerState()).toBeNull();
      for (const s of [straight, first, resumed]) s.dispose();
    });

    it('should resume exactly from a saved optimizer state (sum loss, a saved state reused after more steps)', () => {
      const small = { inputSize: 3, hiddenSize: 7 };
      const { params: p, x } = randomParametersAndData(5, small, 6, NARROW_BIASES);
      const a = getBackend().createSession(small, p);
      a.setTrainingData(x, 6);
      a.trainStep(null, SUM_LOSS, ADAM);
      const saved = { params: a.getParameters(), state: a.getOptimizerState()! };
      a.trainStep(null, SUM_LOSS, ADAM);

      const b = getBackend().createSession(small, saved.params);
      b.setOptimizerState(saved.state);
      b.setTrainingData(x, 6);
      b.trainStep(null, SUM_LOSS, ADAM);
      const pa = a.getParameters();
      const pb = b.getParameters();
      for (const k of PARAMETER_NAMES) expect(Array.from(pb[k])).toEqual(Array.from(pa[k]));
      expect(b.getOptimizerState()?.step).toBe(2);
      b.setOptimizerState(null);
      expect(b.getOptimizerState()).toBeNull();
      a.dispose();
      b.dispose();
    });

    it('should replace the training data and the parameters', () => {
      const rng = mulberry32(7);
      const params = randomParameters(rng, shape, wide(shape));
      const session = getBackend().createSession(shape, params);
      session.setTrainingData(randomArray(rng, 3 * shape.inputSize), 3);
      const x = randomArray(rng, 40 * shape.inputSize);
      session.setTrainingData(x, 40);
      const other = randomParameters(rng, shape, wide(shape));
      session.setParameters(other);
      expect(session.getParameters()).toEqual(other);
      const terms = session.trainStep(null, SUM_LOSS, SGD);
      expectAllClose(termsArray(terms), termsArray(referenceLoss(other, x, 40, shape, SUM_LOSS)), options.terms, 'terms');
      session.dispose();
    });
  });
}
