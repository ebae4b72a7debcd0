import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportableModel } from '../../src/export/exportable.js';
import { buildOnnx, exportOnnx } from '../../src/export/onnx.js';
import type { Normalization } from '../../src/model/normalization.js';
import type { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { referenceForward } from '../../src/reference/sae-reference.js';
import { expectAllClose } from '../helpers/allclose.js';
import { runOnnx } from '../helpers/onnx-runtime.js';
import { CASES, rowsFor, trainedModel } from './trained-models.js';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { SparseAutoencoder as Model } from '../../src/model/sparse-autoencoder.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const { onnx } = onnxProto;

/** The float64 reference's codes: the scaling and the forward pass in float64 throughout. */
function referenceCodes(model: SparseAutoencoder, rows: { rows: number; cols: number; data: Float32Array }): Float64Array {
  const norm = model.inputNormalization as Normalization;
  const x = Float64Array.from(rows.data, (v, k) => {
    if (norm.kind === 'none') return v;
    const j = k % rows.cols;
    const [offset, range] = norm.kind === 'minmax' ? [norm.min[j]!, norm.max[j]! - norm.min[j]!] : [norm.mean[j]!, norm.std[j]!];
    return range > 0 ? (v - offset) / range : 0;
  });
  return referenceForward(model.getParameters(), x, rows.rows, model.shape).hidden;
}

function opTypes(bytes: Uint8Array): string[] {
  return onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType!);
}

describe.each(CASES)('ONNX export of $label', (c) => {
  let model: SparseAutoencoder;
  beforeAll(async () => {
    model = await trainedModel(c);
  });
  afterAll(() => model.dispose());

  it('should give codes equal to model.encode within 1e-5 in ONNX Runtime', async () => {
    const { bytes, scaling } = buildOnnx(exportableModel(model));
    expect(scaling).toBe(c.scaling);
    const rows = rowsFor(c, 64, 99);
    const out = await runOnnx(bytes, rows);
    expect(Object.keys(out)).toEqual(['codes']);
    expect(out.codes!.dims).toEqual([64, c.hiddenSize]);
    expectAllClose(out.codes!.data, model.encode(rows).data, { atol: 1e-5, rtol: 0 });
    expectAllClose(out.codes!.data, referenceCodes(model, rows), { atol: 1e-5, rtol: 0 });
  });

  it('should reconstruct in the caller\'s scale like model.reconstruct with --whole', async () => {
    const bytes = exportOnnx(exportableModel(model), { whole: true });
    const rows = rowsFor(c, 16, 7);
    const out = await runOnnx(bytes, rows);
    expect(Object.keys(out).sort()).toEqual(['codes', 'reconstruction']);
    expect(out.reconstruction!.dims).toEqual([16, c.inputSize]);
    expectAllClose(out.codes!.data, model.encode(rows).data, { atol: 1e-5, rtol: 0 });
    // Outputs are in the data's units: the tolerance scales with the data's range.
    expectAllClose(out.reconstruction!.data, model.reconstruct(rows).outputs.data, { atol: 1e-5 * (c.hi - c.lo), rtol: 1e-6 });
  });
});

describe.each([
  { architecture: 'relu', normalize: 'minmax', lo: -3, hi: 3 },
  { architecture: 'relu', normalize: 'none', lo: -2, hi: 2 },
  { architecture: 'topk', normalize: 'minmax', lo: 0, hi: 5 },
  { architecture: 'topk', normalize: 'none', lo: -1, hi: 1 },
  { architecture: 'relu', normalize: 'standardize', lo: 100, hi: 140 },
  { architecture: 'topk', normalize: 'standardize', lo: -2, hi: 6 },
] as const)('ONNX export of a $architecture model, normalize $normalize', (c) => {
  let model: SparseAutoencoder;
  const rows = (count: number, seed: number) => randomMatrix(mulberry32(seed), count, 16, c.lo, c.hi);
  beforeAll(async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    model = Model.create(16, { architecture: c.architecture, hiddenSize: 48, k: 6, normalize: c.normalize, sparsityWeight: 0.01 }, backend, { seed: 5 });
    model.fit(rows(128, 1), { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 5 });
  });
  afterAll(() => model.dispose());

  it('should give the codes of model.encode in ONNX Runtime (topk: the same k units of every row)', async () => {
    const bytes = exportOnnx(exportableModel(model));
    const x = rows(64, 99);
    const out = await runOnnx(bytes, x);
    expect(out.codes!.dims).toEqual([64, 48]);
    const expected = model.encode(x).data;
    expectAllClose(out.codes!.data, expected, { atol: 1e-5, rtol: 1e-5 });
    if (c.architecture === 'topk') {
      for (let i = 0; i < 64; i++) {
        const kept = (codes: ArrayLike<number>) => Array.from({ length: 48 }, (_, j) => codes[i * 48 + j]! > 0);
        expect(kept(out.codes!.data), `row ${i}`).toEqual(kept(expected));
      }
    }
    expect(opTypes(bytes)).toEqual([
      ...(c.normalize !== 'none' ? ['Sub', 'Mul'] : []),
      'Sub', 'Gemm',
      ...(c.architecture === 'relu' ? ['Relu'] : ['TopK', 'Relu', 'Shape', 'ConstantOfShape', 'ScatterElements']),
    ]);
  });

  it('should reconstruct in the caller\'s scale like model.reconstruct with --whole (a linear decoder)', async () => {
    const x = rows(16, 7);
    const out = await runOnnx(exportOnnx(exportableModel(model), { whole: true }), x);
    expectAllClose(out.reconstruction!.data, model.reconstruct(x).outputs.data, { atol: 1e-5 * (c.hi - c.lo), rtol: 1e-5 });
  });
});

describe.each([
  { normalize: 'none', lo: -1, hi: 1 },
  { normalize: 'standardize', lo: -2, hi: 6 },
] as const)('ONNX export of a jumprelu model, normalize $normalize', (c) => {
  let model: SparseAutoencoder;
  const rows = (count: number, seed: number) => randomMatrix(mulberry32(seed), count, 16, c.lo, c.hi);
  beforeAll(async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    model = Model.create(16, { architecture: 'jumprelu', hiddenSize: 48, normalize: c.normalize, l0Coefficient: 0.05, initialThreshold: 0.2 }, backend, { seed: 5 });
    model.fit(rows(128, 1), { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 5 });
  });
  afterAll(() => model.dispose());

  it('should give the codes of model.encode in ONNX Runtime, each unit cut at its own threshold', async () => {
    const bytes = exportOnnx(exportableModel(model));
    const x = rows(64, 99);
    const out = await runOnnx(bytes, x);
    const expected = model.encode(x).data;
    expectAllClose(out.codes!.data, expected, { atol: 1e-5, rtol: 1e-5 });
    expect(expected.some((v) => v === 0) && expected.some((v) => v > 0)).toBe(true);
    expect(opTypes(bytes)).toEqual([...(c.normalize !== 'none' ? ['Sub', 'Mul'] : []), 'Sub', 'Gemm', 'Greater', 'Cast', 'Mul']);
    const whole = await runOnnx(exportOnnx(exportableModel(model), { whole: true }), x);
    expectAllClose(whole.reconstruction!.data, model.reconstruct(x).outputs.data, { atol: 1e-5 * (c.hi - c.lo), rtol: 1e-5 });
  });
});

describe.each([
  { architecture: 'batchtopk', normalize: 'none', lo: -1, hi: 1, extra: {} },
  { architecture: 'matryoshka', normalize: 'standardize', lo: -2, hi: 6, extra: { groupSizes: [12, 12, 24] } },
] as const)('ONNX export of a $architecture model, normalize $normalize', (c) => {
  let model: SparseAutoencoder;
  const rows = (count: number, seed: number) => randomMatrix(mulberry32(seed), count, 16, c.lo, c.hi);
  beforeAll(async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    // θ's running mean from step 2 of 12, so the export carries a trained θ
    model = Model.create(16, { architecture: c.architecture, hiddenSize: 48, normalize: c.normalize, k: 4, thresholdStart: 2, ...c.extra }, backend, { seed: 5 });
    model.fit(rows(128, 1), { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 5 });
  });
  afterAll(() => model.dispose());

  it('should give the codes of model.encode in ONNX Runtime, every unit cut at the one inference threshold', async () => {
    expect(model.getParameters().theta![0]).toBeGreaterThan(0);
    const bytes = exportOnnx(exportableModel(model));
    const x = rows(64, 99);
    const out = await runOnnx(bytes, x);
    const expected = model.encode(x).data;
    expectAllClose(out.codes!.data, expected, { atol: 1e-5, rtol: 1e-5 });
    expect(expected.some((v) => v === 0) && expected.some((v) => v > 0)).toBe(true);
    expect(opTypes(bytes)).toEqual([...(c.normalize !== 'none' ? ['Sub', 'Mul'] : []), 'Sub', 'Gemm', 'Relu', 'Greater', 'Cast', 'Mul']);
    const whole = await runOnnx(exportOnnx(exportableModel(model), { whole: true }), x);
    expectAllClose(whole.reconstruction!.data, model.reconstruct(x).outputs.data, { atol: 1e-5 * (c.hi - c.lo), rtol: 1e-5 });
  });
});

describe('ONNX export graph', () => {
  it('should be Gemm + Sigmoid when the scaling folds, with Sub/Mul before it when not', async () => {
    const [folded, , separate, none] = await Promise.all(CASES.map(trainedModel));
    try {
      expect(opTypes(exportOnnx(exportableModel(folded!)))).toEqual(['Gemm', 'Sigmoid']);
      expect(opTypes(exportOnnx(exportableModel(separate!)))).toEqual(['Sub', 'Mul', 'Gemm', 'Sigmoid']);
      expect(opTypes(exportOnnx(exportableModel(none!)))).toEqual(['Gemm', 'Sigmoid']);
      expect(opTypes(exportOnnx(exportableModel(folded!), { whole: true }))).toEqual(['Gemm', 'Sigmoid', 'Gemm', 'Sigmoid', 'Mul', 'Add']);
      expect(opTypes(exportOnnx(exportableModel(none!), { whole: true }))).toEqual(['Gemm', 'Sigmoid', 'Gemm', 'Sigmoid']);
    } finally {
      for (const m of [folded, separate, none]) m!.dispose();
    }
  });

  it('should declare opset 13 and a symbolic batch dimension that takes any number of rows', async () => {
    const c = CASES[0]!;
    const model = await trainedModel(c);
    try {
      const bytes = exportOnnx(exportableModel(model));
      const proto = onnx.ModelProto.decode(bytes);
      expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
      const dims = proto.graph!.input![0]!.type!.tensorType!.shape!.dim!;
      expect(dims.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['batch', 16]);
      for (const count of [1, 37]) {
        const rows = rowsFor(c, count, count);
        const out = await runOnnx(bytes, rows);
        expect(out.codes!.dims).toEqual([count, 48]);
        expectAllClose(out.codes!.data, model.encode(rows).data, { atol: 1e-5, rtol: 0 });
      }
    } finally {
      model.dispose();
    }
  });

  it('should refuse an untrained model (no fitted normalisation)', async () => {
    const { SparseAutoencoder } = await import('../../src/model/sparse-autoencoder.js');
    const { loadNodeBackend } = await import('../../src/backends/node-providers.js');
    const { backend } = await loadNodeBackend('assemblyscript');
    const model = SparseAutoencoder.create(4, { hiddenSize: 3 }, backend);
    try {
      expect(() => exportableModel(model)).toThrow(/before it has been trained/);
    } finally {
      model.dispose();
    }
  });
});
