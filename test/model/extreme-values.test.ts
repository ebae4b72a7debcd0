/**
 * Issue 24, item 10: a model whose weights and scaling are finite but extreme (weights near
 * ±3.4e38, a scaling range of 1e-30) overflows float32 on some rows. encode, decode, reconstruct
 * and evaluate then throw a ModelOutputError naming what overflowed (and the row), instead of
 * returning Infinity or NaN, which JSON answers carry as null.
 */
import { describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { InputError, ModelOutputError } from '../../src/errors.js';
import { readModelFile, type ModelFile } from '../../src/model/model-file.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';

const { backend } = await loadNodeBackend('auto');
const rows = Array.from({ length: 6 }, (_, i) => [0.1 * i, 0.5, 0.9 - 0.1 * i, 0.3]);

function trainedFile(architecture: 'sigmoid' | 'relu' | 'topk'): ModelFile {
  const model = SparseAutoencoder.create(4, { hiddenSize: 5, architecture, k: 2 }, backend, { seed: 1 });
  model.fit(rows, { epochs: 2 });
  const file = JSON.parse(JSON.stringify(model.toFile())) as ModelFile;
  model.dispose();
  return file;
}

/** The model of `file`, as an import would load it (every value finite: the reader accepts it). */
const load = (file: ModelFile) => SparseAutoencoder.fromState(readModelFile(JSON.parse(JSON.stringify(file))), backend);

function overflow(work: () => unknown): ModelOutputError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelOutputError);
    expect(error).toBeInstanceOf(InputError); // the CLI's exit 2, the API's 422
    return error as ModelOutputError;
  }
  throw new Error('expected a ModelOutputError, got an answer');
}

describe('answers of a model with extreme values', () => {
  it('should refuse encode, reconstruct and evaluate when a scaling range of 1e-30 blows the inputs up', () => {
    for (const architecture of ['sigmoid', 'relu', 'topk'] as const) {
      const file = trainedFile(architecture);
      file.normalization = { kind: 'minmax', min: [0, 0, 0, 0], max: [1e-30, 1e-30, 1e-30, 1e-30] };
      const model = load(file);
      const big = rows.map((row) => row.map((v) => v * 1e9));
      // Refused where it overflows, before a kernel can turn the Infinity into a plausible 0 (relu of NaN).
      const encoded = overflow(() => model.encode(big));
      expect(encoded.output).toBe('scaled inputs');
      expect(encoded.row).toBe(1);
      expect(encoded.message).toMatch(/^the model's scaled inputs overflowed float32 \(Infinity at row 1 of the rows given\)/);
      expect(overflow(() => model.reconstruct(big)).output).toBe('scaled inputs');
      expect(overflow(() => model.evaluate(big)).output).toBe('scaled inputs');
      // Ordinary rows still scale to finite values (0.5 / 1e-30 = 5e29) and are answered.
      expect(Array.from(model.encode(rows).data).every(Number.isFinite)).toBe(true);
      model.dispose();
    }
  });

  it('should refuse encode, reconstruct, decode and evaluate when weights near 3.4e38 overflow', () => {
    const file = trainedFile('topk');
    file.encoder.weights = file.encoder.weights.map((row) => row.map(() => 3.4e38));
    file.decoder.weights = file.decoder.weights.map((row) => row.map(() => 3.4e38));
    file.decoder.bias = file.decoder.bias.map(() => 0); // relu and topk subtract it first: inputs stay ≥ 0
    const model = load(file);
    // Rows a little past the training range: x·W1 passes 3.4e38 (the scaled inputs are small).
    expect(overflow(() => model.encode(rows.map((row) => row.map((v) => v + 1))))).toMatchObject({ output: 'codes', row: 1 });
    expect(overflow(() => model.reconstruct(rows))).toMatchObject({ output: 'outputs', row: 1 });
    expect(overflow(() => model.decode([[1e30, 1e30, 0, 0, 0]]))).toMatchObject({ output: 'outputs', row: 1 });
    expect(overflow(() => model.evaluate(rows)).output).toBe('metrics.loss');
    model.dispose();
  });

  it('should name the model when asked to (forModel), and keep answering a model whose values are ordinary', () => {
    const error = new ModelOutputError('codes', Number.POSITIVE_INFINITY, 3).forModel('m_1');
    expect(error.message).toMatch(/^model "m_1": the model's codes overflowed float32 \(Infinity at row 3 of the rows given\)/);
    const model = load(trainedFile('relu'));
    expect(Array.from(model.encode(rows).data).every(Number.isFinite)).toBe(true);
    expect(Object.values(model.evaluate(rows)).every((v) => v === null || Number.isFinite(v))).toBe(true);
    model.dispose();
  });
});
