/**
 * openDataSource (the CLI's streamed reader) against readDataFile (the whole-file reader): for
 * each file, the same rows, header and first row number, or the same error message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatNpy } from '../../src/data/npy.js';
import { openDataSource } from '../../src/data/open-data-source.js';
import { readDataFile } from '../../src/data/read-file.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-open-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function streamedRows(file: string) {
  const opened = await openDataSource(file);
  try {
    const { shards } = opened;
    const data = new Float32Array(shards.rows * shards.cols);
    for (let i = 0; i < shards.shardCount; i++) data.set(await shards.readShard(i), i * shards.shardRows * shards.cols);
    return { matrix: { rows: shards.rows, cols: shards.cols, data }, header: opened.header, firstRow: opened.firstRow, format: opened.format };
  } finally {
    await opened.close();
  }
}

const CSV_CASES: Record<string, string> = {
  plain: '1,2\n3,4\n',
  'no final newline': '1,2\n3,4',
  crlf: 'a,b\r\n1,2\r\n3,4\r\n',
  bom: '\uFEFFx,y\n0.5,0.25\n',
  'blank lines around': '\n\n  \n1,2\n3,4\n\n \n',
  quoted: '"a","b"\n" 1 ","2"\n',
  'header only': 'a,b\n\n',
  empty: '\n \n',
  'blank between rows': '1,2\n\n3,4\n',
  'blank after header': 'a,b\n\n1,2\n',
  ragged: '1,2\n3\n',
  'bad cell': 'a,b\n1,2\n3,x\n',
  'not finite': '1,NaN\n',
  'beyond float32': '1,1e39\n',
  'stray quote': '1,2"\n',
  semicolons: '1;2\n',
};

describe('openDataSource', () => {
  for (const [label, text] of Object.entries(CSV_CASES)) {
    it(`should read CSV as readDataFile does (${label})`, async () => {
      const file = path.join(root, `${label.replace(/\W/g, '-')}.csv`);
      writeFileSync(file, text);
      let whole: unknown;
      try {
        const data = readDataFile(file);
        whole = { matrix: data.matrix, header: data.header, firstRow: data.firstRow, format: data.format };
      } catch (error) {
        whole = { error: (error as Error).message };
      }
      const streamed = await streamedRows(file).catch((error: unknown) => ({ error: (error as Error).message }));
      expect(streamed).toEqual(whole);
    });
  }

  it('should read .npy (float32 and float64) and JSON as readDataFile does', async () => {
    const matrix = { rows: 3, cols: 2, data: new Float32Array([0.5, 1, -2, 3.25, 1e-3, 7]) };
    writeFileSync(path.join(root, 'm.npy'), formatNpy(matrix));
    writeFileSync(path.join(root, 'm.json'), JSON.stringify([[0.5, 1], [-2, 3.25]]));
    writeFileSync(path.join(root, 'data.txt'), ' [[1, 2]]');
    for (const name of ['m.npy', 'm.json', 'data.txt']) {
      const file = path.join(root, name);
      const data = readDataFile(file);
      expect(await streamedRows(file)).toEqual({ matrix: data.matrix, header: data.header, firstRow: data.firstRow, format: data.format });
    }
  });

  it('should take column min and max as the rows give them, and the first value outside [0, 1]', async () => {
    const file = path.join(root, 'range.csv');
    writeFileSync(file, 'a,b\n0.5,0.25\n-0,2\n0.75,0\n');
    const opened = await openDataSource(file);
    expect(Array.from(opened.shards.columnMin)).toEqual([-0, 0]);
    expect(Array.from(opened.shards.columnMax)).toEqual([0.75, 2]);
    expect(opened.outsideUnitRange).toEqual({ value: 2, row: 3, column: 2 });
    await opened.close();
  });
});
