import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { createTfjsBackend, type TfjsBackendKind } from '../../src/backends/tfjs/index.js';
import type { KernelBackend, LayerShape } from '../../src/backends/types.js';
import { referenceAdamStep, referenceGradients, toParameters64, zeroParameters64 } from '../../src/reference/sae-reference.js';
import { expectAllClose } from '../helpers/allclose.js';
import { PARAMETER_NAMES, gatherRows, randomParameters, randomParametersAndData, termsArray, type ParameterRanges } from '../helpers/parameters.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { expectForwardLikeReference, expectGradientsLikeReference } from '../helpers/reference-checks.js';
import { ADAM, MEAN_LOSS, SGD, SUM_LOSS } from '../helpers/training-settings.js';

/**
 * Tolerances: the backend computes in float32, the reference in float64. Activations are in
 * (0,1) and computed by one fused kernel, so forward agrees to float32 rounding. Gradients and
 * loss terms are sums over rows and columns, so they get a looser relative tolerance.
 */
const FORWARD_TOL = { atol: 1e-6, rtol: 1e-5 };
const GRADIENT_TOL = { atol: 1e-5, rtol: 1e-4 };
const TERMS_TOL = { atol: 1e-6, rtol: 1e-5 };
const PARAMETER_TOL = { atol: 1e-6, rtol: 1e-5 };

/** Weights in the model's init range, biases in ±0.1. */
const RANGES: ParameterRanges = { biasLimit: 0.1 };

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
      const { params: p, x } = randomParametersAndData(1, shape, m, RANGES);
      const session = backend.createSession(shape, p);
      expectForwardLikeReference(session, p, x, m, FORWARD_TOL);
      session.dispose();
    });

    it.each([SUM_LOSS, MEAN_LOSS])('should match the reference gradients ($reduction)', (loss) => {
      const { params: p, x } = randomParametersAndData(2, shape, m, RANGES);
      const session = backend.createSession(shape, p);
      expectGradientsLikeReference(session, p, x, m, loss, { terms: TERMS_TOL, meanActivation: FORWARD_TOL, gradients: GRADIENT_TOL });
      session.dispose();
    });
  });

  it('should take Adam steps as the reference does, on chosen rows and on the full batch', () => {
    const shape = { inputSize: 5, hiddenSize: 11 };
    const { params: p, x } = randomParametersAndData(3, shape, 7, RANGES);
    const session = backend.createSession(shape, p);
    session.setTrainingData(x, 7);
    expect(session.getOptimizerState()).toBeNull();

    const ref = toParameters64(p);
    const state = { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) };
    const batches = [Uint32Array.from([6, 0, 3]), null, Uint32Array.from([2, 2, 5, 1])];
    for (const rows of batches) {
      const batch = rows === null ? x : gatherRows(x, shape.inputSize, rows);
      const count = rows === null ? 7 : rows.length;
      const expected = referenceGradients(ref, batch, count, shape, MEAN_LOSS);
      const terms = session.trainStep(rows, MEAN_LOSS, ADAM);
      expectAllClose(termsArray(terms), termsArray(expected.terms), TERMS_TOL, 'loss terms before the update');
      referenceAdamStep(ref, expected.gradients, state, ADAM);
    }
    const got = session.getParameters();
    const adam = session.getOptimizerState();
    expect(adam?.step).toBe(3);
    for (const k of PARAMETER_NAMES) {
      expectAllClose(got[k], ref[k], PARAMETER_TOL, `${k} after 3 Adam steps`);
      expectAllClose(adam!.m[k], state.m[k], GRADIENT_TOL, `Adam m.${k}`);
      expectAllClose(adam!.v[k], state.v[k], { atol: 1e-8, rtol: 1e-4 }, `Adam v.${k}`);
    }
    session.dispose();
  });

  it('should take an SGD step as the reference does and leave the optimizer state null', () => {
    const shape = { inputSize: 4, hiddenSize: 6 };
    const { params: p, x } = randomParametersAndData(4, shape, 9, RANGES);
    const session = backend.createSession(shape, p);
    session.setTrainingData(x, 9);
    const ref = toParameters64(p);
    const expected = referenceGradients(ref, x, 9, shape, SUM_LOSS);
    session.trainStep(null, SUM_LOSS, SGD);
    referenceAdamStep(ref, expected.gradients, { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) }, SGD);
    const got = session.getParameters();
    for (const k of PARAMETER_NAMES) expectAllClose(got[k], ref[k], PARAMETER_TOL, `${k} after SGD`);
    expect(session.getOptimizerState()).toBeNull();
    session.dispose();
  });

  it('should resume exactly from a saved optimizer state', () => {
    const shape = { inputSize: 3, hiddenSize: 7 };
    const { params: p, x } = randomParametersAndData(5, shape, 6, RANGES);
    const a = backend.createSession(shape, p);
    a.setTrainingData(x, 6);
    a.trainStep(null, SUM_LOSS, ADAM);
    const saved = { params: a.getParameters(), state: a.getOptimizerState()! };
    a.trainStep(null, SUM_LOSS, ADAM);

    const b = backend.createSession(shape, saved.params);
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

  it('should not keep the caller’s arrays nor hand out its own', () => {
    const shape = { inputSize: 2, hiddenSize: 3 };
    const p = randomParameters(mulberry32(6), shape, RANGES);
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
    const p = randomParameters(mulberry32(7), shape, RANGES);
    expect(() => backend.createSession(shape, { ...p, b1: new Float32Array(2) })).toThrow(/b1 must be a Float32Array of 3 values/);
    const session = backend.createSession(shape, p);
    expect(() => session.trainStep(null, SUM_LOSS, ADAM)).toThrow(/no training data/);
    expect(() => session.forward(new Float32Array(5), 2)).toThrow(/expected 2 × 2 = 4 values/);
    session.setTrainingData(new Float32Array(4), 2);
    expect(() => session.trainStep(Uint32Array.from([0, 2]), SUM_LOSS, ADAM)).toThrow(/row index 2 is out of range/);
    session.dispose();
    expect(() => session.getParameters()).toThrow(/disposed/);
  });

  it('should not leak tensors across steps, forward passes and dispose', () => {
    const shape = { inputSize: 6, hiddenSize: 18 };
    const rng = mulberry32(8);
    const x = randomArray(rng, 20 * shape.inputSize);
    const start = tf.memory().numTensors;
    const session = backend.createSession(shape, randomParameters(rng, shape, RANGES));
    session.setTrainingData(x, 20);
    session.trainStep(Uint32Array.from([1, 2, 3]), SUM_LOSS, ADAM);
    const afterFirst = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      session.trainStep(null, MEAN_LOSS, ADAM);
      session.trainStep(Uint32Array.from([4, 5]), SUM_LOSS, SGD);
      session.forward(x, 20);
      session.gradients(x, 20, SUM_LOSS);
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
    const { params: p, x } = randomParametersAndData(9, shape, 30, RANGES);
    const a = wasm.createSession(shape, p);
    const b = cpu.createSession(shape, p);
    a.setTrainingData(x, 30);
    b.setTrainingData(x, 30);
    for (let i = 0; i < 10; i++) {
      const la = a.trainStep(null, SUM_LOSS, ADAM);
      expect(tf.getBackend()).toBe('wasm');
      const lb = b.trainStep(null, SUM_LOSS, ADAM);
      expect(tf.getBackend()).toBe('cpu');
      expect(lb.loss).toBeCloseTo(la.loss, 3);
    }
    const pa = a.getParameters();
    const pb = b.getParameters();
    for (const k of PARAMETER_NAMES) expectAllClose(pb[k], pa[k], { atol: 1e-5, rtol: 1e-4 }, `${k} wasm vs cpu`);
    a.dispose();
    b.dispose();
  });

  it('should start both backends concurrently', async () => {
    const [wasm, cpu] = await Promise.all([createTfjsBackend('tfjs-wasm'), createTfjsBackend('tfjs-cpu')]);
    expect([wasm.name, cpu.name]).toEqual(['tfjs-wasm', 'tfjs-cpu']);
  });
});
