/**
 * The safetensors reader of every dtype: the generator's file (the documented layout, tensors'
 * bytes from torch) read back exactly, a round trip of every dtype, and hostile headers refused
 * before any data is read, each naming the file and the entry.
 */
import { describe, expect, it } from 'vitest';
import { TensorFileError } from '../../src/errors.js';
import { readSafetensors, writeSafetensors } from '../../src/formats/safetensors.js';
import { DTYPE_BYTES, DTYPES, type Tensor } from '../../src/formats/tensor.js';
import { safetensorsFile } from '../helpers/bad-binary-models.js';
import { expected, expectTensors, fixture } from './fixtures.js';

/** A file with this header (JSON, unpadded) and data. */
const file = safetensorsFile;

function refusal(bytes: Uint8Array, source = 'w.safetensors'): TensorFileError {
  try {
    readSafetensors(bytes, source);
  } catch (error) {
    expect(error).toBeInstanceOf(TensorFileError);
    return error as TensorFileError;
  }
  throw new Error('read');
}

describe('readSafetensors', () => {
  it('should read every dtype of the generated file exactly, with its metadata', () => {
    const { tensors, metadata } = readSafetensors(fixture('weights.safetensors'), 'weights.safetensors');
    expectTensors(tensors, 'weights.safetensors');
    expect(metadata).toEqual(expected['weights.safetensors']!.metadata);
    // the data is aligned by the header's padding: F32 bytes are a view of the file at a multiple of 4
    expect(tensors.get('W_enc')!.bytes.byteOffset % 8).toBe(0);
  });

  it('should write and read back a tensor of every dtype, byte for byte', () => {
    const tensors: Tensor[] = DTYPES.map((dtype, k) => {
      const bytes = new Uint8Array(3 * DTYPE_BYTES[dtype]);
      for (let b = 0; b < bytes.length; b++) bytes[b] = (b * 37 + k) & 0xff;
      return { name: `t_${dtype}`, dtype, shape: [3], bytes };
    });
    const read = readSafetensors(writeSafetensors(tensors, { a: 'b' }));
    expect(read.metadata).toEqual({ a: 'b' });
    expect([...read.tensors.values()].map((t) => ({ ...t, bytes: Array.from(t.bytes) }))).toEqual(tensors.map((t) => ({ ...t, bytes: Array.from(t.bytes) })));
  });

  it.each([
    ['hostile-shape-offsets.safetensors', 'W_enc.data_offsets', /\[0, 32\] spans 32 bytes, but shape \[4, 4\] F32 takes 64/],
    ['hostile-shape-overflow.safetensors', 'W_enc.shape', /\[67108864, 67108864, 16384\] F32 takes more bytes than the whole file \(176 bytes\) hold/],
  ])('should refuse %s naming the file and %s', (name, field, message) => {
    const error = refusal(fixture(name), name);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: ${field.replace(/\./g, '\\.')}: `));
    expect(error.message).toMatch(message);
  });

  it.each([
    ['an unknown dtype', file({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), 'w.dtype', /"Q4" is not a safetensors dtype/],
    ['a shape beyond 2^53', file({ w: { dtype: 'U8', shape: [2 ** 60], data_offsets: [0, 1] } }, new Uint8Array(1)), 'w.shape', /whole numbers from 0 to 2\^53/],
    ['a negative size', file({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, new Uint8Array(1)), 'w.shape', /whole numbers/],
    ['offsets past the data', file({ w: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(8)), 'w.data_offsets', /end 12 is past the 8 bytes of data/],
    [
      'overlapping tensors',
      file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      'b.data_offsets',
      /overlaps the tensor before it/,
    ],
    ['a gap', file({ a: { dtype: 'I8', shape: [2], data_offsets: [2, 4] } }, new Uint8Array(4)), 'a.data_offsets', /begins at 2, leaving bytes 0–2 unused/],
    ['bytes after the tensors', file({ a: { dtype: 'I8', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(4)), '(header)', /cover 2 bytes, but 4 bytes of data follow/],
    ['a header length past the end', Uint8Array.from([0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d]), '(header length)', /says the header has 65535 bytes, but only 2 follow/],
  ])('should refuse %s', (_what, bytes, field, message) => {
    const error = refusal(bytes);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
