/**
 * The weight dtype layer (src/model/weight-dtype.ts, convert-dtype.ts, the binary model file's
 * BF16 / I8 tensors): narrowing and widening, the model's withWeightDtype and toBinaryFile({ dtype }),
 * reading the files back (the same stored weights, bit for bit), training refused, the JSON file
 * refused, and malformed bf16 / int8 files refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, ModelFileError } from '../../src/errors.js';
import { readBinaryModelFile } from '../../src/model/model-file-binary.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { narrowMatrix, widenMatrix, type StoredMatrix } from '../../src/model/weight-dtype.js';
import { splitBinary, withHeader } from '../helpers/bad-binary-models.js';
import { mulberry32, randomRows } from '../helpers/random.js';
import { referenceBackend } from '../helpers/reference-backend.js';

const rows = randomRows(mulberry32(7), 24, 6, -2, 3);

function trained(architecture: 'relu' | 'topk' | 'jumprelu' | 'sigmoid' = 'relu') {
  const config = architecture === 'topk' ? { k: 2 } : {};
  const model = SparseAutoencoder.create(6, { hiddenSize: 5, architecture, normalize: architecture === 'sigmoid' ? 'minmax' : 'standardize', ...config }, referenceBackend, { seed: 3 });
  model.fit(rows, { epochs: 3, learningRate: 0.01 });
  return model;
}

function fieldOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    return (error as ModelFileError).field;
  }
  throw new Error('expected a ModelFileError');
}

describe('narrowing and widening weight matrices', () => {
  const w = Float32Array.from({ length: 6 * 5 }, (_, k) => Math.sin(k * 1.7) * (1 + (k % 5)));

  it('should keep bf16 widening exact (narrowing a widened matrix gives the same bits)', () => {
    const bf16 = narrowMatrix(w, 6, 5, 'bf16', 'cols') as Extract<StoredMatrix, { dtype: 'bf16' }>;
    const wide = widenMatrix(bf16, 6, 5, 'cols');
    for (let k = 0; k < w.length; k++) expect(Math.abs(wide[k]! - w[k]!)).toBeLessThanOrEqual(Math.abs(w[k]!) * 2 ** -8);
    expect((narrowMatrix(wide, 6, 5, 'bf16', 'cols') as typeof bf16).bits).toEqual(bf16.bits);
  });

  it('should quantise int8 per hidden unit: columns of W_enc, rows of W_dec, each within half its scale', () => {
    for (const axis of ['cols', 'rows'] as const) {
      const m = narrowMatrix(w, 6, 5, 'int8', axis) as Extract<StoredMatrix, { dtype: 'int8' }>;
      expect(m.scales.length).toBe(axis === 'cols' ? 5 : 6);
      const wide = widenMatrix(m, 6, 5, axis);
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < 5; j++) {
          const scale = m.scales[axis === 'cols' ? j : i]!;
          expect(Math.abs(wide[i * 5 + j]! - w[i * 5 + j]!)).toBeLessThanOrEqual(scale / 2 + 1e-6);
          expect(Math.abs(m.q[i * 5 + j]!)).toBeLessThanOrEqual(127);
        }
      }
      // each unit's largest weight is ±127
      const unitMax = (u: number) => Math.max(...Array.from({ length: axis === 'cols' ? 6 : 5 }, (_, t) => Math.abs(m.q[axis === 'cols' ? t * 5 + u : u * 5 + t]!)));
      for (let u = 0; u < m.scales.length; u++) expect(unitMax(u)).toBe(127);
    }
  });

  it('should refuse a weight bf16 cannot hold, naming it', () => {
    const big = new Float32Array([1, 3.4e38, 2, 3]);
    expect(() => narrowMatrix(big, 2, 2, 'bf16', 'cols', 'encoder.weight')).toThrow(/encoder\.weight\[0\]\[1\] is 3\.39\d*e\+38, which bfloat16 cannot hold \(it would be Infinity\)/);
  });
});

describe('bf16 and int8 models', () => {
  it('should write bf16 and int8 binary files that read back as the same model (weights, encode, dtype)', () => {
    const model = trained();
    const f32Bytes = model.toBinaryFile().length;
    for (const dtype of ['bf16', 'int8'] as const) {
      const narrow = model.withWeightDtype(dtype);
      expect(narrow.weightDtype).toBe(dtype);
      expect(model.weightDtype).toBe('f32');
      const bytes = narrow.toBinaryFile();
      expect(bytes).toEqual(model.toBinaryFile({ dtype }));
      const { header } = splitBinary(bytes);
      expect(header.__metadata__.weightDtype).toBe(dtype);
      expect(header['encoder.weight'].dtype).toBe(dtype === 'bf16' ? 'BF16' : 'I8');
      expect(header['decoder.weight'].dtype).toBe(dtype === 'bf16' ? 'BF16' : 'I8');
      expect(header['encoder.bias'].dtype).toBe('F32');
      if (dtype === 'int8') expect([header['encoder.weight_scale'].shape, header['decoder.weight_scale'].shape]).toEqual([[5], [5]]);
      expect(Object.keys(header).some((name) => name.startsWith('optimizer.'))).toBe(false);
      expect(bytes.length).toBeLessThan(f32Bytes);
      // the decoder's weights are stored last (an encoder reads a prefix of the file)
      const last = Object.entries(header).filter(([k]) => k !== '__metadata__').sort((a, b) => b[1].data_offsets[1] - a[1].data_offsets[1])[0]![0];
      expect(last).toMatch(/^decoder\.weight/);

      const back = SparseAutoencoder.fromBytes(bytes, referenceBackend);
      expect(back.weightDtype).toBe(dtype);
      expect(back.getParameters().W1).toEqual(narrow.getParameters().W1);
      expect(back.getParameters().W2).toEqual(narrow.getParameters().W2);
      expect(back.toBinaryFile()).toEqual(bytes);
      expect(back.encode(rows).data).toEqual(narrow.encode(rows).data);
      // and f32 widens exactly: the same weights as float32
      const wide = back.withWeightDtype('f32');
      expect(wide.getParameters().W1).toEqual(back.getParameters().W1);
    }
  });

  it('should leave a float32 file as it was (no weightDtype key), and read old float32 files', () => {
    const model = trained();
    const bytes = model.toBinaryFile();
    expect(splitBinary(bytes).header.__metadata__.weightDtype).toBeUndefined();
    expect(SparseAutoencoder.fromBytes(bytes, referenceBackend).weightDtype).toBe('f32');
    expect(model.withWeightDtype('f32')).not.toBe(model);
  });

  it('should convert every architecture, its own parameters (jumprelu θ) kept float32', () => {
    for (const architecture of ['sigmoid', 'topk', 'jumprelu'] as const) {
      const model = trained(architecture);
      const bytes = model.toBinaryFile({ dtype: 'bf16' });
      const back = SparseAutoencoder.fromBytes(bytes, referenceBackend);
      expect(back.config.architecture).toBe(architecture);
      if (architecture === 'jumprelu') {
        expect(splitBinary(bytes).header['encoder.threshold'].dtype).toBe('F32');
        expect(back.getParameters().theta).toEqual(model.getParameters().theta);
      }
      expect(back.encode(rows).rows).toBe(rows.length);
    }
  });

  it('should refuse to train a bf16 or int8 model, saying how to (convert to f32 first)', () => {
    const narrow = trained().withWeightDtype('int8');
    expect(() => narrow.fit(rows, { epochs: 1 })).toThrow(ConfigError);
    expect(() => narrow.fit(rows, { epochs: 1 })).toThrow(/int8; training needs float32 weights: convert it first \(model\.withWeightDtype\('f32'\)/);
    const wide = narrow.withWeightDtype('f32');
    expect(() => wide.fit(rows, { epochs: 1, learningRate: 0.01 })).not.toThrow();
  });

  it('should refuse the JSON model file for bf16 and int8 weights, naming the binary file', () => {
    expect(() => trained().withWeightDtype('bf16').toFile()).toThrow(/weightDtype: is bf16: the JSON model file holds float32 weights only; write the binary \(safetensors\)/);
  });

  it('should refuse an unknown dtype', () => {
    expect(() => trained().withWeightDtype('fp8' as never)).toThrow(/weightDtype: must be one of f32, bf16, int8, got "fp8"/);
  });
});

describe('malformed bf16 and int8 files', () => {
  const bf16 = trained().toBinaryFile({ dtype: 'bf16' });
  const int8 = trained().toBinaryFile({ dtype: 'int8' });

  it('should name an unknown weightDtype, and a weight tensor of the wrong dtype', () => {
    expect(fieldOf(() => readBinaryModelFile(withHeader(bf16, (h) => void (h.__metadata__.weightDtype = 'fp8'))))).toBe('__metadata__.weightDtype');
    expect(fieldOf(() => readBinaryModelFile(withHeader(bf16, (h) => void (h.__metadata__.weightDtype = 'f32'))))).toBe('__metadata__.weightDtype');
    // a bf16 tensor in a file that says nothing (float32) is refused as before
    expect(fieldOf(() => readBinaryModelFile(withHeader(bf16, (h) => void delete h.__metadata__.weightDtype)))).toBe('encoder.weight.dtype');
    expect(fieldOf(() => readBinaryModelFile(withHeader(bf16, (h) => void (h.__metadata__.weightDtype = 'int8'))))).toBe('encoder.weight.dtype');
    expect(fieldOf(() => readBinaryModelFile(withHeader(int8, (h) => void (h['encoder.bias'].dtype = 'I32'))))).toBe('encoder.bias.dtype');
  });

  it('should name a missing scales tensor and a bad scale', () => {
    const missing = withHeader(int8, (h) => {
      h['decoder.weight_scales'] = h['decoder.weight_scale'];
      delete h['decoder.weight_scale'];
    });
    expect(fieldOf(() => readBinaryModelFile(missing))).toBe('decoder.weight_scale');
    const { header, data } = splitBinary(int8);
    const [begin] = header['encoder.weight_scale'].data_offsets as [number, number];
    const bad = int8.slice();
    const dataStart = int8.length - data.length;
    new DataView(bad.buffer).setFloat32(dataStart + begin + 4, -1, true);
    expect(fieldOf(() => readBinaryModelFile(bad))).toBe('encoder.weight_scale[1]');
  });

  it('should name a non-finite bf16 weight and an int8 weight of -128', () => {
    const { header, data } = splitBinary(bf16);
    const dataStart = bf16.length - data.length;
    const nan = bf16.slice();
    new DataView(nan.buffer).setUint16(dataStart + header['decoder.weight'].data_offsets[0] + 2 * 7, 0x7fc0, true);
    expect(fieldOf(() => readBinaryModelFile(nan))).toBe('decoder.weight[1][1]');
    const split8 = splitBinary(int8);
    const low = int8.slice();
    low[int8.length - split8.data.length + split8.header['encoder.weight'].data_offsets[0] + 3] = 0x80;
    expect(fieldOf(() => readBinaryModelFile(low))).toBe('encoder.weight[0][3]');
  });

  it('should refuse optimizer state in a bf16 file', () => {
    expect(fieldOf(() => readBinaryModelFile(withHeader(bf16, (h) => void (h.__metadata__.optimizer = '{"kind":"adam","step":1}'))))).toBe('__metadata__.optimizer');
  });
});
