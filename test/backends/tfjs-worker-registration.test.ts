/**
 * The workerd path of tfjs-backend-wasm (register-worker.ts), exercised in Node: the SIMD binary
 * is compiled here and handed over as a WebAssembly.Module, as wrangler does for the Worker.
 * The real Workers-runtime test is test/worker/tfjs-backend.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { createTfjsWasmBackendFromModule } from '../../src/backends/tfjs/register-worker.js';
import type { OptimizerConfig } from '../../src/backends/types.js';
import { referenceAdamStep, referenceGradients, toParameters64, zeroParameters64 } from '../../src/reference/sae-reference.js';
import { expectAllClose } from '../helpers/allclose.js';
import { mulberry32, randomArray } from '../helpers/random.js';

const require = createRequire(import.meta.url);

// The project's types include @cloudflare/workers-types, whose WebAssembly.Module is abstract
// (Workers cannot compile at run time); Node can.
const compileModule = (bytes: Uint8Array): WebAssembly.Module =>
  new (WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module)(bytes);
const ADAM: OptimizerConfig = { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
const LOSS = { sparsityTarget: 0.1, sparsityWeight: 0.1, weightDecay: 0.1, reduction: 'sum' } as const;

describe('createTfjsWasmBackendFromModule', () => {
  it('should start tfjs-backend-wasm from a compiled module and train like the reference', async () => {
    expect(tf.engine().registry['wasm']).toBeUndefined(); // this file starts it, not the package's loader
    const bytes = await readFile(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
    const backend = await createTfjsWasmBackendFromModule(compileModule(bytes));
    expect(backend.name).toBe('tfjs-wasm');
    expect(tf.engine().registry['wasm']?.constructor.name).toBe('BackendWasm');

    const shape = { inputSize: 4, hiddenSize: 12 };
    const rng = mulberry32(11);
    const limit = Math.sqrt(6 / (4 + 12 + 1));
    const p = {
      W1: randomArray(rng, 48, -limit, limit),
      b1: new Float32Array(12),
      W2: randomArray(rng, 48, -limit, limit),
      b2: new Float32Array(4),
    };
    const x = randomArray(rng, 10 * 4);
    const session = backend.createSession(shape, p);
    session.setTrainingData(x, 10);
    const ref = toParameters64(p);
    const state = { step: 0, m: zeroParameters64(shape), v: zeroParameters64(shape) };
    for (let i = 0; i < 3; i++) {
      session.trainStep(null, LOSS, ADAM);
      referenceAdamStep(ref, referenceGradients(ref, x, 10, shape, LOSS).gradients, state, ADAM);
    }
    expect(tf.getBackend()).toBe('wasm');
    const got = session.getParameters();
    for (const k of ['W1', 'b1', 'W2', 'b2'] as const) expectAllClose(got[k], ref[k], { atol: 1e-6, rtol: 1e-5 }, k);
    session.dispose();

    // A second call reuses the running backend.
    const again = await createTfjsWasmBackendFromModule(compileModule(bytes));
    expect(again.name).toBe('tfjs-wasm');
  });
});
