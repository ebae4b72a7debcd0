import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../../src/data/read-file.js';
import { DataError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('readDataFile', () => {
  it('should read .csv as CSV, with the header and the line of the first row', () => {
    const d = readDataFile(file('a.csv', 'x,y\n1,2\n3,4\n'));
    expect(d.format).toBe('csv');
    expect(d.header).toEqual(['x', 'y']);
    expect(d.firstRow).toBe(2);
    expect(Array.from(d.matrix.data)).toEqual([1, 2, 3, 4]);
  });

  it('should read .json as JSON', () => {
    const d = readDataFile(file('a.json', '{"data": [[1, 2]]}'));
    expect(d.format).toBe('json');
    expect(d.firstRow).toBe(1);
  });

  it('should sniff other extensions', () => {
    expect(readDataFile(file('a.txt', '  [[1]]')).format).toBe('json');
    expect(readDataFile(file('b.dat', '1,2\n')).format).toBe('csv');
  });

  it('should name the file in parse errors', () => {
    const p = file('bad.csv', '1,2\n3,x\n');
    expect(() => readDataFile(p)).toThrow(`${p}, row 2, column 2: `);
  });

  it('should turn a missing file into a DataError', () => {
    const p = path.join(dir, 'missing.csv');
    expect(() => readDataFile(p)).toThrow(DataError);
    expect(() => readDataFile(p)).toThrow(`${p}: cannot read the file: no such file`);
  });
});
