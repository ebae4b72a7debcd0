/**
 * Model files move between backends: a model trained on one backend, saved, sent through JSON and
 * loaded on another gives the same codes (within float32 tolerance); and on one backend the same
 * seed gives the same weights bit for bit (docs/SPEC.md section 2, Determinism).
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { BackendName, KernelBackend } from '../../src/backends/types.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { expectAllClose } from '../helpers/allclose.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';
import { PARAMETER_NAMES } from '../helpers/parameters.js';
import { REAL_BACKENDS, TRAINING_CASES, loadBackend, parametersOf, report, trainCase, trainingData } from './fixtures.js';

/**
 * Codes of the same loaded weights on two backends: one forward layer (a dot product of n ≤ 17
 * terms and a sigmoid), so float32 rounding only. Measured worst: 6e-8 (one ulp near 0.5).
 */
const CODES_TOL = { atol: 5e-7, rtol: 1e-6 };
/** Reconstructions in the caller's scale (data in [−3, 5), so ×8 the [0,1] error). Measured worst: 4.8e-7. */
const OUTPUTS_TOL = { atol: 4e-6, rtol: 1e-6 };

/** Trained on the mini-batch case: seeded init and seeded shuffle both matter. */
const CASE = TRAINING_CASES[0]!;

describe('model files across backends', () => {
  const backends = new Map<BackendName, KernelBackend>();
  /** The JSON text of the file of the case's model trained on each backend. */
  const files = new Map<BackendName, string>();

  beforeAll(async () => {
    for (const name of REAL_BACKENDS) {
      const backend = await loadBackend(name);
      backends.set(name, backend);
      const { model } = trainCase(backend, CASE);
      files.set(name, JSON.stringify(model.toFile()));
      model.dispose();
    }
  });

  const pairs = REAL_BACKENDS.flatMap((from) => REAL_BACKENDS.filter((to) => to !== from).map((to) => ({ from, to })));

  it.each(pairs)('a model trained on $from should give the same codes when loaded on $to', ({ from, to }) => {
    // Fresh rows in the training data's range, and the training data itself.
    const fresh = randomMatrix(mulberry32(77), 20, CASE.inputSize, -3, 5);
    const seen = trainingData(CASE);
    const file = files.get(from)!;
    const original = SparseAutoencoder.fromFile(JSON.parse(file), backends.get(from)!);
    const moved = SparseAutoencoder.fromFile(JSON.parse(file), backends.get(to)!);
    expect(moved.backendName).toBe(to);
    // Loading keeps the file's weights exactly, whatever the backend.
    const [pa, pb] = [parametersOf(original), parametersOf(moved)];
    for (const k of PARAMETER_NAMES) expect(Array.from(pb[k])).toEqual(Array.from(pa[k]));

    for (const [label, data] of [['fresh rows', fresh], ['training rows', seen]] as const) {
      const a = original.encode(data).data;
      const b = moved.encode(data).data;
      report(`file ${from}→${to} codes (${label})`, b, a);
      expectAllClose(b, a, CODES_TOL, `codes of ${label}: ${to} vs ${from}`);
      const ya = original.reconstruct(data).outputs.data;
      const yb = moved.reconstruct(data).outputs.data;
      report(`file ${from}→${to} reconstructions (${label})`, yb, ya);
      expectAllClose(yb, ya, OUTPUTS_TOL, `reconstructions of ${label}: ${to} vs ${from}`);
    }
    // The moved model writes the same file back (weights, normalisation, optimizer state).
    expect(JSON.stringify(moved.toFile())).toBe(file);
    original.dispose();
    moved.dispose();
  });
});

describe('binary model files across backends', () => {
  /** The binary file of the case's model (with Adam's state) trained on each backend. */
  const binaries = new Map<BackendName, Uint8Array>();
  const jsons = new Map<BackendName, string>();
  const backends = new Map<BackendName, KernelBackend>();

  beforeAll(async () => {
    for (const name of REAL_BACKENDS) {
      const backend = await loadBackend(name);
      backends.set(name, backend);
      const { model } = trainCase(backend, CASE);
      binaries.set(name, model.toBinaryFile());
      jsons.set(name, JSON.stringify(model.toFile()));
      model.dispose();
    }
  });

  const all = REAL_BACKENDS.flatMap((from) => REAL_BACKENDS.map((to) => ({ from, to })));

  it.each(all)('a model trained on $from should go binary -> JSON -> binary and JSON -> binary -> JSON bit for bit on $to', ({ from, to }) => {
    const backend = backends.get(to)!;
    const binary = binaries.get(from)!;
    const json = jsons.get(from)!;
    // Binary -> a model on `to` -> JSON: the JSON file the model was saved as, to the byte.
    const fromBinary = SparseAutoencoder.fromBytes(binary, backend);
    expect(JSON.stringify(fromBinary.toFile())).toBe(json);
    // JSON -> a model on `to` -> binary: the binary file, to the byte.
    const fromJson = SparseAutoencoder.fromFile(JSON.parse(json), backend);
    expect(fromJson.toBinaryFile()).toEqual(binary);
    // And the parameters and moments inside the backend are the file's bits.
    const [pa, pb] = [parametersOf(fromBinary), parametersOf(fromJson)];
    for (const k of PARAMETER_NAMES) expect(new Uint32Array(pb[k].slice().buffer)).toEqual(new Uint32Array(pa[k].slice().buffer));
    const [ma, mb] = [fromBinary.getOptimizerState()!, fromJson.getOptimizerState()!];
    expect(ma.step).toBe(mb.step);
    for (const k of PARAMETER_NAMES) expect(new Uint32Array(ma.v[k].slice().buffer)).toEqual(new Uint32Array(mb.v[k].slice().buffer));
    fromBinary.dispose();
    fromJson.dispose();
  });
});

describe('determinism on one backend', () => {
  describe.each(REAL_BACKENDS)('%s', (name) => {
    it.each(TRAINING_CASES)('should give the same weights bit for bit from the same seed ($label)', async (c) => {
      const backend = await loadBackend(name);
      const first = trainCase(backend, c);
      const second = trainCase(backend, c);
      for (const k of PARAMETER_NAMES) {
        // Compare the bits, so that even −0 vs 0 or two NaNs would show.
        const a = new Uint32Array(first.parameters[k].buffer.slice(0));
        const b = new Uint32Array(second.parameters[k].buffer.slice(0));
        expect(Array.from(b), `${name} ${k}`).toEqual(Array.from(a));
      }
      expect(second.lossHistory).toEqual(first.lossHistory);
      expect(Array.from(second.codes)).toEqual(Array.from(first.codes));
      expect(second.model.getOptimizerState()).toEqual(first.model.getOptimizerState());
      first.model.dispose();
      second.model.dispose();
    });

    it('should give different weights from a different seed (the seed is used)', async () => {
      const backend = await loadBackend(name);
      const a = trainCase(backend, CASE);
      const b = trainCase(backend, { ...CASE, training: { ...CASE.training, seed: CASE.training.seed! + 1 } });
      expect(Array.from(b.parameters.W1)).not.toEqual(Array.from(a.parameters.W1));
      a.model.dispose();
      b.model.dispose();
    });
  });
});
