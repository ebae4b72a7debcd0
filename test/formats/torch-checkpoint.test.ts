/**
 * PyTorch zip checkpoints written by torch.save itself (scripts/fixtures/make-format-fixtures.py):
 * read back equal to what was saved, and hostile ones refused by name with nothing run.
 */
import { existsSync, rmSync } from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { TensorFileError } from '../../src/errors.js';
import { readTorchCheckpoint } from '../../src/formats/torch-checkpoint.js';
import { openZip } from '../../src/formats/zip.js';
import { expected, expectTensors, fixture } from './fixtures.js';

/** The file the hostile pickles' command would create if anything ran it. */
const MARKER = '/tmp/edge-sae-pickle-ran';

function refusal(file: string): TensorFileError {
  try {
    readTorchCheckpoint(fixture(file), file);
  } catch (error) {
    expect(error).toBeInstanceOf(TensorFileError);
    return error as TensorFileError;
  }
  throw new Error(`${file} was read`);
}

describe('readTorchCheckpoint', () => {
  it.each(['dictionary-learning-topk.pt', 'openai-topk.pt', 'dtypes.pt', 'torch-like.pt'])('should read %s as torch.save wrote it', (file) => {
    const checkpoint = readTorchCheckpoint(fixture(file), file);
    expectTensors(checkpoint.tensors, file);
    expect(Object.fromEntries(checkpoint.values)).toEqual(expected[file]!.values);
  });

  it("should keep OpenAI's plain entries (the activation and its k) beside the tensors", () => {
    const { values, tensors } = readTorchCheckpoint(fixture('openai-topk.pt'));
    expect(values.get('activation')).toBe('TopK');
    expect(values.get('activation_state_dict.k')).toBe(4);
    expect(tensors.get('stats_last_nonzero')!.dtype).toBe('I64');
  });

  it('should gather a transposed view and read a slice at its offset in a shared storage', () => {
    const { tensors } = readTorchCheckpoint(fixture('dtypes.pt'));
    const base = expected['dtypes.pt']!.tensors.f32!.values;
    const transposed = expected['dtypes.pt']!.tensors.transposed!.values;
    // (the generator's values come from torch; this checks they are the transpose, so the test can fail)
    expect(transposed[1]).toBe(base[6]);
    expect(tensors.get('transposed')!.shape).toEqual([6, 4]);
    // the slice is a view of f32's storage, not a copy
    expect(tensors.get('slice')!.bytes.buffer).toBe(tensors.get('f32')!.bytes.buffer);
  });

  it.each([
    ['hostile-posix-system.pt', 'hostile-posix-system/data.pkl', /global "posix\.system" is not allowed.*nothing was run/],
    ['hostile-os-system.pt', 'archive/data.pkl', /global "os\.system" is not allowed/],
    ['hostile-builtins-eval.pt', 'archive/data.pkl', /global "builtins\.eval" is not allowed/],
    ['hostile-truncated.pt', '(end of central directory)', /the zip is truncated/],
    ['hostile-tensor-past-storage.pt', 'archive/data.pkl', /read element 5 of storage 0, which has 4/],
    ['hostile-zero-stride.pt', 'archive/data.pkl', /size \(1073741824\) of F32 takes more bytes than the whole file/],
  ])('should refuse %s naming the file and %s, running nothing', (file, field, message) => {
    rmSync(MARKER, { force: true });
    const error = refusal(file);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}: `));
    expect(error.message).toMatch(message);
    expect(existsSync(MARKER)).toBe(false);
  });

  it('should refuse a file that is not a zip, and the legacy format (torch.save without the zip) by name', () => {
    expect(() => readTorchCheckpoint(new TextEncoder().encode('hello'), 'x.pt')).toThrowError(/^x\.pt: \(format\): is not a PyTorch zip checkpoint/);
    expect(() => readTorchCheckpoint(fixture('legacy.pt'), 'old.pt')).toThrowError(/^old\.pt: \(format\): is PyTorch's legacy checkpoint format \(before 1\.6\)/);
  });

  it('should refuse a state dict that contains itself, or shares a dict exponentially often, without walking it all', () => {
    const text = (...parts: (string | number[])[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
    const checkpoint = (pickle: Uint8Array) => zipSync({ 'archive/data.pkl': pickle }, { level: 0 });
    // d = {}; d['a'] = d
    const cycle = text([0x80, 0x02], '}q\x00X\x01\x00\x00\x00ah\x00s.');
    expect(() => readTorchCheckpoint(checkpoint(cycle), 'c.pt')).toThrowError(/^c\.pt: archive\/data\.pkl: the dict at "a" contains itself$/);
    // d0 = {'x': 1}; d(k) = {'a': d(k-1), 'b': d(k-1)} for 40 levels: 2^40 paths through 41 dicts
    // (each level's dict is popped from the stack once the next is begun: it stays in the memo)
    const levels: (string | number[])[] = [[0x80, 0x02], '}q\x00X\x01\x00\x00\x00xK\x01s'];
    for (let k = 1; k <= 40; k++) levels.push('0}q', [k], 'X\x01\x00\x00\x00ah', [k - 1], 'sX\x01\x00\x00\x00bh', [k - 1], 's');
    levels.push('.');
    expect(() => readTorchCheckpoint(checkpoint(text(...levels)), 's.pt')).toThrowError(/^s\.pt: archive\/data\.pkl: holds more values than its bytes can write/);
  });

  it('should refuse a checkpoint whose storage member is shorter than its element count', () => {
    // torch-like.pt's storage 0 holds 4 floats; cut it to 3 by rewriting the member's bytes and sizes.
    const good = fixture('torch-like.pt');
    const text = new TextDecoder('latin1').decode(good);
    const at = text.indexOf('archive/data/0');
    expect(at).toBeGreaterThan(0);
    // Patch both the local and the central record's sizes (12 bytes instead of 16): the CRC then fails or the sizes disagree.
    const bad = good.slice();
    const view = new DataView(bad.buffer);
    for (let k = 0; k + 4 <= bad.length; k++) {
      const signature = view.getUint32(k, true);
      const nameAt = signature === 0x04034b50 ? k + 30 : signature === 0x02014b50 ? k + 46 : -1;
      if (nameAt < 0 || text.slice(nameAt, nameAt + 14) !== 'archive/data/0') continue;
      const sizes = signature === 0x04034b50 ? k + 18 : k + 20;
      view.setUint32(sizes, 12, true);
      view.setUint32(sizes + 4, 12, true);
    }
    expect(() => readTorchCheckpoint(bad, 'short.pt')).toThrowError(/storage 0 of 4 F32 needs 16 bytes; archive\/data\/0 has 12/);
  });

  it('should read the byteorder record PyTorch 2 writes: "little" read, "big" refused by name', () => {
    const archive = openZip(fixture('dtypes.pt'));
    const files = Object.fromEntries([...archive.members.keys()].map((member) => [member, archive.read(member).slice()]));
    const withOrder = (order: string) => zipSync({ ...files, 'dtypes/byteorder': new TextEncoder().encode(order) }, { level: 0 });
    expectTensors(readTorchCheckpoint(withOrder('little'), 'dtypes.pt').tensors, 'dtypes.pt');
    expect(() => readTorchCheckpoint(withOrder('big'), 'b.pt')).toThrowError(/^b\.pt: dtypes\/byteorder: is "big"; only little-endian checkpoints are read$/);
  });
});
