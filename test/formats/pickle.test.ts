/**
 * The restricted pickle machine on hand-written pickles: what a state dict uses is read, every
 * other opcode and global is refused by name at its byte, and no length is trusted.
 */
import { describe, expect, it } from 'vitest';
import { TensorFileError } from '../../src/errors.js';
import { PickleDict, PickleObject, PickleTuple, readPickle, type PickleOptions } from '../../src/formats/pickle.js';

const OPTIONS: PickleOptions = {
  field: 'archive/data.pkl',
  source: 'x.pt',
  globals: new Map([
    ['collections.OrderedDict', () => new PickleDict()],
    ['torch.FloatStorage', null],
  ]),
};

/** A pickle from opcodes given as strings (latin1 bytes) and byte arrays. */
function pickle(...parts: (string | number[])[]): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') for (const char of part) bytes.push(char.charCodeAt(0));
    else bytes.push(...part);
  }
  return Uint8Array.from(bytes);
}

const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const unicode = (text: string) => ['X', u32(text.length), text] as const;

describe('readPickle', () => {
  it('should read the values of a state dict: dicts, lists, tuples, ints, longs, floats, strings, memo', () => {
    const bytes = pickle(
      [0x80, 0x02],
      'ccollections\nOrderedDict\nq\x00)R', // OrderedDict()
      'q\x01(',
      ...unicode('k'),
      'K\x20', // 32
      ...unicode('neg'),
      'J',
      u32(-7 >>> 0),
      ...unicode('long'),
      [0x8a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x01], // LONG1 2^64
      ...unicode('pi'),
      'G',
      [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18], // BINFLOAT, big-endian
      ...unicode('list'),
      ']q\x02(K\x01K\x02e',
      ...unicode('again'),
      'h\x02', // BINGET 2: the same list
      ...unicode('tuple'),
      'N\x88\x89\x87', // (None, True, False)
      ...unicode('py2'),
      'U\x03\xe9t\xe9', // SHORT_BINSTRING, Latin-1
      'u.', // SETITEMS, STOP
    );
    const value = readPickle(bytes, OPTIONS) as PickleDict;
    expect(value).toBeInstanceOf(PickleDict);
    const entries = Object.fromEntries(value.entries);
    expect(entries).toMatchObject({ k: 32, neg: -7, long: 2n ** 64n, pi: Math.PI, list: [1, 2] });
    expect(entries.again).toBe(entries.list);
    expect((entries.tuple as PickleTuple).items).toEqual([null, true, false]);
    expect(entries.py2).toBe('été');
  });

  it.each([
    ['GLOBAL os.system', pickle([0x80, 0x02], 'cos\nsystem\n', ...unicode('ls'), '\x85R.'), /global "os\.system" is not allowed.*nothing was run \(at byte 2\)/],
    ['STACK_GLOBAL builtins.eval', pickle([0x80, 0x04, 0x8c, 0x08], 'builtins', [0x8c, 0x04], 'eval', [0x93], '.'), /global "builtins\.eval" is not allowed/],
    ['a global named but never called', pickle([0x80, 0x02], 'csubprocess\nPopen\n.'), /global "subprocess\.Popen" is not allowed/],
    ['INST', pickle('(ios\nsystem\n.'), /opcode 0x69 \(INST\) is not one a state dict of tensors uses \(at byte 1\)/],
    ['NEWOBJ', pickle([0x80, 0x02], 'ccollections\nOrderedDict\n)', [0x81], '.'), /opcode 0x81 \(NEWOBJ\)/],
    ['REDUCE on a value-only global', pickle([0x80, 0x02], 'ctorch\nFloatStorage\n)R.'), /"torch\.FloatStorage" may be used as a value, not called/],
    ['REDUCE on a string', pickle(...unicode('os.system'), ')R.'), /REDUCE on a str, not an allowed global/],
    ['BUILD on a list', pickle(']}b.'), /BUILD of a list with a dict/],
    ['BINPERSID without a loader', pickle(...unicode('0'), 'Q.'), /BINPERSID: this pickle may not refer to outside objects/],
    ['a string longer than the pickle', pickle('X', u32(0xffffffff), 'abc.'), /a string of 4294967295 bytes runs past the end of the pickle's 9 bytes \(at byte 0\)/],
    ['a memo read before it is written', pickle('h\x05.'), /memo entry 5 is read before it is written/],
    ['a missing STOP', pickle('K\x01'), /ends without its STOP opcode/],
    ['a stack underflow', pickle('s.'), /the stack is empty/],
    ['a tuple as a dict key', pickle('}))s.'), /a dict key is a tuple/],
  ])('should refuse %s, naming the file and the pickle', (_what, bytes, message) => {
    let error: unknown;
    try {
      readPickle(bytes, OPTIONS);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TensorFileError);
    expect((error as TensorFileError).field).toBe('archive/data.pkl');
    expect((error as TensorFileError).message).toMatch(/^x\.pt: archive\/data\.pkl: /);
    expect((error as TensorFileError).message).toMatch(message);
  });

  it('should hand persistent ids to the loader and allowed globals to its stand-ins, as values', () => {
    const seen: unknown[] = [];
    const value = readPickle(pickle([0x80, 0x02], '(', ...unicode('storage'), 'ctorch\nFloatStorage\n', ...unicode('0'), 'tQ.'), {
      ...OPTIONS,
      persistentLoad: (pid) => {
        seen.push(pid);
        return new PickleObject('storage', 'loaded');
      },
    });
    expect(value).toEqual(new PickleObject('storage', 'loaded'));
    const pid = seen[0] as PickleTuple;
    expect(pid.items[0]).toBe('storage');
    expect(pid.items[1]).toMatchObject({ fullName: 'torch.FloatStorage' });
  });
});
