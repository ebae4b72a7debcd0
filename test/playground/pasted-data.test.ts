/** The playground's reading of a pasted CSV (src/playground/pasted-data.ts): the project's CSV rules, short JSON numbers. */
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { describeData, exampleCsv, labelsOf, parsePasted, parsePastedData, rowsOf, rowText } from '../../src/playground/pasted-data.js';

describe('pasted data', () => {
  it('should read a CSV by src/data/csv.ts and describe it', () => {
    const data = parsePasted('a,b\n0.1,1\n0.3,0\n');
    expect(describeData(data)).toBe('2 rows × 2 columns, with a header row');
    expect(describeData(parsePasted('1,2,3\n'))).toBe('1 row × 3 columns');
  });

  it('should set a named label column aside as each row\'s label, as the API\'s labelColumn does', () => {
    const data = parsePastedData('a,digit,b\n0.1,"seven, 7",1\n0.3,two,0\n', 'digit');
    expect(rowsOf(data)).toEqual([[0.1, 1], [0.3, 0]]);
    expect(labelsOf(data)).toEqual(['seven, 7', 'two']);
    expect(describeData(data, 'digit')).toBe('2 rows × 2 columns, with a header row, labels from column "digit"');
    expect(labelsOf(parsePastedData('a,b\n1,2\n', ''))).toBeUndefined();
    expect(() => parsePastedData('a,b\n1,2\n', 'digit')).toThrow('the CSV, row 1: there is no column named "digit" for the labels (the header names "a", "b")');
    expect(() => parsePastedData('1,2\n', 'digit')).toThrow(/no header row/);
  });

  it('should send each value as the shortest decimal of its float32, which reads back as the same float32', () => {
    const data = parsePasted('0.1,0.30000001,1e-8\n');
    const [row] = rowsOf(data);
    expect(row).toEqual([0.1, 0.3, 1e-8]);
    expect(JSON.stringify(row)).toBe('[0.1,0.3,1e-8]');
    expect(Float32Array.from(row!)).toEqual(data.data);
    expect(rowText(data, 0)).toBe('0.1,0.3,1e-8');
  });

  it('should refuse what the CLI and the API refuse, naming the line and column', () => {
    expect(() => parsePasted('1,2\n3,\n')).toThrow(DataError);
    expect(() => parsePasted('1,2\n3,\n')).toThrow('the CSV, row 2, column 2: empty cell, expected a number');
  });

  it('should make 200 rows of 16 zeros and ones as the example data', () => {
    const data = parsePasted(exampleCsv());
    expect([data.rows, data.cols, data.header]).toEqual([200, 16, null]);
    expect(data.data.every((v) => v === 0 || v === 1)).toBe(true);
    expect(exampleCsv()).toBe(exampleCsv());
  });
});
