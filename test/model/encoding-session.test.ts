/**
 * The encode-only session (src/model/encoding-session.ts, src/backends/assemblyscript/encode-session.ts)
 * against the float64 reference, on every architecture and weight dtype: model.encode on the
 * AssemblyScript backend runs it, and gives the reference's codes of the same (stored) weights —
 * f32 and bf16 within float32 rounding, int8 within the bound its input quantisation allows — for
 * one row (the rows kernel) and many (the GEMM) alike; the tfjs fallback agrees; a session made
 * from a file's bytes (the encoder's prefix alone) gives the model's codes bit for bit; and
 * training drops the session so encode follows the new weights.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openEncoderFile } from '../../src/model/encoder-file-node.js';
import { splitBinary } from '../helpers/bad-binary-models.js';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import type { KernelBackend } from '../../src/backends/types.js';
import { ModelFileError } from '../../src/errors.js';
import { encoderBytes } from '../../src/model/model-file-binary.js';
import { EncodingSession } from '../../src/model/encoding-session.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomRows } from '../helpers/random.js';
import { referenceBackend } from '../helpers/reference-backend.js';
import { gatedForward } from '../../src/reference/gated-reference.js';

const N = 24;
const H = 40;
const ARCHITECTURES = ['sigmoid', 'relu', 'topk', 'jumprelu', 'batchtopk', 'matryoshka'] as const;
type Arch = (typeof ARCHITECTURES)[number];
const rows = randomRows(mulberry32(11), 70, N, -2, 3);
// a row of larger values, so int8's per-row input scale differs from the others'
rows.push(rows[0]!.map((v, k) => v * 5 + k));

let as: KernelBackend;
let tfjs: KernelBackend;
const trained = new Map<Arch, Uint8Array>();

beforeAll(async () => {
  as = (await loadNodeBackend('assemblyscript')).backend;
  tfjs = (await loadNodeBackend('tfjs-cpu')).backend;
  for (const architecture of ARCHITECTURES) {
    const config = { hiddenSize: H, architecture, normalize: architecture === 'sigmoid' ? ('minmax' as const) : ('standardize' as const), ...(architecture === 'topk' ? { k: 6 } : {}), ...(architecture === 'jumprelu' ? { initialThreshold: 0.05 } : {}), ...(architecture === 'batchtopk' || architecture === 'matryoshka' ? { k: 6, thresholdStart: 2 } : {}), ...(architecture === 'matryoshka' ? { groupSizes: [10, 10, 20] } : {}) };
    const model = SparseAutoencoder.create(N, config, as, { seed: 5 });
    model.fit(rows, { epochs: 4, learningRate: 0.01, batchSize: 16 });
    trained.set(architecture, model.toBinaryFile());
    model.dispose();
  }
}, 120_000);

function model(architecture: Arch, backend: KernelBackend, dtype: 'f32' | 'bf16' | 'int8'): SparseAutoencoder {
  const f32 = SparseAutoencoder.fromBytes(trained.get(architecture)!, backend);
  return dtype === 'f32' ? f32 : f32.withWeightDtype(dtype);
}

/** The largest |a − b| relative to max(1, |b|). */
function worst(a: Float32Array, b: Float32Array): number {
  let w = 0;
  for (let k = 0; k < a.length; k++) w = Math.max(w, Math.abs(a[k]! - b[k]!) / Math.max(1, Math.abs(b[k]!)));
  return w;
}

describe('encode through the encode-only session', () => {
  it('should run the encode-only session on the AssemblyScript backend, and none on tfjs', () => {
    for (const architecture of ARCHITECTURES) {
      expect(EncodingSession.fromState(SparseAutoencoder.fromBytes(trained.get(architecture)!, as).toState(), as), architecture).not.toBeNull();
      expect(EncodingSession.fromState(SparseAutoencoder.fromBytes(trained.get(architecture)!, as).toState(), tfjs), architecture).toBeNull();
    }
    // model.encode goes through it: a session's encode is what answers
    const m = model('relu', as, 'f32');
    const spy = { calls: 0 };
    const original = EncodingSession.prototype.encodeScaled;
    EncodingSession.prototype.encodeScaled = function (this: EncodingSession, x, n) {
      spy.calls++;
      return original.call(this, x, n);
    };
    try {
      m.encode(rows);
    } finally {
      EncodingSession.prototype.encodeScaled = original;
    }
    expect(spy.calls).toBe(1);
  });

  it('should give the reference codes of the same weights, f32 and bf16 within float32 rounding, one row and many', () => {
    for (const architecture of ARCHITECTURES) {
      for (const dtype of ['f32', 'bf16'] as const) {
        const mine = model(architecture, as, dtype);
        const oracle = model(architecture, referenceBackend, dtype);
        const many = mine.encode(rows).data;
        const expected = oracle.encode(rows).data;
        expect(worst(many, expected), `${architecture} ${dtype}`).toBeLessThan(1e-5);
        // one row at a time (the rows kernel): the GEMM's bits
        for (const i of [0, 7, rows.length - 1]) expect(mine.encode([rows[i]!]).data, `${architecture} ${dtype} row ${i}`).toEqual(many.subarray(i * H, (i + 1) * H));
      }
    }
  });

  it('should keep int8 codes within the bound of their 12-bit input quantisation, and follow the f32 codes', () => {
    for (const architecture of ['relu', 'sigmoid'] as const) {
      const mine = model(architecture, as, 'int8');
      const oracle = model(architecture, referenceBackend, 'int8');
      const codes = mine.encode(rows).data;
      const expected = oracle.encode(rows).data;
      // |Δz_j| ≤ (s/2)·Σ_k |W[k, j]| per row, s = the row's (max − min)/4095 in the model's input space
      const W = oracle.getParameters().W1;
      const colAbs = Array.from({ length: H }, (_, j) => Array.from({ length: N }, (_, k) => Math.abs(W[k * H + j]!)).reduce((a, b) => a + b, 0));
      const spread = Math.max(...rows.flatMap((r) => r)) - Math.min(...rows.flatMap((r) => r));
      for (let i = 0; i < rows.length; i++) {
        for (let j = 0; j < H; j++) {
          // the scaled row spans at most the data's spread over the smallest column scale: bound it generously by 50× the spread
          const bound = ((50 * spread) / 4095 / 2) * colAbs[j]! + 1e-5;
          expect(Math.abs(codes[i * H + j]! - expected[i * H + j]!), `${architecture} [${i}, ${j}]`).toBeLessThanOrEqual(bound);
        }
      }
      const f32 = model(architecture, as, 'f32').encode(rows).data;
      expect(worst(codes, f32), architecture).toBeLessThan(0.05);
    }
  });

  it('should pick the same features as the reference for int8 topk and jumprelu on nearly every row', () => {
    for (const architecture of ['topk', 'jumprelu'] as const) {
      const codes = model(architecture, as, 'int8').encode(rows).data;
      const expected = model(architecture, referenceBackend, 'int8').encode(rows).data;
      let same = 0, active = 0;
      for (let k = 0; k < codes.length; k++) {
        if (expected[k]! !== 0) {
          active++;
          if (codes[k]! !== 0) same++;
        }
      }
      expect(same / active, architecture).toBeGreaterThan(0.95);
    }
  });

  it('should agree with the tfjs fallback (which encodes in its full session)', () => {
    for (const architecture of ARCHITECTURES) {
      for (const dtype of ['f32', 'bf16'] as const) {
        const fallback = model(architecture, tfjs, dtype).encode(rows).data;
        expect(worst(model(architecture, as, dtype).encode(rows).data, fallback), `${architecture} ${dtype}`).toBeLessThan(1e-4);
      }
    }
  });

  it('should give the model\'s codes bit for bit from a file\'s bytes, reading only the encoder\'s prefix of a bf16 or int8 file', () => {
    for (const architecture of ARCHITECTURES) {
      for (const dtype of ['f32', 'bf16', 'int8'] as const) {
        const m = model(architecture, as, dtype);
        const bytes = m.toBinaryFile();
        const prefix = bytes.subarray(0, encoderBytes(bytes));
        if (dtype !== 'f32') expect(bytes.length - prefix.length, `${architecture} ${dtype}`).toBeGreaterThanOrEqual(N * H * (dtype === 'bf16' ? 2 : 1));
        const session = EncodingSession.fromBytes(prefix, as, 'm.safetensors');
        expect(session.weightDtype).toBe(dtype);
        expect(session.encode(rows).data, `${architecture} ${dtype}`).toEqual(m.encode(rows).data);
        session.dispose();
      }
    }
  });

  it('should give the same codes from a file on disk read a block of rows at a time, and name a bad weight', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-encoder-file-'));
    try {
      for (const architecture of ARCHITECTURES) {
        for (const dtype of ['f32', 'bf16', 'int8'] as const) {
          const m = model(architecture, as, dtype);
          const file = path.join(dir, `${architecture}-${dtype}.safetensors`);
          writeFileSync(file, m.toBinaryFile());
          const session = openEncoderFile(file, as);
          expect(session.weightDtype).toBe(dtype);
          expect(session.encode(rows).data, `${architecture} ${dtype}`).toEqual(m.encode(rows).data);
        }
      }
      const bytes = model('relu', as, 'bf16').toBinaryFile();
      const { header, data } = splitBinary(bytes);
      const bad = bytes.slice();
      new DataView(bad.buffer).setUint16(bytes.length - data.length + header['encoder.weight'].data_offsets[0] + 2 * (H + 3), 0x7f80, true);
      writeFileSync(path.join(dir, 'bad.safetensors'), bad);
      expect(() => openEncoderFile(path.join(dir, 'bad.safetensors'), as)).toThrow(/model file field "encoder\.weight\[1\]\[3\]": must be a finite bfloat16 number/);
      writeFileSync(path.join(dir, 'cut.safetensors'), bytes.subarray(0, 100));
      expect(() => openEncoderFile(path.join(dir, 'cut.safetensors'), as)).toThrow(ModelFileError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should refuse bytes that stop inside the encoder, and a JSON file, naming what is wrong', () => {
    const bytes = model('relu', as, 'bf16').toBinaryFile();
    const short = bytes.subarray(0, encoderBytes(bytes) - 4);
    expect(() => EncodingSession.fromBytes(short, as)).toThrow(ModelFileError);
    expect(() => EncodingSession.fromBytes(new TextEncoder().encode('{"format":"edge-sae"}'), as)).toThrow(/binary \(safetensors\) model file/);
  });

  it('should encode with the new weights after training (the session is made again)', () => {
    const m = model('relu', as, 'f32');
    const before = m.encode(rows).data;
    m.fit(rows, { epochs: 2, learningRate: 0.05 });
    const after = m.encode(rows).data;
    expect(after).not.toEqual(before);
    expect(after).toEqual(SparseAutoencoder.fromBytes(m.toBinaryFile(), as).encode(rows).data);
  });
});

describe('gated (inference only: imported models) through the encode-only session', () => {
  /** A gated model of given tensors, as an importer makes one (b1 is b_gate), its gates both open and shut. */
  function gatedModel(backend: KernelBackend): SparseAutoencoder {
    const rng = mulberry32(23);
    const given = (count: number, scale: number, shift = 0) => Float32Array.from({ length: count }, () => Math.fround((rng() - 0.5) * scale + shift));
    return SparseAutoencoder.fromParameters(
      { architecture: 'gated', hiddenSize: H },
      { W1: given(N * H, 0.6), b1: given(H, 2), W2: given(H * N, 0.6), b2: given(N, 1, 0.5), r_mag: given(H, 1), b_mag: given(H, 2) },
      backend,
    );
  }

  it('should run the encode-only session and give the float64 reference\'s codes of the stored weights (f32, bf16), one row and many; int8 near them', () => {
    const original = EncodingSession.prototype.encodeScaled;
    let calls = 0;
    EncodingSession.prototype.encodeScaled = function (this: EncodingSession, x, n) {
      calls++;
      return original.call(this, x, n);
    };
    try {
      const f32 = gatedModel(as);
      expect(EncodingSession.fromState(f32.toState(), as)).not.toBeNull();
      for (const dtype of ['f32', 'bf16', 'int8'] as const) {
        const m = dtype === 'f32' ? f32 : f32.withWeightDtype(dtype);
        const before = calls;
        const many = m.encode(rows).data;
        expect(calls, dtype).toBe(before + 1);
        // the reference reads the model's own (widened) weights: W_enc as stored
        const expected = gatedForward(m.getParameters(), Float64Array.from(rows.flat()), rows.length, { inputSize: N, hiddenSize: H }).hidden;
        const active = expected.filter((v) => v > 0).length;
        expect(active).toBeGreaterThan(rows.length);
        expect(active).toBeLessThan(rows.length * H / 1.5);
        if (dtype === 'int8') {
          // int8 quantises the input rows too: most active units agree, the codes near f32's
          let same = 0;
          for (let k = 0; k < many.length; k++) if (expected[k]! > 0 && many[k]! > 0) same++;
          expect(same / active).toBeGreaterThan(0.95);
          continue;
        }
        expect(worst(many, Float32Array.from(expected)), dtype).toBeLessThan(1e-5);
        for (const i of [0, 7, rows.length - 1]) expect(m.encode([rows[i]!]).data, `${dtype} row ${i}`).toEqual(many.subarray(i * H, (i + 1) * H));
        expect(worst(many, gatedModel(tfjs).withWeightDtype(dtype).encode(rows).data), `${dtype} against tfjs`).toBeLessThan(1e-4);
      }
    } finally {
      EncodingSession.prototype.encodeScaled = original;
    }
  });

  it('should give the model\'s codes bit for bit from a gated file\'s encoder prefix (f32, bf16, int8)', () => {
    for (const dtype of ['f32', 'bf16', 'int8'] as const) {
      const m = dtype === 'f32' ? gatedModel(as) : gatedModel(as).withWeightDtype(dtype);
      const bytes = m.toBinaryFile();
      const session = EncodingSession.fromBytes(bytes.subarray(0, encoderBytes(bytes)), as, 'gated.safetensors');
      expect(session.weightDtype).toBe(dtype);
      expect(session.encode(rows).data, dtype).toEqual(m.encode(rows).data);
      session.dispose();
    }
  });
});
