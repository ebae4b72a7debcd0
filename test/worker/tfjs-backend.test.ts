/**
 * tfjs-backend-wasm inside workerd: the SIMD binary comes in as a bundled WebAssembly.Module and
 * register-worker.ts starts the backend on it (the package's own loader fails here).
 */
import tfjsWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import { describe, expect, it } from 'vitest';

import { createTfjsWasmBackendFromModule } from '../../src/backends/tfjs/register-worker.js';
import type { LossConfig, OptimizerConfig } from '../../src/backends/types.js';

const LOSS: LossConfig = { sparsityTarget: 0.1, sparsityWeight: 0.1, weightDecay: 0.1, reduction: 'sum' };
const ADAM: OptimizerConfig = { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

describe('tfjs-wasm backend in workerd', () => {
  it('should start from the bundled module, train a tiny model and encode', async () => {
    expect(tfjsWasm).toBeInstanceOf(WebAssembly.Module);
    const backend = await createTfjsWasmBackendFromModule(tfjsWasm);
    expect(backend.name).toBe('tfjs-wasm');

    const shape = { inputSize: 3, hiddenSize: 9 };
    // A fixed, non-random init keeps the test free of helpers: small distinct weights.
    const W1 = Float32Array.from({ length: 27 }, (_, i) => ((i * 7) % 11) / 20 - 0.25);
    const W2 = Float32Array.from({ length: 27 }, (_, i) => ((i * 5) % 13) / 24 - 0.25);
    const session = backend.createSession(shape, { W1, b1: new Float32Array(9), W2, b2: new Float32Array(3) });
    const x = Float32Array.from([0, 0.5, 1, 1, 0.5, 0, 0.2, 0.8, 0.4, 0.9, 0.1, 0.3]);
    session.setTrainingData(x, 4);

    const losses: number[] = [];
    for (let step = 0; step < 20; step++) losses.push(session.trainStep(null, LOSS, ADAM).loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]!);
    expect(session.getOptimizerState()?.step).toBe(20);

    const { hidden } = session.forward(x, 4);
    expect(hidden).toHaveLength(4 * 9);
    for (const a of hidden) {
      expect(a).toBeGreaterThan(0);
      expect(a).toBeLessThan(1);
    }
    session.dispose();
  });
});
