/**
 * `edge-sae sweep`: every trial's model file is, byte for byte, what `edge-sae train` writes with
 * the same options and seed; a failing trial fails alone; the ranking follows the metric; bad
 * usage exits 2 naming the flag.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';
import { mulberry32 } from '../helpers/random.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-sweep-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const at = (name: string) => path.join(root, name);

const rng = mulberry32(7);
writeFileSync(at('data.csv'), `${Array.from({ length: 120 }, () => Array.from({ length: 6 }, () => rng().toFixed(4)).join(',')).join('\n')}\n`);
const shared = ['--epochs', '30', '--batch-size', '32', '--seed', '5', '--backend', 'assemblyscript'];

interface SweepJson {
  metric: string;
  best: string | null;
  trials: Array<{ name: string; rank: number | null; best: boolean; value: number | null; status: string; out?: string; error?: string; options: Record<string, unknown> }>;
}

describe('edge-sae sweep', () => {
  it('should train a 2 × 2 grid two at a time, each model equal byte for byte to edge-sae train with its options', async () => {
    const outDir = at('grid');
    const result = await runMain(['sweep', '--data', at('data.csv'), '--grid', 'hidden=4,8;sparsityWeight=0.1,1', '--jobs', '2', '--out-dir', outDir, '--json', ...shared]);
    expect(result.stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line).event)).toEqual(['trial', 'trial', 'trial', 'trial']);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as SweepJson;
    expect(summary.metric).toBe('fvu');
    expect(summary.trials).toHaveLength(4);
    expect(readdirSync(outDir).sort()).toEqual([
      '1-hiddenSize=4,sparsityWeight=0.1.json',
      '2-hiddenSize=4,sparsityWeight=1.json',
      '3-hiddenSize=8,sparsityWeight=0.1.json',
      '4-hiddenSize=8,sparsityWeight=1.json',
    ]);
    // Ranked by fvu, lower first, the best marked and named.
    const values = summary.trials.map((t) => t.value!);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(summary.trials.map((t) => t.rank)).toEqual([1, 2, 3, 4]);
    expect(summary.best).toBe(summary.trials[0]!.name);
    for (const trial of summary.trials) {
      const own = at(`train-${trial.name}.json`);
      const train = await runMain(['train', '--data', at('data.csv'), '--out', own, '--quiet', ...shared, '--hidden', String(trial.options.hiddenSize), '--sparsity-weight', String(trial.options.sparsityWeight)]);
      expect(train.code, train.stderr).toBe(0);
      expect(readFileSync(trial.out!).equals(readFileSync(own)), trial.name).toBe(true);
    }
  }, 120_000);

  it('should fail one trial alone (k above the hidden size), say why, and rank the rest', async () => {
    const result = await runMain(['sweep', '--data', at('data.csv'), '--grid', 'k=2,50', '--architecture', 'topk', '--hidden', '8', '--json', '--quiet', ...shared]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as SweepJson;
    expect(summary.trials.map((t) => [t.name, t.status])).toEqual([
      ['1-k=2', 'done'],
      ['2-k=50', 'failed'],
    ]);
    expect(summary.trials[1]!.error).toMatch(/k/);
    expect(summary.trials[1]!.error).toMatch(/50/);
    expect(summary.trials[0]!.out).toBeUndefined();
  }, 60_000);

  it('should validate every trial on --validation-data and rank by it, each trial as train --validation-data', async () => {
    const vrng = mulberry32(8);
    writeFileSync(at('held.csv'), `${Array.from({ length: 30 }, () => Array.from({ length: 6 }, () => vrng().toFixed(4)).join(',')).join('\n')}\n`);
    const result = await runMain(['sweep', '--data', at('data.csv'), '--validation-data', at('held.csv'), '--grid', 'hidden=4,8', '--metric', 'validationLoss', '--json', '--quiet', ...shared]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { trials: Array<SweepJson['trials'][number] & { validationMetrics: { loss: number; rows: number } }> };
    expect(summary.trials.map((t) => t.validationMetrics.rows)).toEqual([30, 30]);
    expect(summary.trials.map((t) => t.value)).toEqual(summary.trials.map((t) => t.validationMetrics.loss));
    expect(summary.trials[0]!.value! <= summary.trials[1]!.value!).toBe(true);
    for (const trial of summary.trials) {
      const train = await runMain(['train', '--data', at('data.csv'), '--validation-data', at('held.csv'), '--out', at(`v-${trial.name}.json`), '--json', ...shared, '--hidden', String(trial.options.hiddenSize)]);
      expect((JSON.parse(train.stdout) as { validationMetrics: unknown }).validationMetrics, trial.name).toEqual(trial.validationMetrics);
    }
    // With early stopping, each trial says the epoch it kept, as train's summary does.
    const stopped = await runMain(['sweep', '--data', at('data.csv'), '--validation-data', at('held.csv'), '--grid', 'hidden=4', '--patience', '2', '--min-delta', '1e9', '--json', '--quiet', ...shared]);
    expect((JSON.parse(stopped.stdout) as { trials: Array<{ bestEpoch: number; epochs: number }> }).trials.map((t) => [t.bestEpoch, t.epochs])).toEqual([[1, 3]]);
    const remote = await runMain(['sweep', '--api', 'http://127.0.0.1:9', '--dataset', 'x', '--validation-data', at('held.csv'), '--grid', 'hidden=4']);
    expect([remote.code, remote.stderr]).toEqual([2, expect.stringMatching(/--validation-data: not with --api/)]);
  }, 60_000);

  it('should print a ranked table for people, the best starred', async () => {
    const result = await runMain(['sweep', '--data', at('data.csv'), '--grid', 'learningRate=0.01,0.001', '--metric', 'loss', ...shared]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^rank\s+trial\s+loss\s+loss\s+epochs\s+seconds\s+model \/ error$/);
    expect(lines[1]).toMatch(/^1\*\s+\d-learningRate=0\.0+1\s/);
    expect(lines[2]).toMatch(/^2\s+\d-learningRate=/);
    expect(result.stderr).toMatch(/^trial 1\/2 \d-learningRate=[\d.]+: done in [\d.]+ s, fvu /m);
  }, 60_000);

  it.each([
    [['--grid', 'hidden=4', '--hidden', '8'], /--hidden: given as a flag and in --grid; give it in one place/],
    [['--grid', 'widht=4'], /--grid: grid: "widht" is not an option a sweep can vary/],
    [['--grid', 'hidden=4', '--jobs', '0'], /--jobs: must be a whole number ≥ 1, got 0/],
  ])('should exit 2 on bad usage %j', async (args, message) => {
    const result = await runMain(['sweep', '--data', at('data.csv'), ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('should say a bad data file once, as train does, when every trial fails on it', async () => {
    const result = await runMain(['sweep', '--data', at('missing.csv'), '--grid', 'hidden=4,8', '--quiet']);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/missing\.csv/);
  });
});
