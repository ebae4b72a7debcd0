/** Telling the formats apart by content: each fixture found as what it is and read; others refused by name. */
import { describe, expect, it } from 'vitest';
import { readTensorFile, tensorFileFormat } from '../../src/formats/tensor-file.js';
import { expectTensors, fixture, npy } from './fixtures.js';

describe('readTensorFile', () => {
  it.each([
    ['weights.safetensors', 'safetensors'],
    ['params.npz', 'npz'],
    ['params-compressed.npz', 'npz'],
    ['dtypes.pt', 'torch'],
    ['openai-topk.pt', 'torch'],
  ] as const)('should find %s to be %s, whatever its name, and read it', (file, format) => {
    expect(tensorFileFormat(fixture(file))).toBe(format);
    const read = readTensorFile(fixture(file), 'renamed.bin');
    expect(read.format).toBe(format);
    expectTensors(read.tensors, file);
  });

  it('should read a lone .npy as one tensor named after the file', () => {
    const npz = readTensorFile(fixture('params.npz'));
    const { tensors } = readTensorFile(new Uint8Array([...npyOf(npz.tensors.get('W_enc')!.bytes)]), 'dir/W_enc.npy');
    expect([...tensors.keys()]).toEqual(['W_enc']);
    expect(tensors.get('W_enc')!.shape).toEqual([60]);
  });

  it('should refuse what is none of them, and hand hostile files to their reader', () => {
    expect(() => readTensorFile(new TextEncoder().encode('{"W_enc": [1, 2]}'), 'w.json')).toThrowError(
      /^w\.json: \(format\): is none of safetensors, \.npy, \.npz or a PyTorch checkpoint \(it starts with 7b 22 57 5f 65 6e 63 22\)$/,
    );
    expect(() => readTensorFile(fixture('hostile-os-system.pt'), 'ae.pt')).toThrowError(/^ae\.pt: archive\/data\.pkl: global "os\.system" is not allowed/);
    expect(() => readTensorFile(fixture('hostile-truncated.pt'), 'ae.pt')).toThrowError(/^ae\.pt: \(end of central directory\)/);
    expect(() => readTensorFile(fixture('hostile-shape-overflow.safetensors'), 'w.safetensors')).toThrowError(/^w\.safetensors: W_enc\.shape: /);
  });
});

/** A 1-D '<f4' .npy of these bytes. */
const npyOf = (data: Uint8Array): Uint8Array => npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (${data.length / 4},), }`, data);
