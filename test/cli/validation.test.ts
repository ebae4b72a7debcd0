/**
 * edge-sae train with --validation-split and early stopping: the summary counts the rows trained
 * on and held out, reports the validation metrics and the epoch kept, progress lines carry the
 * validation loss, and the written model is the best epoch's (equal to a run of that many epochs).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCsv } from '../../src/data/csv.js';
import { runMain } from '../helpers/cli.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-validation-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const at = (name: string) => path.join(root, name);
writeFileSync(at('d.csv'), formatCsv(randomMatrix(mulberry32(5), 120, 6, 0, 10)));
const FLAGS = ['--data', at('d.csv'), '--hidden', '8', '--batch-size', '16', '--seed', '3', '--validation-split', '0.25', '--backend', 'assemblyscript'];

describe('edge-sae train --validation-split', () => {
  it('should stop early, keep the best epoch, and say so', async () => {
    const stopped = await runMain(['train', ...FLAGS, '--out', at('stopped.json'), '--epochs', '30', '--patience', '2', '--min-delta', '1e9', '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    const summary = JSON.parse(stopped.stdout) as { rows: number; heldOutRows: number; epochs: number; bestEpoch: number; validationHistory: number[]; validationMetrics: { rows: number } };
    expect(summary.rows + summary.heldOutRows).toBe(120);
    expect(summary.validationMetrics.rows).toBe(summary.heldOutRows);
    expect([summary.epochs, summary.bestEpoch, summary.validationHistory.length]).toEqual([3, 1, 3]);
    const lines = stopped.stderr.trim().split('\n').map((line) => JSON.parse(line) as { validationLoss?: number });
    expect(lines.at(-1)!.validationLoss).toBe(summary.validationHistory.at(-1));

    const one = await runMain(['train', ...FLAGS, '--out', at('one.json'), '--epochs', '1', '--quiet']);
    expect(one.code, one.stderr).toBe(0);
    const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const [a, b] = [read(at('stopped.json')), read(at('one.json'))];
    expect(a.encoder).toEqual(b.encoder);
    expect(a.optimizerState).toEqual(b.optimizerState);
  });

  it('should name the option when the split leaves no row to hold out', async () => {
    const tiny = at('tiny.csv');
    writeFileSync(tiny, '0,1\n1,0\n');
    const result = await runMain(['train', '--data', tiny, '--out', at('t.json'), '--validation-split', '0.01', '--epochs', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--validation-split: 0\.01 holds out 0 of 2 rows/);
  });

  it('should refuse --patience without a validation split, naming the flag, rather than ignore it', async () => {
    const result = await runMain(['train', '--data', at('d.csv'), '--out', at('p.json'), '--epochs', '3', '--patience', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--patience: 2 needs validation rows/);
  });
});

describe('edge-sae train --validation-data', () => {
  writeFileSync(at('v.csv'), formatCsv(randomMatrix(mulberry32(6), 30, 6, 0, 10)));
  const SET_FLAGS = ['--data', at('d.csv'), '--hidden', '8', '--batch-size', '16', '--seed', '3', '--backend', 'assemblyscript', '--validation-data', at('v.csv')];

  it('should validate on the file after every epoch, train as without it, and give the library\'s figures', async () => {
    const result = await runMain(['train', ...SET_FLAGS, '--out', at('set.json'), '--epochs', '4', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { rows: number; heldOutRows: number; validationHistory: number[]; validationMetrics: { rows: number; loss: number } };
    expect([summary.rows, summary.heldOutRows, summary.validationHistory.length]).toEqual([120, 30, 4]);
    const evaluated = await runMain(['evaluate', '--model', at('set.json'), '--data', at('v.csv')]);
    expect((JSON.parse(evaluated.stdout) as { loss: number }).loss).toBe(summary.validationMetrics.loss);

    const plain = await runMain(['train', '--data', at('d.csv'), '--hidden', '8', '--batch-size', '16', '--seed', '3', '--backend', 'assemblyscript', '--out', at('plain.json'), '--epochs', '4', '--quiet']);
    expect(plain.code, plain.stderr).toBe(0);
    const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(read(at('set.json')).encoder).toEqual(read(at('plain.json')).encoder);
  });

  it('should refuse it beside --validation-split, a file of another width, or a bad value in it, naming the file and row', async () => {
    const both = await runMain(['train', ...SET_FLAGS, '--validation-split', '0.2', '--out', at('x.json'), '--epochs', '1']);
    expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/--validation-split: .*not both/)]);

    writeFileSync(at('narrow.csv'), '1,2,3\n4,5,6\n');
    const narrow = await runMain(['train', '--data', at('d.csv'), '--validation-data', at('narrow.csv'), '--out', at('x.json'), '--epochs', '1']);
    expect([narrow.code, narrow.stderr]).toEqual([2, expect.stringMatching(/narrow\.csv, row 1, column 4: rows have 3 columns, but the training data in .*d\.csv has 6/)]);

    writeFileSync(at('unit.csv'), '0.5,0.5\n0.25,0.75\n');
    writeFileSync(at('outside.csv'), 'a,b\n0.5,0.5\n0.25,1.5\n');
    const outside = await runMain(['train', '--data', at('unit.csv'), '--validation-data', at('outside.csv'), '--normalize', 'none', '--out', at('x.json'), '--epochs', '1']);
    expect([outside.code, outside.stderr]).toEqual([2, expect.stringMatching(/outside\.csv, row 3, column 2: value 1\.5 is outside \[0, 1\]/)]);
    expect(() => readFileSync(at('x.json'))).toThrow();
  });
});
