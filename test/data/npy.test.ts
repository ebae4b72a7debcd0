/**
 * .npy reading and writing, against files numpy itself wrote (npy-fixtures/make.py), hand-made
 * malformed files, and a round trip.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatNpy, isNpy, parseNpy } from '../../src/data/npy.js';
import { DataError } from '../../src/errors.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'npy-fixtures');
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(dir, name)));
const ROWS_2X3 = Float32Array.from([0, 0.5, 1, -2.25, 3e5, 1e-7]);

/** A .npy file with this header text (padded as numpy pads) and these data bytes. */
function handMade(dict: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const lengthBytes = version === 1 ? 2 : 4;
  const pad = 64 - ((8 + lengthBytes + dict.length + 1) % 64);
  const header = `${dict}${' '.repeat(pad)}\n`;
  const out = new Uint8Array(8 + lengthBytes + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[8 + lengthBytes + i] = header.charCodeAt(i);
  out.set(data, 8 + lengthBytes + header.length);
  return out;
}

function problemOf(bytes: Uint8Array): string {
  try {
    parseNpy(bytes, 'x.npy');
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return (error as Error).message;
  }
  throw new Error('parseNpy accepted the file');
}

describe('parseNpy on files numpy wrote', () => {
  it.each(['f4-2x3.npy', 'f4-2x3-v2.npy', 'f4-2x3-v3.npy'])('should read a float32 2 × 3 array (%s)', (name) => {
    const m = parseNpy(fixture(name), name);
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(m.data).toEqual(ROWS_2X3);
  });

  it('should read float64 and round each value to the nearest float32', () => {
    expect(parseNpy(fixture('f8-2x3.npy')).data).toEqual(ROWS_2X3);
    expect(Array.from(parseNpy(fixture('f8-third.npy')).data)).toEqual([Math.fround(1 / 3), 2]);
  });

  it.each([
    ['fortran.npy', /x\.npy: the array is in Fortran \(column-major\) order; save it in C order \(np\.ascontiguousarray\(a\)\)/],
    ['one-d.npy', /x\.npy: the array has shape \(3,\), 1-D; expected 2-D \(rows, columns\): reshape\(-1, 1\)/],
    ['three-d.npy', /the array has shape \(2, 2, 2\), 3-D; expected 2-D/],
    ['int64.npy', /x\.npy: dtype '<i8' is not supported: expected float32 \('<f4'\) or float64 \('<f8'\)/],
    ['float16.npy', /dtype '<f2' is not supported/],
    ['big-endian.npy', /dtype '>f4' is big-endian; save little-endian data \(a\.astype\('<f4'\)\)/],
    ['empty.npy', /no data: the array has shape \(0, 3\)/],
    ['nan.npy', /x\.npy, row 2, column 2: value is NaN, expected a finite number/],
    ['too-big.npy', /x\.npy, row 1, column 1: value 1e\+300 is beyond the float32 range/],
  ])('should refuse %s naming the problem', (name, message) => {
    expect(problemOf(fixture(name))).toMatch(message);
  });
});

describe('parseNpy on malformed files', () => {
  const f4 = (n: number) => new Uint8Array(n * 4);
  it.each([
    ['no magic', new TextEncoder().encode('0.5,1\n'), /x\.npy: not a \.npy file \(it does not start with the \\x93NUMPY magic string\)/],
    ['a cut preamble', fixture('f4-2x3.npy').subarray(0, 9), /ends inside its preamble/],
    ['version 4', Uint8Array.from([...fixture('f4-2x3.npy')].map((b, i) => (i === 6 ? 4 : b))), /\.npy format version 4\.0 is not one this reader knows/],
    ['a header length past the end', fixture('f4-2x3.npy').subarray(0, 100), /the \.npy header says it is 118 bytes long, past the end of the file \(100 bytes\)/],
    ['data cut short', fixture('f4-2x3.npy').subarray(0, 150), /the data is cut short: shape \(2, 3\) of '<f4' needs 24 bytes, the file has 22/],
    ['trailing bytes', Uint8Array.from([...fixture('f4-2x3.npy'), 0, 0, 0, 0]), /4 bytes follow the data of shape \(2, 3\)/],
    ['a missing key', handMade("{'descr': '<f4', 'shape': (1, 1), }", f4(1)), /header is malformed \(expected the keys descr, fortran_order and shape, got descr, shape\)/],
    ['an extra key', handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'x': 1}", f4(1)), /header is malformed/],
    ['a repeated key', handMade("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)}", f4(1)), /the key 'descr' appears twice/],
    ['a structured dtype', handMade("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", f4(1)), /header is malformed \(expected a quoted string/],
    ['a negative dimension', handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 1), }", f4(1)), /expected a whole number in shape/],
    ['not a dict', handMade('nonsense'), /header is malformed \(expected "\{" at character 1\)/],
    ['an unclosed dict', handMade("{'descr': '<f4'"), /header is malformed/],
  ])('should refuse %s', (_label, bytes, message) => {
    expect(problemOf(bytes)).toMatch(message);
  });

  it('should read a header with double quotes and no trailing comma (numpy accepts both)', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat32(4, 2.5, true);
    const m = parseNpy(handMade('{"descr": "<f4", "fortran_order": False, "shape": (1, 2)}', data));
    expect([m.rows, m.cols, ...m.data]).toEqual([1, 2, 0, 2.5]);
  });
});

describe('formatNpy', () => {
  it('should write the bytes np.save writes for the same float32 array', () => {
    const expected = fixture('codes-f4-4x5.npy');
    const data = Float32Array.from({ length: 20 }, (_, k) => Math.fround(k / 7));
    expect(formatNpy({ rows: 4, cols: 5, data })).toEqual(expected);
  });

  it.each([
    [1, 1],
    [3, 7],
    [1000, 3],
    [20000, 1],
  ])('should round-trip a %i × %i matrix bit for bit, the data 64-byte aligned', (rows, cols) => {
    const m = randomMatrix(mulberry32(rows), rows, cols, -1e3, 1e3);
    const bytes = formatNpy(m);
    expect(isNpy(bytes)).toBe(true);
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLength) % 64).toBe(0);
    expect(bytes[10 + headerLength - 1]).toBe(0x0a);
    const back = parseNpy(bytes);
    expect([back.rows, back.cols]).toEqual([rows, cols]);
    expect(back.data).toEqual(m.data);
  });
});
