import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCsv, formatFloat32, parseCsv } from '../../src/data/csv.js';
import { DataError } from '../../src/errors.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

function csvError(text: string, source = 'd.csv'): DataError {
  try {
    parseCsv(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

describe('parseCsv', () => {
  it('should parse numbers without a header', () => {
    const m = parseCsv('1,2,3\n4,5,6\n', 'd.csv');
    expect([m.rows, m.cols]).toEqual([2, 3]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.header).toBeNull();
    expect(m.firstLine).toBe(1);
  });

  it('should detect a header row and number data rows by file line', () => {
    const m = parseCsv('a,b\n0.5,1e-3\n-2,+3\n', 'd.csv');
    expect(m.header).toEqual(['a', 'b']);
    expect(m.firstLine).toBe(2);
    expect(Array.from(m.data)).toEqual([0.5, Math.fround(1e-3), -2, 3]);
  });

  it('should accept CRLF, a BOM, spaces around numbers, quoted cells and blank lines at both ends', () => {
    const m = parseCsv('\uFEFF\r\n"x, the first", "y ""2"""\r\n 1 , 2\r\n"3",4\r\n\r\n  \n', 'd.csv');
    expect(m.header).toEqual(['x, the first', 'y "2"']);
    expect(m.firstLine).toBe(3);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4]);
  });

  it('should parse a single column', () => {
    const m = parseCsv('value\n0.25\n0.75', 'd.csv');
    expect([m.rows, m.cols]).toEqual([2, 1]);
  });

  it('should take a first row with some numbers as data, so a typo in it is reported', () => {
    const error = csvError('1,x,3\n4,5,6\n');
    expect(error.location).toEqual({ source: 'd.csv', row: 1, column: 2 });
  });

  it.each([
    ['a non-number', 'a,b,c\n1,2,3\n4,five,6\n', 3, 2, /expected a number, got "five"/],
    ['NaN', 'a,b\n1,NaN\n', 2, 2, /NaN is not a finite number/],
    ['inf', '1,2\n-inf,2\n', 2, 1, /-inf is not a finite number/],
    ['a huge value', '1,2\n1e39,2\n', 2, 1, /float32 range/],
    ['an empty cell', '1,2,3\n4,,6\n', 2, 2, /empty cell/],
    ['a short row', 'a,b,c\n1,2,3\n4,5\n', 3, 3, /has 2 values, expected 3/],
    ['a long row', '1,2\n3,4\n5,6,7\n', 3, 3, /has 3 values, expected 2/],
    ['a trailing comma', '1,2\n3,4,\n', 2, 3, /has 3 values, expected 2/],
    ['a hex number', '1,0x10\n', 1, 2, /expected a number, got "0x10"/],
    ['an unterminated quote', 'a,b\n1,"2\n', 2, 2, /unterminated quoted cell/],
  ])('should reject %s naming the line and column', (_label, text, row, column, message) => {
    const error = csvError(text);
    expect(error.location).toEqual({ source: 'd.csv', row, column });
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`d.csv, row ${row}, column ${column}: `)).toBe(true);
  });

  it('should hint at the delimiter for semicolon-separated files', () => {
    expect(csvError('a;b\n1;2\n').message).toMatch(/comma-separated/);
  });

  it('should reject a blank line between data rows', () => {
    expect(csvError('1,2\n\n3,4\n').location).toEqual({ source: 'd.csv', row: 2 });
  });

  it.each([
    ['an empty file', ''],
    ['only blank lines', '\n \r\n\n'],
    ['a header alone', 'a,b,c\n'],
  ])('should reject %s as no data', (_label, text) => {
    expect(csvError(text).message).toMatch(/^d\.csv(, row 1)?: no data/);
  });
});

describe('formatCsv', () => {
  it('should round-trip float32 values exactly through parseCsv', () => {
    const m = randomMatrix(mulberry32(3), 20, 7, -100, 100);
    const back = parseCsv(formatCsv(m), 'x');
    expect(back.data).toEqual(m.data);
  });

  it('should write a header when given, quoting where needed', () => {
    const text = formatCsv({ rows: 1, cols: 2, data: new Float32Array([0.5, 2]) }, ['a', 'b,c']);
    expect(text).toBe('a,"b,c"\n0.5,2\n');
  });

  it('should write the shortest decimal of a float32', () => {
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatFloat32(3)).toBe('3');
  });

  it('should accept exactly the plain decimals as cells (the character scan agrees with the grammar)', () => {
    const grammar = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
    const cell = fc.string({ unit: fc.constantFrom(...'+-.eE0123456789x '.split('')), minLength: 0, maxLength: 8 });
    fc.assert(
      fc.property(cell, (text) => {
        let accepted = true;
        try {
          parseCsv(`1,${text}\n`, 'd.csv');
        } catch {
          accepted = false;
        }
        const t = text.trim();
        const value = Number(t);
        expect(accepted, JSON.stringify(text)).toBe(grammar.test(t) && Math.abs(value) <= 3.4028234663852886e38);
      }),
      { seed: 14, numRuns: 20_000 },
    );
  });

  it('should read every decimal cell as Number() does, to the bit', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 0, maxLength: 20 });
    const decimal = fc
      .tuple(fc.constantFrom('', '-', '+', ' '), digits, fc.boolean(), digits, fc.constantFrom('', ' ', 'e3', 'E-7'))
      .filter(([, whole, , fraction]) => whole.length + fraction.length > 0)
      .map(([sign, whole, dot, fraction, tail]) => `${sign}${whole}${dot ? '.' : ''}${fraction}${tail}`);
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const { data } = parseCsv(`${a},${b}\n`, 'd.csv');
        expect(Object.is(data[0], Math.fround(Number(a.trim()))), a).toBe(true);
        expect(Object.is(data[1], Math.fround(Number(b.trim()))), b).toBe(true);
      }),
      { seed: 15, numRuns: 20_000 },
    );
  });
});

