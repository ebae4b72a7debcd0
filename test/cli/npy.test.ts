/**
 * .npy through the CLI: train, encode and evaluate read it as --data (by content), encode writes
 * codes to --out codes.npy; a bad .npy is exit 2 naming the file and the problem.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCsv } from '../../src/data/csv.js';
import { formatNpy, parseNpy } from '../../src/data/npy.js';
import { runMain } from '../helpers/cli.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data', 'npy-fixtures');
const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-npy-'));
const at = (name: string) => path.join(root, name);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rows = randomMatrix(mulberry32(11), 40, 5, 0, 10);

beforeAll(() => {
  writeFileSync(at('d.npy'), formatNpy(rows));
  writeFileSync(at('d.csv'), formatCsv(rows));
  // The same bytes under a name that says nothing: the content decides.
  writeFileSync(at('d.data'), formatNpy(rows));
});

describe('.npy in the CLI', () => {
  it('should train the same model from .npy as from CSV of the same numbers', async () => {
    const args = ['--hidden', '4', '--epochs', '10', '--quiet'];
    const a = await runMain(['train', '--data', at('d.npy'), '--out', at('a.json'), ...args]);
    const b = await runMain(['train', '--data', at('d.csv'), '--out', at('b.json'), ...args]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const strip = (file: string) => ({ ...JSON.parse(readFileSync(file, 'utf8')), training: undefined });
    expect(strip(at('a.json'))).toEqual(strip(at('b.json')));
  });

  it('should write codes as .npy that equal the CSV codes, and read .npy for encode and evaluate', async () => {
    const npy = await runMain(['encode', '--model', at('a.json'), '--data', at('d.data'), '--out', at('codes.npy')]);
    const csv = await runMain(['encode', '--model', at('a.json'), '--data', at('d.csv'), '--out', at('codes.csv')]);
    expect(npy.code, npy.stderr).toBe(0);
    expect(csv.code, csv.stderr).toBe(0);
    const codes = parseNpy(new Uint8Array(readFileSync(at('codes.npy'))));
    expect([codes.rows, codes.cols]).toEqual([40, 4]);
    expect(formatCsv(codes)).toBe(readFileSync(at('codes.csv'), 'utf8'));

    const evaluated = await runMain(['evaluate', '--model', at('a.json'), '--data', at('d.npy')]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ rows: 40 });
  });

  it('should write .npy with --format npy to any name, and refuse it on stdout', async () => {
    const r = await runMain(['encode', '--model', at('a.json'), '--data', at('d.npy'), '--out', at('codes.bin'), '--format', 'npy']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseNpy(new Uint8Array(readFileSync(at('codes.bin')))).cols).toBe(4);
    const stdout = await runMain(['encode', '--model', at('a.json'), '--data', at('d.npy'), '--format', 'npy']);
    expect(stdout.code).toBe(2);
    expect(stdout.stderr).toContain('--format npy: .npy is binary; give --out FILE.npy');
  });

  it('should write raw float32 codes to --out *.f32, the .npy body without its header', async () => {
    const r = await runMain(['encode', '--model', at('a.json'), '--data', at('d.npy'), '--out', at('codes.f32')]);
    expect(r.code, r.stderr).toBe(0);
    const npy = readFileSync(at('codes.npy'));
    const f32 = readFileSync(at('codes.f32'));
    expect(f32.length).toBe(40 * 4 * 4);
    expect(f32.equals(npy.subarray(npy.length - f32.length))).toBe(true);
  });

  it('should keep the flags of encoding through the API to --api', async () => {
    const dataset = await runMain(['encode', '--model', at('a.json'), '--data', at('d.npy'), '--dataset', 'x']);
    expect(dataset.code).toBe(2);
    expect(dataset.stderr).toContain('--dataset: only with --api');
    const noData = await runMain(['encode', '--model', at('a.json')]);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toContain('encode: missing --data FILE (or give --api URL --dataset ID');
    const both = await runMain(['encode', '--api', 'http://127.0.0.1:9', '--token', 't', '--model', 'm', '--data', at('d.npy'), '--dataset', 'x', '--out', at('c.npy')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--data: not with --api');
    const json = await runMain(['encode', '--api', 'http://127.0.0.1:9', '--token', 't', '--model', 'm', '--dataset', 'x', '--out', at('c.json')]);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('--format json: the API downloads codes as csv, npy or f32');
  });

  it.each([
    ['fortran.npy', 'train', 'the array is in Fortran (column-major) order'],
    ['int64.npy', 'encode', "dtype '<i8' is not supported"],
    ['one-d.npy', 'evaluate', 'the array has shape (3,), 1-D'],
    ['nan.npy', 'train', 'row 2, column 2: value is NaN'],
  ])('should refuse %s in %s with exit 2 naming the file, writing nothing', async (name, command, message) => {
    copyFileSync(path.join(fixtures, name), at(name));
    const out = at(`${name}.out`);
    const args =
      command === 'train'
        ? ['train', '--data', at(name), '--out', out]
        : [command, '--model', at('a.json'), '--data', at(name), ...(command === 'encode' ? ['--out', out] : [])];
    const r = await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${at(name)}`);
    expect(r.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it('should refuse a file named .npy that is not one', async () => {
    writeFileSync(at('fake.npy'), '1,2,3\n');
    const r = await runMain(['train', '--data', at('fake.npy'), '--out', at('fake.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${at('fake.npy')}: not a .npy file`);
  });

  it('should name the model width when a .npy has the wrong number of columns', async () => {
    writeFileSync(at('wide.npy'), formatNpy(randomMatrix(mulberry32(2), 3, 6)));
    const r = await runMain(['encode', '--model', at('a.json'), '--data', at('wide.npy')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wide\.npy, row 1, column 6: rows have 6 columns, but the model in .* takes 5 \(inputSize\)/);
  });
});
