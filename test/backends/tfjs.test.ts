import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { createTfjsBackend, type TfjsBackendKind } from '../../src/backends/tfjs/index.js';
import type {
  KernelBackend,
  LayerShape,
  LossConfig,
  OptimizerConfig,
  Parameters,
} from '../../src/backends/types.js';
import {
  referenceAdamStep,
  referenceForward,
  referenceGradients,
  toParameters64,
  zeroParameters64,
} from '../../src/reference/sae-reference.js';
import { expectAllClose } from '../helpers/allclose.js';
import { mulberry32, randomArray, type Rng } from '../helpers/random.js';

/**
 * Tolerances: the backend computes in float32, the reference in float64. Activations are in
 * (0,1) and computed by one fused kernel, so forward agrees to float32 rounding. Gradients and
 * loss terms are sums over rows and columns, so they get a looser relative tolerance.
 */
const FORWARD_TOL = { atol: 1e-6, rtol: 1e-5 };
const GRADIENT_TOL = { atol: 1e-5, rtol: 1e-4 };
const TERMS_TOL = { atol: 1e-6, rtol: 1e-5 };
const PARAMETER_TOL = { atol: 1e-6, rtol: 1e-5 };

const SUM: LossConfig = { sparsityTarget: 0.1, sparsityWeight: 0.1, weightDecay: 0.1, reduction: 'sum' };
const MEAN: LossConfig = { ...SUM, reduction: 'mean' };
const ADAM: OptimizerConfig = { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const SGD: OptimizerConfig = { kind: 'sgd', learningRate: 0.05 };

const NAMES = ['W1', 'b1', 'W2', 'b2'] as const;

function randomParameters(rng: Rng, shape: LayerShape): Parameters {
  const { inputSize: n, hiddenSize: h } = shape;
  const limit = Math.sqrt(6 / (n + h + 1));
  return {
    W1: randomArray(rng, n * h, -limit, limit),
    b1: randomArray(rng, h, -0.1, 0.1),
    W2: randomArray(rng, h * n, -limit, limit),
    b2: randomArray(rng, n, -0.1, 0.1),
  };
}

function termsArray(t: { loss: number; reconstruction: number; weightDecay: number; sparsity: number }): number[] {
  return [t.loss, t.reconstruction, t.weightDecay, t.sparsity];
}

/** Rows of x picked by `indices`, in that order. */
function gatherRows(x: Float32Array, n: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * n);
  for (let i = 0; i < indices.length; i++) out.set(x.subarray(indices[i]! * n, (indices[i]! + 1) * n), i * n);
  return out;
}

const SIZES: { label: string; m: number; shape: LayerShape }[] = [
  { label: 'm=7, n=5, h=11', m: 7, shape: { inputSize: 5, hiddenSize: 11 } },
  { label: 'm=1, n=5, h=11', m: 1, shape: { inputSize: 5, hiddenSize: 11 } },
  { label: '1×1, m=1', m: 1, shape: { inputSize: 1, hiddenSize: 1 } },
  { label: 'm=33, n=17, h=51', m: 33, shape: { inputSize: 17, hiddenSize: 51 } },
];

describe.each(['tfjs-wasm', 'tfjs-cpu'] as TfjsBackendKind[])('%s backend', (kind) => {
  let backend: KernelBackend;
  beforeAll(async () => {
    backend = await createTfjsBackend(kind);
  });

  it('should report its name', () => {
    expect(backend.name).toBe(kind);
  });

  describe.each(SIZES)('$label', ({ m, shape }) => {
    it('should match the reference forward pass, and decode', () => {
      const rng = mulberry32(1);
      const p = randomParameters(rng, shape);
      const x = randomArray(rng, m * shape.inputSize);
      const session = backend.createSession(shape, p);
      const { hidden, output } = session.forward(x, m);
      const ref = referenceForward(p, x, m, shape);
      expectAllClose(hidden, ref.hidden, FORWARD_TOL, 'hidden');
      expectAllClose(output, ref.output, FORWARD_TOL, 'output');
      expectAllClose(session.decode(hidden, m), ref.output, FORWARD_TOL, 'decode');
      session.dispose();
    });

    it.each([SUM, MEAN])('should match the reference gradients ($reduction)', (loss) => {
      const rng = mulberry32(2);
      const p = randomParameters(rng, shape);
      const x = randomArray(rng, m * shape.inputSize);
      const session = backend.createSession(shape, p);
      const got = session.gradients(x, m, loss);
      const ref = referenceGradients(p, x, m, shape, loss);
      expectAllClose(termsArray(got.terms), termsArray(ref.terms), TERMS_TOL, 'loss terms');
      expectAllClose(got.meanActivation, ref.meanActivation, FORWARD_TOL, 'meanActivation');
      for (const k of NAMES) expectAllClose(got.gradients[k], ref.gradients[k], GRADIENT_TOL, `gradient ${k}`);
      session.dispose();
    });
  });

  it('should take Adam steps as the reference does, on chosen rows and on the full batch', () => {
    const shape = { inputSize: 5, hiddenSize: 11 };
    const rng = mulberry32(3);
    const p = randomParameters(rng, shape);
    const x = randomArray(rng, 7 * shape.inputSize);
    const session = backend.createSession(shape, p);
    session.setTrainingData(x, 7);
    expect(session.getOptimizerState()).toBeNull();

    const ref = toParameters64(p);
    const state = { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) };
    const batches = [Uint32Array.from([6, 0, 3]), null, Uint32Array.from([2, 2, 5, 1])];
    for (const rows of batches) {
      const batch = rows === null ? x : gatherRows(x, shape.inputSize, rows);
      const count = rows === null ? 7 : rows.length;
      const expected = referenceGradients(ref, batch, count, shape, MEAN);
      const terms = session.trainStep(rows, MEAN, ADAM);
      expectAllClose(termsArray(terms), termsArray(expected.terms), TERMS_TOL, 'loss terms before the update');
      referenceAdamStep(ref, expected.gradients, state, ADAM);
    }
    const got = session.getParameters();
    const adam = session.getOptimizerState();
    expect(adam?.step).toBe(3);
    for (const k of NAMES) {
      expectAllClose(got[k], ref[k], PARAMETER_TOL, `${k} after 3 Adam steps`);
      expectAllClose(adam!.m[k], state.m[k], GRADIENT_TOL, `Adam m.${k}`);
      expectAllClose(adam!.v[k], state.v[k], { atol: 1e-8, rtol: 1e-4 }, `Adam v.${k}`);
    }
    session.dispose();
  });

  it('should take an SGD step as the reference does and leave the optimizer state null', () => {
    const shape = { inputSize: 4, hiddenSize: 6 };
    const rng = mulberry32(4);
    const p = randomParameters(rng, shape);
    const x = randomArray(rng, 9 * shape.inputSize);
    const session = backend.createSession(shape, p);
    session.setTrainingData(x, 9);
    const ref = toParameters64(p);
    const expected = referenceGradients(ref, x, 9, shape, SUM);
    session.trainStep(null, SUM, SGD);
    referenceAdamStep(ref, expected.gradients, { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) }, SGD);
    const got = session.getParameters();
    for (const k of NAMES) expectAllClose(got[k], ref[k], PARAMETER_TOL, `${k} after SGD`);
    expect(session.getOptimizerState()).toBeNull();
    session.dispose();
  });

  it('should resume exactly from a saved optimizer state', () => {
    const shape = { inputSize: 3, hiddenSize: 7 };
    const rng = mulberry32(5);
    const p = randomParameters(rng, shape);
    const x = randomArray(rng, 6 * shape.inputSize);
    const a = backend.createSession(shape, p);
    a.setTrainingData(x, 6);
    a.trainStep(null, SUM, ADAM);
    const saved = { params: a.getParameters(), state: a.getOptimizerState()! };
    a.trainStep(null, SUM, ADAM);

    const b = backend.createSession(shape, saved.params);
    b.setOptimizerState(saved.state);
    b.setTrainingData(x, 6);
    b.trainStep(null, SUM, ADAM);
    const pa = a.getParameters();
    const pb = b.getParameters();
    for (const k of NAMES) expect(Array.from(pb[k])).toEqual(Array.from(pa[k]));
    expect(b.getOptimizerState()?.step).toBe(2);
    b.setOptimizerState(null);
    expect(b.getOptimizerState()).toBeNull();
    a.dispose();
    b.dispose();
  });

  it('should not keep the caller’s arrays nor hand out its own', () => {
    const shape = { inputSize: 2, hiddenSize: 3 };
    const p = randomParameters(mulberry32(6), shape);
    const before = Array.from(p.W1);
    const session = backend.createSession(shape, p);
    p.W1.fill(42);
    expect(Array.from(session.getParameters().W1)).toEqual(before);
    session.getParameters().W1.fill(7);
    expect(Array.from(session.getParameters().W1)).toEqual(before);
    session.dispose();
  });

  it('should reject wrong shapes and bad row indices with clear errors', () => {
    const shape = { inputSize: 2, hiddenSize: 3 };
    const p = randomParameters(mulberry32(7), shape);
    expect(() => backend.createSession(shape, { ...p, b1: new Float32Array(2) })).toThrow(/b1 must be a Float32Array of 3 values/);
    const session = backend.createSession(shape, p);
    expect(() => session.trainStep(null, SUM, ADAM)).toThrow(/no training data/);
    expect(() => session.forward(new Float32Array(5), 2)).toThrow(/expected 2 × 2 = 4 values/);
    session.setTrainingData(new Float32Array(4), 2);
    expect(() => session.trainStep(Uint32Array.from([0, 2]), SUM, ADAM)).toThrow(/row index 2 is out of range/);
    session.dispose();
    expect(() => session.getParameters()).toThrow(/disposed/);
  });

  it('should not leak tensors across steps, forward passes and dispose', () => {
    const shape = { inputSize: 6, hiddenSize: 18 };
    const rng = mulberry32(8);
    const x = randomArray(rng, 20 * shape.inputSize);
    const start = tf.memory().numTensors;
    const session = backend.createSession(shape, randomParameters(rng, shape));
    session.setTrainingData(x, 20);
    session.trainStep(Uint32Array.from([1, 2, 3]), SUM, ADAM);
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      session.trainStep(null, MEAN, ADAM);
      session.trainStep(Uint32Array.from([4, 5]), SUM, SGD);
      session.forward(x, 20);
      session.gradients(x, 20, SUM);
      session.decode(new Float32Array(2 * 18), 2);
      session.getParameters();
      session.getOptimizerState();
    }
    expect(tf.memory().numTensors).toBe(afterFirst);
    session.setTrainingData(x, 20);
    session.setParameters(session.getParameters());
    session.setOptimizerState(session.getOptimizerState());
    expect(tf.memory().numTensors).toBe(afterFirst);
    session.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('tfjs-wasm and tfjs-cpu sessions in one process', () => {
  it('should interleave steps on both and agree within float32 tolerance', async () => {
    const wasm = await createTfjsBackend('tfjs-wasm');
    const cpu = await createTfjsBackend('tfjs-cpu');
    const shape = { inputSize: 8, hiddenSize: 24 };
    const rng = mulberry32(9);
    const p = randomParameters(rng, shape);
    const x = randomArray(rng, 30 * shape.inputSize);
    const a = wasm.createSession(shape, p);
    const b = cpu.createSession(shape, p);
    a.setTrainingData(x, 30);
    b.setTrainingData(x, 30);
    for (let i = 0; i < 10; i++) {
      const la = a.trainStep(null, SUM, ADAM);
      expect(tf.getBackend()).toBe('wasm');
      const lb = b.trainStep(null, SUM, ADAM);
      expect(tf.getBackend()).toBe('cpu');
      expect(lb.loss).toBeCloseTo(la.loss, 3);
    }
    const pa = a.getParameters();
    const pb = b.getParameters();
    for (const k of NAMES) expectAllClose(pb[k], pa[k], { atol: 1e-5, rtol: 1e-4 }, `${k} wasm vs cpu`);
    a.dispose();
    b.dispose();
  });

  it('should start both backends concurrently', async () => {
    const [wasm, cpu] = await Promise.all([createTfjsBackend('tfjs-wasm'), createTfjsBackend('tfjs-cpu')]);
    expect([wasm.name, cpu.name]).toEqual(['tfjs-wasm', 'tfjs-cpu']);
  });
});
