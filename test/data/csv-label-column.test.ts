/**
 * A CSV label column read from text (src/data/csv-label-column.ts: the API's `?labelColumn=` and
 * the playground's label column) gives the numbers and labels the CLI's streamed file reader
 * (`--label-column`, src/data/file-sources.ts) gives for the same file, and the same errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsvWithLabelColumn } from '../../src/data/csv-label-column.js';
import { openDataSource } from '../../src/data/open-data-source.js';

const dir = mkdtempSync(path.join(tmpdir(), 'csv-label-column-'));

async function fromFile(text: string, labelColumn: string) {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, text);
  const opened = await openDataSource(file, undefined, { labelColumn });
  try {
    const { rows, cols } = opened.shards;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < opened.shards.shardCount; i++) data.set(await opened.shards.readShard(i), i * opened.shards.shardRows * cols);
    const labels = await opened.labels!.labelsOf(Array.from({ length: rows }, (_, r) => r));
    return { rows, cols, data, header: opened.header, labels: Array.from({ length: rows }, (_, r) => labels.get(r)) };
  } finally {
    await opened.close();
  }
}

describe('a CSV label column from text', () => {
  it('should give the numbers, header and labels the CLI reads from the same file', async () => {
    const text = '\uFEFFx, name ,y\r\n1,"seven, 7",0.5\r\n2,two,-1e-3\r\n3,"a ""quoted"" one",4\r\n\r\n';
    const parsed = parseCsvWithLabelColumn(text, 'text', 'name');
    const cli = await fromFile(text, 'name');
    expect({ rows: parsed.rows, cols: parsed.cols, data: parsed.data, header: parsed.header, labels: parsed.labels }).toEqual(cli);
    expect(parsed.labels).toEqual(['seven, 7', 'two', 'a "quoted" one']);
    expect(parsed.firstLine).toBe(2);
  });

  it('should refuse what the CLI refuses, naming the line', async () => {
    const cases: [string, string, RegExp][] = [
      ['a,b\n1,2\n', 'name', /text, row 1: there is no column named "name" for the labels \(the header names "a", "b"\)/],
      ['1,2\n3,4\n', 'name', /text, row 1: the CSV has no header row, so no column named "name"/],
      ['name\nx\n', 'name', /the label column "name" is the only column: there are no numbers left/],
      ['a,name\n1,x\n2\n', 'name', /text, row 3: expected 2 cells \(with the label\), got 1/],
      ['a,name\n1,x\n\n2,y\n', 'name', /text, row 3: blank line between data rows/],
      ['a,name\n', 'name', /no data: the file has a header row but no data rows/],
    ];
    for (const [text, column, message] of cases) expect(() => parseCsvWithLabelColumn(text, 'text', column)).toThrow(message);
  });
});
