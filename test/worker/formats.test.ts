/**
 * The tensor-file readers inside workerd (the Worker's runtime), so issue 26's importer can run in
 * the Worker: safetensors with bf16, an .npz inflated by fflate, and a PyTorch checkpoint (a
 * state dict pickled as torch.save pickles it), read back; a pickle naming os.system refused.
 * The files are built here (the Node tests read the ones torch and numpy wrote): workerd has no
 * file system to read fixtures from.
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { TensorFileError } from '../../src/errors.js';
import { bf16Tensor, toFloat32 } from '../../src/formats/convert.js';
import { writeSafetensors } from '../../src/formats/safetensors.js';
import { readTensorFile } from '../../src/formats/tensor-file.js';

const VALUES = Float32Array.from([0.5, -1.25, 3.0078125, 1e-3, -7, 65504]);
/**
 * VALUES in bfloat16, by hand: 3.0078125 is 0x40408000, a tie, to even 0x4040 = 3; 1e-3 is
 * 0x3a83126f, down to 0x3a83 = 0.00099945068359375; 65504 is 0x477fe000, up to 0x4780 = 65536.
 */
const BF16_VALUES = [0.5, -1.25, 3, 0.00099945068359375, -7, 65536];

/** Opcodes (latin1 strings) and numbers as bytes. */
const bytesOf = (...parts: (string | readonly number[])[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const unicode = (text: string) => ['X', [text.length, 0, 0, 0], text] as const;

/** OrderedDict(W_enc=_rebuild_tensor_v2(storage 0 of 6 bf16, 0, (2, 3), (3, 1), False, OrderedDict())), protocol 2. */
const STATE_DICT_PICKLE = bytesOf(
  [0x80, 0x02],
  'ccollections\nOrderedDict\n)R',
  ...unicode('W_enc'),
  'ctorch._utils\n_rebuild_tensor_v2\n((',
  ...unicode('storage'),
  'ctorch\nBFloat16Storage\n',
  ...unicode('0'),
  ...unicode('cpu'),
  'K\x06tQ', // numel 6, TUPLE, BINPERSID
  'K\x00K\x02K\x03\x86K\x03K\x01\x86\x89', // offset 0, size (2, 3), stride (3, 1), False
  'ccollections\nOrderedDict\n)RtRs.',
);

describe('tensor-file readers in workerd', () => {
  it('should read bf16 safetensors, widening exactly', () => {
    const file = writeSafetensors([bf16Tensor('W_enc', [2, 3], VALUES)], { library: 'test' });
    const { format, tensors, metadata } = readTensorFile(file, 'sae.safetensors');
    expect({ format, metadata }).toEqual({ format: 'safetensors', metadata: { library: 'test' } });
    expect(Array.from(toFloat32(tensors.get('W_enc')!))).toEqual(BF16_VALUES);
  });

  it('should read a deflated .npz', () => {
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    const header = `${dict}${' '.repeat(64 - ((10 + dict.length + 1) % 64))}\n`;
    const npy = bytesOf([0x93], 'NUMPY', [1, 0, header.length, 0], header, [...new Uint8Array(VALUES.buffer)]);
    const { format, tensors } = readTensorFile(zipSync({ 'W_enc.npy': npy }, { level: 9 }), 'params.npz');
    expect(format).toBe('npz');
    expect(toFloat32(tensors.get('W_enc')!)).toEqual(VALUES);
  });

  it('should read a PyTorch checkpoint and refuse a pickle naming os.system', () => {
    const storage = writeSafetensors([bf16Tensor('x', [6], VALUES)], {}).slice(-12); // the 6 bf16 values' bytes
    const checkpoint = zipSync({ 'archive/data.pkl': STATE_DICT_PICKLE, 'archive/data/0': storage, 'archive/version': bytesOf('3\n') }, { level: 0 });
    const { format, tensors } = readTensorFile(checkpoint, 'ae.pt');
    expect(format).toBe('torch');
    expect(tensors.get('W_enc')).toMatchObject({ dtype: 'BF16', shape: [2, 3] });
    expect(Array.from(toFloat32(tensors.get('W_enc')!))).toEqual(BF16_VALUES);

    const hostile = zipSync({ 'archive/data.pkl': bytesOf([0x80, 0x02], 'cos\nsystem\n', ...unicode('id'), '\x85R.') }, { level: 0 });
    expect(() => readTensorFile(hostile, 'ae.pt')).toThrowError(TensorFileError);
    expect(() => readTensorFile(hostile, 'ae.pt')).toThrowError(/^ae\.pt: archive\/data\.pkl: global "os\.system" is not allowed/);
  });
});
