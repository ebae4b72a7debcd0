/**
 * Issue 24, item 8: a model file's `metrics`, `training` and `config` are checked against their
 * schemas (known keys, typed values), and JSON nested deeper than any model file needs is refused
 * naming its field before it is parsed, in the JSON file, in a binary file's metadata and in its
 * header; never a RangeError (the stack) or a value stored and echoed unchecked.
 */
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src/errors.js';
import { readModelBytes } from '../../src/model/model-bytes.js';
import { readBinaryModelFile, toBinaryModelFile } from '../../src/model/model-file-binary.js';
import { readModelFile, type ModelFile } from '../../src/model/model-file.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { splitBinary, withHeader } from '../helpers/bad-binary-models.js';
import { mulberry32, randomRows } from '../helpers/random.js';
import { referenceBackend } from '../helpers/reference-backend.js';

const model = SparseAutoencoder.create(4, { hiddenSize: 3 }, referenceBackend, { seed: 2 });
model.fit(randomRows(mulberry32(5), 10, 4, -3, 7), { epochs: 3, learningRate: 0.01 });
const goodFile = (): ModelFile => JSON.parse(JSON.stringify(model.toFile())) as ModelFile;
const goodBinary = model.toBinaryFile();

/** The ModelFileError of `work`: its field and message (which must stay short). */
function refusal(work: () => unknown): { field: string; message: string } {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    const { field, message } = error as ModelFileError;
    expect(message.length).toBeLessThan(600);
    return { field, message };
  }
  throw new Error('expected a ModelFileError');
}

const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const encode = (text: string) => new TextEncoder().encode(text);

describe('model file metrics, training and config', () => {
  it('should read its own metrics back unchanged (and a file without metrics, and an older file without l0)', () => {
    expect(readModelFile(goodFile()).metrics).toEqual(model.lastMetrics);
    expect(readModelFile({ ...goodFile(), metrics: {} }).metrics).toBeNull();
    const { l0: _l0, explainedVariance: _ev, denseUnits: _du, ...older } = goodFile().metrics as Record<string, unknown>;
    expect(readModelFile({ ...goodFile(), metrics: older }).metrics).toEqual(older);
  });

  it.each([
    ['a string', 'x'.repeat(10_000_000), 'metrics'],
    ['an array', [1, 2], 'metrics'],
    ['an unknown key', { extra: 1 }, 'metrics.extra'],
    ['a loss that is text', { loss: 'high' }, 'metrics.loss'],
    ['a nested object', { loss: { a: { b: 1 } } }, 'metrics.loss'],
    ['a fractional row count', { rows: 2.5 }, 'metrics.rows'],
    ['more dead units than hidden units', { deadUnits: 4 }, 'metrics.deadUnits'],
    ['a missing loss', { loss: undefined }, 'metrics.loss'],
  ])('should refuse metrics holding %s, naming the field', (_what, change, field) => {
    const file = goodFile() as unknown as Record<string, unknown>;
    file.metrics = typeof change === 'object' && !Array.isArray(change) ? { ...(file.metrics as object), ...change } : change;
    expect(refusal(() => readModelFile(file)).field).toBe(field);
  });

  it('should refuse unknown training and config keys, naming them', () => {
    const file = goodFile() as unknown as Record<string, Record<string, unknown>>;
    file.training!.notAnOption = 1;
    expect(refusal(() => readModelFile(file))).toMatchObject({ field: 'training.notAnOption' });
    const other = goodFile() as unknown as Record<string, Record<string, unknown>>;
    other.config!.learningrate = 0.1;
    expect(refusal(() => readModelFile(other)).field).toBe('config.learningrate');
  });

  it('should refuse a training backend that is not a short name', () => {
    const file = goodFile() as unknown as Record<string, Record<string, unknown>>;
    file.training!.backend = 'b'.repeat(1000);
    expect(refusal(() => readModelFile(file)).field).toBe('training.backend');
  });

  it('should not store unknown training keys given to fit', () => {
    const other = SparseAutoencoder.create(4, { hiddenSize: 3 }, referenceBackend, { seed: 2 });
    other.fit(randomRows(mulberry32(5), 10, 4, -3, 7), { epochs: 1, notAnOption: 1 } as never);
    expect(Object.keys(other.toFile().training)).not.toContain('notAnOption');
    expect(() => readModelFile(JSON.parse(JSON.stringify(other.toFile())))).not.toThrow();
  });

  it('should keep every error message short, whatever the value (a 10 MB string, a deep array)', () => {
    const file = goodFile() as unknown as Record<string, unknown>;
    file.inputSize = 'y'.repeat(10_000_000);
    expect(refusal(() => readModelFile(file)).field).toBe('inputSize');
    const deep: unknown[] = [];
    let at = deep;
    for (let k = 0; k < 20_000; k++) at.push((at = []));
    const training = goodFile() as unknown as Record<string, Record<string, unknown>>;
    training.training!.learningRate = deep;
    expect(refusal(() => readModelFile(training)).field).toBe('training.learningRate');
  });
});

describe('nesting depth', () => {
  it.each([5_223, 100_000])('should refuse metrics nested %i levels deep in a JSON file, naming metrics', (depth) => {
    const text = JSON.stringify(goodFile()).replace(/"metrics":\{[^}]*\}/, `"metrics":{"loss":${nested(depth)}}`);
    expect(text).toContain(nested(depth));
    const { field, message } = refusal(() => readModelBytes(encode(text), 'deep.json'));
    expect(field).toBe('metrics');
    expect(message).toMatch(/nest/);
  });

  it('should refuse metrics nested deeply in a binary file\'s metadata, naming __metadata__.metrics', () => {
    const bytes = withHeader(goodBinary, (header) => {
      header.__metadata__.metrics = `{"loss":${nested(6_000)}}`;
    });
    expect(refusal(() => readBinaryModelFile(bytes)).field).toBe('__metadata__.metrics');
    expect(refusal(() => readModelBytes(bytes)).field).toBe('__metadata__.metrics');
  });

  it('should refuse a binary file whose header nests deeply, naming the entry', () => {
    const { header, data } = splitBinary(goodBinary);
    const text = JSON.stringify(header).replace('"shape":[3]', `"shape":${nested(50_000)}`);
    const head = encode(text);
    const bytes = new Uint8Array(8 + head.length + data.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(head.length), true);
    bytes.set(head, 8);
    bytes.set(data, 8 + head.length);
    expect(refusal(() => readBinaryModelFile(bytes)).field).toMatch(/^(encoder|decoder)\.bias$/);
  });

  it('should still read a good file of both forms (its depth is well inside the bound)', () => {
    expect(readModelBytes(encode(JSON.stringify(goodFile()))).shape).toEqual({ inputSize: 4, hiddenSize: 3 });
    expect(readBinaryModelFile(toBinaryModelFile(readBinaryModelFile(goodBinary))).shape).toEqual({ inputSize: 4, hiddenSize: 3 });
  });
});
