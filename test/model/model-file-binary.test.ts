import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src/errors.js';
import { modelFileForm, readModelBytes } from '../../src/model/model-bytes.js';
import { inferenceBytes, readBinaryModelFile, toBinaryModelFile } from '../../src/model/model-file-binary.js';
import { readModelFile, toModelFile } from '../../src/model/model-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { badBinaryModels, splitBinary as split } from '../helpers/bad-binary-models.js';
import { mulberry32, randomRows } from '../helpers/random.js';
import { referenceBackend } from '../helpers/reference-backend.js';

const backend = referenceBackend;
const rows = randomRows(mulberry32(5), 10, 4, -3, 7);

function trained(options: { optimizer?: 'adam' | 'sgd'; normalize?: 'minmax' | 'none' } = {}) {
  const model = SparseAutoencoder.create(4, { hiddenSize: 3, normalize: options.normalize ?? 'minmax' }, backend, { seed: 2 });
  const data = options.normalize === 'none' ? rows.map((r) => r.map((v) => (v + 3) / 10)) : rows;
  model.fit(data, { epochs: 3, learningRate: 0.01, optimizer: options.optimizer ?? 'adam' });
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

describe('binary model file (safetensors layout)', () => {
  it('should round-trip JSON -> binary -> JSON and binary -> JSON -> binary bit for bit', () => {
    for (const model of [trained(), trained({ optimizer: 'sgd' }), trained({ normalize: 'none' })]) {
      const json = JSON.stringify(model.toFile());
      const binary = toBinaryModelFile(readModelFile(JSON.parse(json)));
      expect(JSON.stringify(toModelFile(readBinaryModelFile(binary)))).toBe(json);
      const again = toBinaryModelFile(readModelFile(JSON.parse(JSON.stringify(toModelFile(readBinaryModelFile(binary))))));
      expect(again).toEqual(binary);
      expect(model.toBinaryFile()).toEqual(binary);
    }
  });

  it('should store the tensors under their documented names and shapes, with 8-byte aligned data', () => {
    const model = trained();
    const bytes = model.toBinaryFile();
    const { header } = split(bytes);
    const shapes = Object.fromEntries(Object.entries(header).filter(([k]) => k !== '__metadata__').map(([k, v]) => [k, v.shape]));
    const set = (prefix: string) => ({
      [`${prefix}encoder.weight`]: [4, 3],
      [`${prefix}encoder.bias`]: [3],
      [`${prefix}decoder.weight`]: [3, 4],
      [`${prefix}decoder.bias`]: [4],
    });
    expect(shapes).toEqual({ ...set(''), 'normalization.min': [4], 'normalization.max': [4], ...set('optimizer.m.'), ...set('optimizer.v.') });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const meta = header.__metadata__;
    expect(meta).toMatchObject({ format: 'edge-sae', version: '1', inputSize: '4', hiddenSize: '3', weightLayout: 'in,out', normalization: 'minmax' });
    expect(JSON.parse(meta.optimizer)).toEqual({ kind: 'adam', step: 3 });
    // encoder.weight is W1 [n, h] as is: x·W (SAELens W_enc).
    const { tensors } = decodeSafetensors(bytes);
    expect(Array.from(tensors.get('encoder.weight')!.data)).toEqual(Array.from(model.getParameters().W1));
    expect(Array.from(tensors.get('decoder.weight')!.data)).toEqual(Array.from(model.getParameters().W2));
  });

  it('should tell the two forms apart by content and load either', () => {
    const model = trained();
    const binary = model.toBinaryFile();
    const text = new TextEncoder().encode(`${JSON.stringify(model.toFile())}\n`);
    expect(modelFileForm(binary)).toBe('safetensors');
    expect(modelFileForm(text)).toBe('json');
    const fromBinary = SparseAutoencoder.fromBytes(binary, backend, 'm.safetensors');
    const fromText = SparseAutoencoder.fromBytes(text, backend, 'm.json');
    expect(fromBinary.encode(rows).data).toEqual(model.encode(rows).data);
    expect(fromText.encode(rows).data).toEqual(model.encode(rows).data);
    // A copy at an odd byte offset (not 4-aligned) still reads, by copying.
    const shifted = new Uint8Array(binary.length + 1);
    shifted.set(binary, 1);
    expect(readBinaryModelFile(shifted.subarray(1)).parameters.W1).toEqual(readBinaryModelFile(binary).parameters.W1);
  });

  it('should reject every malformed file naming the field (ModelFileError.field)', () => {
    const good = trained().toBinaryFile();
    for (const { what, bytes, field } of badBinaryModels(good)) {
      const got = fieldOf(() => readBinaryModelFile(bytes, 'm.safetensors'));
      if (typeof field === 'string') expect(got, what).toBe(field);
      else expect(got, what).toMatch(field);
    }
    const nan = badBinaryModels(good).find((c) => c.what === 'NaN inside')!.bytes;
    expect(() => readBinaryModelFile(nan, 'm.safetensors')).toThrowError(/m\.safetensors: model file field "encoder\.weight\[1\]\[1\]"/);
  });

  it('should find NaN and ±Infinity wherever they are in a tensor (each lane of the 4-wide scan, the tail)', () => {
    const good = trained().toBinaryFile();
    const { header, data } = split(good);
    const dataStart = good.length - data.length;
    const [begin, end] = header['decoder.weight'].data_offsets as [number, number];
    const cols = header['decoder.weight'].shape[1] as number;
    const count = (end - begin) / 4;
    expect(count).toBeGreaterThan(8);
    for (const value of [Number.NaN, Infinity, -Infinity]) {
      for (const k of [0, 1, 2, 3, 4, 5, count - 2, count - 1]) {
        const bad = good.slice();
        new DataView(bad.buffer).setFloat32(dataStart + begin + k * 4, value, true);
        expect(fieldOf(() => readBinaryModelFile(bad)), `${value} at ${k}`).toBe(`decoder.weight[${Math.floor(k / cols)}][${k % cols}]`);
      }
    }
    // The largest finite float32 and negative zero are fine.
    const edge = good.slice();
    new DataView(edge.buffer).setFloat32(dataStart + begin, 3.4028234663852886e38, true);
    new DataView(edge.buffer).setFloat32(dataStart + begin + 4, -0, true);
    expect(() => readBinaryModelFile(edge)).not.toThrow();
  });

  it('should reject missing and extra tensors', () => {
    const state = readBinaryModelFile(trained().toBinaryFile());
    const { tensors, metadata } = decodeSafetensors(toBinaryModelFile(state));
    const without = [...tensors].filter(([name]) => name !== 'optimizer.m.decoder.bias');
    expect(fieldOf(() => readBinaryModelFile(encodeSafetensors(without, metadata)))).toBe('optimizer.m.decoder.bias');
    const extra: typeof without = [...tensors, ['W_enc', { shape: [1], data: new Float32Array(1) }]];
    expect(fieldOf(() => readBinaryModelFile(encodeSafetensors(extra, metadata)))).toBe('W_enc');
    const noNorm = [...tensors].filter(([name]) => !name.startsWith('normalization.'));
    expect(fieldOf(() => readBinaryModelFile(encodeSafetensors(noNorm, metadata)))).toBe('normalization.min');
    expect(fieldOf(() => readBinaryModelFile(encodeSafetensors([...tensors], { ...metadata, normalization: 'none' })))).toBe('normalization.min');
  });

  it('should read the inference prefix (all but Adam\'s moments) without optimizer state, and nothing shorter', () => {
    const model = trained();
    const whole = model.toBinaryFile();
    const length = inferenceBytes(whole);
    expect(length).toBe(whole.length - 2 * 4 * (2 * 4 * 3 + 4 + 3));
    const state = readBinaryModelFile(whole.subarray(0, length), 'm', { withoutOptimizer: true });
    expect(state.optimizerState).toBeNull();
    expect(state.parameters).toEqual(readBinaryModelFile(whole).parameters);
    expect(readBinaryModelFile(whole, 'm', { withoutOptimizer: true }).optimizerState).toBeNull();
    // Without the option the prefix is a truncated file; a prefix cut into the weights is refused either way.
    expect(fieldOf(() => readBinaryModelFile(whole.subarray(0, length)))).toMatch(/^optimizer\..*\.data_offsets$/);
    expect(fieldOf(() => readBinaryModelFile(whole.subarray(0, length - 4 * 4 - 1), 'm', { withoutOptimizer: true }))).toMatch(/\.data_offsets$/);
    const sgd = trained({ optimizer: 'sgd' }).toBinaryFile();
    expect(inferenceBytes(sgd)).toBe(sgd.length);
  });

  it('should keep reading version-1 JSON files through readModelBytes', () => {
    const model = trained();
    const text = new TextEncoder().encode(JSON.stringify(model.toFile()));
    expect(readModelBytes(text).parameters.W1).toEqual(model.getParameters().W1);
    expect(fieldOf(() => readModelBytes(new TextEncoder().encode(JSON.stringify({ ...model.toFile(), version: 3 }))))).toBe('version');
  });
});
