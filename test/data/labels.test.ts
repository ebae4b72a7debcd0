/**
 * Row labels (src/data/labels.ts): a CSV column named by the user set aside from the numbers
 * (streamed, shard by shard), a file of lines, and clear errors for a column that is not there.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLabelFile } from '../../src/data/labels.js';
import { openDataSource } from '../../src/data/open-data-source.js';
import { DataError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'labels-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('a CSV label column', () => {
  it('should set the named column aside from the numbers and give each row its label', async () => {
    // 2¹⁹ + 5 rows of 2 numbers: two shards, so labels are looked up across shards.
    const rows = 2 ** 19 + 5;
    const lines = ['x,name,y'];
    for (let i = 0; i < rows; i++) lines.push(`${i % 7},"row ${i}, quoted",${(i % 3) / 2}`);
    const opened = await openDataSource(write('labelled.csv', `${lines.join('\n')}\n`), undefined, { labelColumn: 'name' });
    try {
      expect(opened.shards.cols).toBe(2);
      expect(opened.header).toEqual(['x', 'y']);
      expect(opened.shards.shardCount).toBe(2);
      const last = await opened.shards.readShard(1);
      expect(Array.from(last.subarray(0, 2))).toEqual([(2 ** 19) % 7, ((2 ** 19) % 3) / 2]);
      const found = await opened.labels!.labelsOf([rows - 1, 3, 2 ** 19]);
      expect(opened.labels!.rows).toBe(rows);
      expect([...found.entries()].sort((a, b) => a[0] - b[0])).toEqual([
        [3, 'row 3, quoted'],
        [2 ** 19, `row ${2 ** 19}, quoted`],
        [rows - 1, `row ${rows - 1}, quoted`],
      ]);
    } finally {
      await opened.close();
    }
  });

  it('should name the missing column, a file without a header, and a format without columns', async () => {
    await expect(openDataSource(write('a.csv', 'x,y\n1,2\n'), undefined, { labelColumn: 'digit' })).rejects.toThrow(/no column named "digit" for the labels \(the header names "x", "y"\)/);
    await expect(openDataSource(write('b.csv', '1,2\n3,4\n'), undefined, { labelColumn: 'digit' })).rejects.toThrow(/no header row, so no column named "digit"/);
    await expect(openDataSource(write('c.json', '[[1,2]]'), undefined, { labelColumn: 'digit' })).rejects.toThrow(DataError);
    await expect(openDataSource(write('d.csv', 'x,digit\n1,a\n2\n'), undefined, { labelColumn: 'digit' })).rejects.toThrow(/expected 2 cells \(with the label\), got 1/);
  });
});

describe('a labels file', () => {
  it('should count its lines (a last line without a newline too) and give the lines asked for', async () => {
    const labels = await openLabelFile(write('labels.txt', 'zero\r\none\n\nthree'));
    expect(labels.rows).toBe(4);
    expect([...(await labels.labelsOf([3, 0, 2])).entries()].sort()).toEqual([[0, 'zero'], [2, ''], [3, 'three']]);
    expect((await openLabelFile(write('l2.txt', 'a\nb\n'))).rows).toBe(2);
  });

  it('should name a file it cannot read', async () => {
    await expect(openLabelFile(path.join(dir, 'missing.txt'))).rejects.toThrow(/cannot read the labels file/);
  });
});
