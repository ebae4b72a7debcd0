/**
 * A first row that looks like a header of numbers (src/data/numeric-header.ts): the rule, parseCsv's
 * `header` choice, and the CLI's summary saying so (issue 23, item 7).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { numericHeaderWarning, numericHeaderWarningOf } from '../../src/data/numeric-header.js';
import { runMain } from '../helpers/cli.js';

const warn = (first: number[], second: number[] | null) => numericHeaderWarning(first, second, 'x.csv', 'fix it');

describe('numericHeaderWarning', () => {
  it('should name a first row of consecutive whole numbers over data that is not', () => {
    expect(warn([2019, 2020, 2021], [0.1, 0.2, 0.3])).toBe('the first row of x.csv (2019,2020,2021) looks like a header of numbers, yet it was read as data: fix it');
    expect(warn([0, 1, 2, 3, 4, 5], [5, 1, 0, 0, 2, 1])).toMatch(/\(0,1,2,3,…\)/);
    expect(warn([1, 2, 3], null)).not.toBeNull();
  });

  it('should say nothing of two columns, a gap, a fraction, a falling run, or data that counts too', () => {
    expect(warn([0, 1], [0.5, 0.5])).toBeNull();
    expect(warn([2019, 2021, 2022], [0.1, 0.2, 0.3])).toBeNull();
    expect(warn([1.5, 2.5, 3.5], [0.1, 0.2, 0.3])).toBeNull();
    expect(warn([3, 2, 1], [0.1, 0.2, 0.3])).toBeNull();
    expect(warn([1, 2, 3], [4, 5, 6])).toBeNull();
  });

  it('should read the first two rows of a matrix', () => {
    expect(numericHeaderWarningOf(parseCsv('1,2,3\n0,0,1\n'), 'x.csv', 'fix it')).toMatch(/\(1,2,3\)/);
    expect(numericHeaderWarningOf(parseCsv('a,b,c\n1,2,3\n0,0,1\n'), 'x.csv', 'fix it')).toMatch(/\(1,2,3\)/);
  });
});

describe('parseCsv header choice', () => {
  it('should take the first row as the header with true, as data with false, by its content with auto', () => {
    expect(parseCsv('2019,2020\n1,2\n', 'x', true)).toMatchObject({ rows: 1, header: ['2019', '2020'], firstLine: 2 });
    expect(parseCsv('2019,2020\n1,2\n', 'x', 'auto')).toMatchObject({ rows: 2, header: null });
    expect(parseCsv('a,b\n1,2\n', 'x', 'auto')).toMatchObject({ rows: 1, header: ['a', 'b'] });
    expect(() => parseCsv('a,b\n1,2\n', 'x', false)).toThrow(/x, row 1, column 1: expected a number, got "a"/);
  });
});

describe('edge-sae train on such a CSV', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-numeric-header-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should say so in the summary and in its JSON, and not for ordinary data', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => [(i % 3) / 2, ((i * 5) % 7) / 6, (i % 2) * 0.5].join(','));
    const withYears = path.join(dir, 'years.csv');
    writeFileSync(withYears, `2019,2020,2021\n${rows.join('\n')}\n`);
    const plain = path.join(dir, 'plain.csv');
    writeFileSync(plain, `${rows.join('\n')}\n`);
    const out = path.join(dir, 'm.json');
    const text = await runMain(['train', '--data', withYears, '--out', out, '--epochs', '2']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/\nwarning: the first row of .*years\.csv \(2019,2020,2021\) looks like a header of numbers, yet it was read as data: if it is a header, give its columns names/);
    const json = await runMain(['train', '--data', withYears, '--out', out, '--epochs', '2', '--json']);
    expect(JSON.parse(json.stdout).warnings).toEqual([expect.stringMatching(/looks like a header of numbers/)]);
    const quiet = await runMain(['train', '--data', plain, '--out', out, '--epochs', '2', '--json']);
    expect(JSON.parse(quiet.stdout)).not.toHaveProperty('warnings');
  });
});
