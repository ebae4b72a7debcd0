/**
 * edge-sae encode --top K [--threshold T]: each row's largest features as JSON, CSV or the binary
 * form, equal to the dense codes' top-K computed here; bad K is exit 2 naming the flag.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCsv } from '../../src/data/csv.js';
import { codesFromBytes } from '../../src/model/codes-binary.js';
import { toFeatureLists } from '../../src/model/sparse-codes.js';
import { runMain } from '../helpers/cli.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-sparse-'));
const at = (name: string) => path.join(root, name);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rows = randomMatrix(mulberry32(4), 12, 6, -1, 1);

/** Each row's top k of the dense codes, by sorting the whole row. */
function topOf(dense: number[][], k: number, threshold?: number) {
  return dense.map((row) => {
    const order = row
      .map((value, j) => ({ value, j }))
      .filter(({ value }) => threshold === undefined || value > threshold)
      .sort((a, b) => b.value - a.value || a.j - b.j)
      .slice(0, k);
    return { indices: order.map(({ j }) => j), values: order.map(({ value }) => value) };
  });
}

let dense: number[][];

beforeAll(async () => {
  writeFileSync(at('d.csv'), formatCsv(rows));
  const trained = await runMain(['train', '--data', at('d.csv'), '--out', at('m.safetensors'), '--architecture', 'relu', '--normalize', 'standardize', '--hidden', '16', '--epochs', '5', '--quiet']);
  expect(trained.code, trained.stderr).toBe(0);
  const encoded = await runMain(['encode', '--model', at('m.safetensors'), '--data', at('d.csv'), '--format', 'json']);
  expect(encoded.code, encoded.stderr).toBe(0);
  dense = JSON.parse(encoded.stdout) as number[][];
}, 120_000);

describe('edge-sae encode --top', () => {
  it('should write each row\'s K largest features as JSON, equal to the dense codes\' top-K', async () => {
    const r = await runMain(['encode', '--model', at('m.safetensors'), '--data', at('d.csv'), '--top', '5', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { indices: number[]; values: number[] }[];
    expect(got.map((row) => row.indices)).toEqual(topOf(dense, 5).map((row) => row.indices));
    got.forEach((row, i) => row.values.forEach((v, e) => expect(v).toBeCloseTo(topOf(dense, 5)[i]!.values[e]!, 6)));
  });

  it('should apply --threshold with --top, and write CSV index:value lines and the binary form', async () => {
    const csv = await runMain(['encode', '--model', at('m.safetensors'), '--data', at('d.csv'), '--top', '3', '--threshold', '0']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    const expected = topOf(dense, 3, 0);
    lines.forEach((line, i) => expect(line === '' ? [] : line.split(',').map((pair) => Number(pair.split(':')[0]))).toEqual(expected[i]!.indices));

    const bin = await runMain(['encode', '--model', at('m.safetensors'), '--data', at('d.csv'), '--top', '3', '--threshold', '0', '--format', 'bin', '--out', at('codes.bin')]);
    expect(bin.code, bin.stderr).toBe(0);
    const read = codesFromBytes(new Uint8Array(readFileSync(at('codes.bin'))));
    expect('sparse' in read && toFeatureLists(read.sparse).map((row) => row.indices)).toEqual(expected.map((row) => row.indices));
  });

  it('should refuse --top beyond the hidden size, --top 0 and --top with npy, naming the flag', async () => {
    const big = await runMain(['encode', '--model', at('m.safetensors'), '--data', at('d.csv'), '--top', '17']);
    expect(big.code).toBe(2);
    expect(big.stderr).toContain("--top: top must be a whole number from 1 to the model's 16 hidden units; got 17");
    const zero = await runMain(['encode', '--model', at('m.safetensors'), '--data', at('d.csv'), '--top', '0']);
    expect(zero.code).toBe(2);
    const npy = await runMain(['encode', '--model', at('m.safetensors'), '--data', at('d.csv'), '--top', '2', '--out', at('c.npy')]);
    expect(npy.code).toBe(2);
    expect(npy.stderr).toContain('not with --top or --threshold');
  });
});
