/**
 * What is the tfjs backends' own: their tensors (none leaks) and tfjs's one global engine shared
 * by both (sessions of the two interleave, the two start concurrently). Everything a session
 * computes or refuses is the same for every backend, and is checked on these by the conformance
 * suite (test/conformance/suite.ts), with its tighter tolerances.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { createTfjsBackend, type TfjsBackendKind } from '../../src/backends/tfjs/index.js';
import type { KernelBackend } from '../../src/backends/types.js';
import { expectAllClose } from '../helpers/allclose.js';
import { PARAMETER_NAMES, randomParameters, randomParametersAndData, type ParameterRanges } from '../helpers/parameters.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { ADAM, MEAN_LOSS, SGD, SUM_LOSS } from '../helpers/training-settings.js';

/** Weights in the model's init range, biases in ±0.1. */
const RANGES: ParameterRanges = { biasLimit: 0.1 };

describe.each(['tfjs-wasm', 'tfjs-cpu'] as TfjsBackendKind[])('%s backend', (kind) => {
  let backend: KernelBackend;
  beforeAll(async () => {
    backend = await createTfjsBackend(kind);
  });

  it('should report its name', () => {
    expect(backend.name).toBe(kind);
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
