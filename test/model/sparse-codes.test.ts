import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { codesFromBytes, denseCodesToBytes, sparseCodesToBytes } from '../../src/model/codes-binary.js';
import { fromFeatureLists, selectSparse, toFeatureLists } from '../../src/model/sparse-codes.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import type { Matrix } from '../../src/data/matrix.js';
import { mulberry32, randomRows } from '../helpers/random.js';
import { referenceBackend } from '../helpers/reference-backend.js';

/** The top-K of each row by sorting the whole row (what the partial selection must equal). */
function sortedTop(codes: Matrix, k: number, threshold?: number): { indices: number[]; values: number[] }[] {
  const out = [];
  for (let i = 0; i < codes.rows; i++) {
    const row = Array.from(codes.data.subarray(i * codes.cols, (i + 1) * codes.cols));
    const order = row
      .map((value, j) => ({ value, j }))
      .filter(({ value }) => threshold === undefined || value > threshold)
      .sort((a, b) => b.value - a.value || a.j - b.j)
      .slice(0, k);
    out.push({ indices: order.map(({ j }) => j), values: order.map(({ value }) => value) });
  }
  return out;
}

/** Codes with many ties (values from a handful of levels) and zeros, as relu and TopK codes have. */
function tiedCodes(rows: number, cols: number, seed: number): Matrix {
  const random = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let e = 0; e < data.length; e++) data[e] = random() < 0.5 ? 0 : Math.floor(random() * 5) / 4;
  return { rows, cols, data };
}

describe('selectSparse: each row\'s largest features by a partial selection', () => {
  it('should equal sorting the whole row (value descending, ties by index) for every K, with ties and zeros', () => {
    const codes = tiedCodes(9, 37, 1);
    for (const k of [1, 2, 5, 17, 36, 37]) expect(toFeatureLists(selectSparse(codes, { top: k }))).toEqual(sortedTop(codes, k));
  });

  it('should equal the sorted answer on distinct random values', () => {
    const random = mulberry32(5);
    const codes: Matrix = { rows: 20, cols: 300, data: Float32Array.from({ length: 6000 }, () => random() * 2 - 1) };
    expect(toFeatureLists(selectSparse(codes, { top: 32 }))).toEqual(sortedTop(codes, 32));
  });

  it('should keep the features strictly above a threshold, and with top the K largest of those', () => {
    const codes = tiedCodes(6, 40, 2);
    expect(toFeatureLists(selectSparse(codes, { threshold: 0 }))).toEqual(sortedTop(codes, 40, 0));
    expect(toFeatureLists(selectSparse(codes, { threshold: 0.5, top: 3 }))).toEqual(sortedTop(codes, 3, 0.5));
    // A row with nothing above the threshold is an empty row, not a missing one.
    const none = selectSparse(codes, { threshold: 5 });
    expect(toFeatureLists(none)).toEqual(Array.from({ length: 6 }, () => ({ indices: [], values: [] })));
  });

  it('should refuse top outside 1..h, a fractional top, a non-finite threshold, or neither', () => {
    const codes = tiedCodes(2, 8, 3);
    for (const top of [0, 9, 2.5, -1, Number.NaN]) expect(() => selectSparse(codes, { top })).toThrow(/top must be a whole number from 1 to the model's 8 hidden units/);
    expect(() => selectSparse(codes, { threshold: Number.POSITIVE_INFINITY })).toThrow(/threshold must be a finite number/);
    expect(() => selectSparse(codes, {})).toThrow(DataError);
  });
});

describe('the binary form of codes', () => {
  it('should round-trip sparse and dense codes with the documented layout', () => {
    const codes = tiedCodes(3, 10, 4);
    const sparse = selectSparse(codes, { top: 4, threshold: 0 });
    const bytes = sparseCodesToBytes(sparse);
    const view = new DataView(bytes.buffer);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('ESSC');
    expect([view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)]).toEqual([3, 10, sparse.indices.length]);
    expect(view.getUint32(16, true)).toBe(sparse.offsets[1]);
    expect(bytes.length).toBe(16 + 4 * 3 + 8 * sparse.indices.length);
    const back = codesFromBytes(bytes);
    expect('sparse' in back && toFeatureLists(back.sparse)).toEqual(toFeatureLists(sparse));
    const dense = codesFromBytes(denseCodesToBytes(codes));
    expect('dense' in dense && Array.from(dense.dense.data)).toEqual(Array.from(codes.data));
  });

  it('should refuse a truncated body, a wrong magic and counts that disagree with the header', () => {
    const bytes = sparseCodesToBytes(selectSparse(tiedCodes(2, 6, 5), { top: 2 }));
    expect(() => codesFromBytes(bytes.subarray(0, 10))).toThrow(/shorter than the 16-byte header/);
    expect(() => codesFromBytes(bytes.subarray(0, bytes.length - 4))).toThrow(/take \d+ bytes; got/);
    const wrong = bytes.slice();
    wrong[0] = 0x58;
    expect(() => codesFromBytes(wrong)).toThrow(/starts with "ESSC" or "ESDC"/);
    const counts = bytes.slice();
    new DataView(counts.buffer).setUint32(16, 1, true);
    expect(() => codesFromBytes(counts)).toThrow(/add up to 3, not the header's 4/);
  });
});

describe('fromFeatureLists', () => {
  it('should name the row and entry of a bad index or value', () => {
    expect(() => fromFeatureLists([{ indices: [0, 8], values: [1, 2] }], 8)).toThrow(/features\[0\]\.indices\[1\] must be a whole number from 0 to 7/);
    expect(() => fromFeatureLists([{ indices: [1], values: [1] }, { indices: [3, 3], values: [1, 2] }], 8)).toThrow(/features\[1\]\.indices\[1\] repeats feature 3/);
    expect(() => fromFeatureLists([{ indices: [1], values: [1, 2] }], 8)).toThrow(/1 indices but 2 values/);
    expect(() => fromFeatureLists([{ indices: [1], values: ['x'] }], 8)).toThrow(/values\[0\] must be a finite float32 number/);
    expect(() => fromFeatureLists([], 8)).toThrow(/non-empty array/);
  });
});

describe('SparseAutoencoder.encodeTop, encodeSparse and decodeSparse', () => {
  const rows = randomRows(mulberry32(3), 10, 5, -2, 2);

  for (const architecture of ['relu', 'sigmoid', 'topk'] as const) {
    it(`should give dense encode's top-K and decode sparse codes as decode does the dense ones (${architecture})`, () => {
      const model = SparseAutoencoder.create(5, { hiddenSize: 12, architecture, ...(architecture === 'topk' ? { k: 3 } : {}), normalize: architecture === 'sigmoid' ? 'minmax' : 'standardize' }, referenceBackend, { seed: 2 });
      model.fit(rows, { epochs: 3, seed: 2 });
      const dense = model.encode(rows);
      expect(toFeatureLists(model.encodeTop(rows, 4))).toEqual(sortedTop(dense, 4));
      expect(toFeatureLists(model.encodeSparse(rows, { top: 4, threshold: 0.01 }))).toEqual(sortedTop(dense, 4, 0.01));
      // Every feature kept (all of h, or all above zero for codes that are zero elsewhere): decode's answer.
      const all = architecture === 'sigmoid' ? model.encodeTop(rows, 12) : model.encodeSparse(rows, { threshold: 0 });
      const expected = model.decode(dense);
      const got = model.decodeSparse(toFeatureLists(all));
      expect(got.rows).toBe(expected.rows);
      for (let e = 0; e < expected.data.length; e++) expect(got.data[e]).toBeCloseTo(expected.data[e]!, 4);
      // Fewer features are a different answer (the test can fail).
      const fewer = model.decodeSparse(model.encodeTop(rows, 1));
      expect(Array.from(fewer.data)).not.toEqual(Array.from(expected.data));
      expect(() => model.decodeSparse([{ indices: [12], values: [1] }])).toThrow(/from 0 to 11/);
      model.dispose();
    });
  }
});
