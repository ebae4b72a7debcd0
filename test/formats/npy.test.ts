/**
 * .npy and .npz as numpy.savez and numpy.savez_compressed wrote them (Gemma Scope's params.npz is
 * the former): every array read back exactly; bad headers and the zip's bounds refused by name.
 */
import { describe, expect, it } from 'vitest';
import { TensorFileError } from '../../src/errors.js';
import { readNpy, readNpz } from '../../src/formats/npy.js';
import { expectTensors, fixture, npy } from './fixtures.js';

describe('readNpz', () => {
  it.each(['params.npz', 'params-compressed.npz'])('should read every array of %s exactly (float32, float16, float64, int64, bool; 1-D to 3-D)', (file) => {
    expectTensors(readNpz(fixture(file), file), file);
  });

  it('should refuse a member declaring 10 GB before inflating it, naming the file and the member', () => {
    expect(() => readNpz(fixture('hostile-member-10gb.npz'), 'params.npz')).toThrowError(
      /^params\.npz: W_enc\.npy: declares 10737418240 bytes uncompressed from \d+ compressed, more than deflate can expand to \(1032 to 1\); refused before inflating$/,
    );
  });
});

describe('readNpy', () => {
  it('should read any shape, including a scalar', () => {
    const scalar = readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", new Uint8Array(new Float32Array([1.5]).buffer)), 's');
    expect(scalar).toMatchObject({ dtype: 'F32', shape: [] });
    const cube = readNpy(npy("{'descr': '<i2', 'fortran_order': False, 'shape': (1, 2, 3), }", new Uint8Array(12)), 'c');
    expect(cube).toMatchObject({ dtype: 'I16', shape: [1, 2, 3] });
  });

  it.each([
    ['big-endian data', "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", 4, /dtype '>f4' is big-endian/],
    ['an object array', "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 8, /dtype '\|O' is not one this reader knows/],
    ['Fortran order', "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, /Fortran \(column-major\) order/],
    ['data cut short', "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 16, /needs 24 bytes, the file has 16/],
    ['a product past the file', "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 0, /takes more bytes than the whole file/],
    ['a size beyond 2^53', "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", 0, /beyond 2\^53/],
  ])('should refuse %s, naming the file and the array', (_what, dict, dataBytes, message) => {
    let error: unknown;
    try {
      readNpy(npy(dict, new Uint8Array(dataBytes)), 'W_enc.npy', 'params.npz');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TensorFileError);
    expect((error as TensorFileError).message).toMatch(/^params\.npz: W_enc\.npy: /);
    expect((error as TensorFileError).message).toMatch(message);
  });
});
