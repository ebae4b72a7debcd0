/**
 * The CLI end to end: train → encode → evaluate on a small CSV, and `train --init` taking exactly
 * one full-batch SGD step whose size matches the float64 reference gradient.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchTopKTrainingCodes } from '../../src/reference/batchtopk-reference.js';
import { referenceGradients } from '../../src/reference/sae-reference.js';
import { expectAllClose } from '../helpers/allclose.js';
import { runCli, runMain } from '../helpers/cli.js';
import { mulberry32, randomRows } from '../helpers/random.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface ModelJson {
  format: string;
  inputSize: number;
  hiddenSize: number;
  normalization: { kind: string };
  encoder: { weights: number[][]; bias: number[] };
  decoder: { weights: number[][]; bias: number[] };
  config: { sparsityTarget: number; sparsityWeight: number; weightDecay: number; reduction: 'sum' | 'mean' };
  training: { optimizer: string; epochsCompleted: number };
  lossHistory: number[];
}

function csvOf(rows: number[][], header?: string[]): string {
  return [...(header ? [header.join(',')] : []), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

function readModel(file: string): ModelJson {
  return JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
}

function flat(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}

describe('train → encode → evaluate', () => {
  it('should round-trip a small CSV through the CLI', async () => {
    const dir = mkdtempSync(path.join(root, 'round-trip-'));
    const rows = randomRows(mulberry32(5), 30, 4, -5, 5);
    writeFileSync(path.join(dir, 'd.csv'), csvOf(rows, ['w', 'x', 'y', 'z']));

    const trained = await runCli(['train', '--data', 'd.csv', '--out', 'm.json', '--epochs', '200', '--learning-rate', '0.01', '--seed', '3', '--json', '--quiet'], { cwd: dir });
    expect(trained.stderr).toBe(''); // --quiet: no progress
    expect(trained.code).toBe(0);
    expect(trained.stdout.trimEnd().split('\n')).toHaveLength(1);
    const summary = JSON.parse(trained.stdout) as { out: string; backend: string; skippedBackends: unknown[]; epochs: number; metrics: Record<string, number> };
    expect(summary.out).toBe('m.json');
    expect(['assemblyscript', 'tfjs-wasm', 'tfjs-cpu']).toContain(summary.backend);
    expect(Array.isArray(summary.skippedBackends)).toBe(true);
    expect(summary.epochs).toBe(200);
    expect(readdirSync(dir).sort()).toEqual(['d.csv', 'm.json']); // no temp file left

    const model = readModel(path.join(dir, 'm.json'));
    expect(model.format).toBe('edge-sae');
    expect([model.inputSize, model.hiddenSize]).toEqual([4, 12]);
    expect(model.normalization.kind).toBe('minmax');
    expect(model.lossHistory).toHaveLength(200);
    expect(model.lossHistory[199]!).toBeLessThan(model.lossHistory[0]!);

    const csv = await runCli(['encode', '--model', 'm.json', '--data', 'd.csv'], { cwd: dir });
    expect(csv.code, csv.stderr).toBe(0);
    const csvCodes = csv.stdout.trimEnd().split('\n').map((line) => line.split(',').map(Number));
    expect(csvCodes).toHaveLength(30);
    for (const row of csvCodes) {
      expect(row).toHaveLength(12);
      for (const v of row) expect(v > 0 && v < 1).toBe(true);
    }

    const json = await runCli(['encode', '--model', 'm.json', '--data', 'd.csv', '--out', 'codes.json'], { cwd: dir });
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toBe('');
    expect(JSON.parse(readFileSync(path.join(dir, 'codes.json'), 'utf8'))).toEqual(csvCodes);

    const evaluated = await runCli(['evaluate', '--model', 'm.json', '--data', 'd.csv'], { cwd: dir });
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const metrics = JSON.parse(evaluated.stdout) as Record<string, number>;
    for (const key of ['loss', 'reconstruction', 'weightDecay', 'sparsity', 'meanActivation', 'fvu', 'explainedVariance', 'l0', 'deadUnits', 'denseUnits']) {
      expect(metrics[key], key).toBeTypeOf('number');
      expect(metrics[key]!, key).toBeCloseTo(summary.metrics[key]!, 5);
    }
  });

  it('should train bit-identical models from the same seed, and show progress on a terminal', async () => {
    const dir = mkdtempSync(path.join(root, 'seed-'));
    writeFileSync(path.join(dir, 'd.json'), JSON.stringify({ data: randomRows(mulberry32(9), 12, 3, 0, 10) }));
    const args = (out: string) => ['train', '--data', path.join(dir, 'd.json'), '--out', path.join(dir, out), '--epochs', '20', '--batch-size', '4', '--seed', '8'];
    const a = await runMain(args('a.json'), { stderrIsTTY: true });
    const b = await runMain([...args('b.json'), '--quiet']);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stderr).toContain('epoch 20/20');
    expect(b.stderr).toBe('');
    const [ma, mb] = [readModel(path.join(dir, 'a.json')), readModel(path.join(dir, 'b.json'))];
    expect(ma.encoder).toEqual(mb.encoder);
    expect(ma.decoder).toEqual(mb.decoder);
  });
});

describe('train --init', () => {
  it('should take exactly one full-batch SGD step of the reference gradient (jumprelu, θ included)', async () => {
    const dir = mkdtempSync(path.join(root, 'init-jumprelu-'));
    const rows = randomRows(mulberry32(22), 8, 3, -1, 1);
    const data = path.join(dir, 'd.csv');
    writeFileSync(data, csvOf(rows));
    const before = path.join(dir, 'before.json');
    const after = path.join(dir, 'after.json');
    const flags = ['--architecture', 'jumprelu', '--l0-coefficient', '0.05', '--bandwidth', '0.6', '--initial-threshold', '0.05'];
    const first = await runMain(['train', '--data', data, '--out', before, '--normalize', 'none', '--hidden', '5', '--epochs', '5', '--learning-rate', '0.05', '--seed', '4', ...flags]);
    expect(first.code, first.stderr).toBe(0);
    const step = await runMain(['train', '--init', before, '--data', data, '--out', after, '--optimizer', 'sgd', '--learning-rate', '0.5', '--epochs', '1', '--batch-size', '0', '--normalize', 'none']);
    expect(step.code, step.stderr).toBe(0);
    const m0 = readModel(before);
    const m1 = readModel(after);
    expect(m0.config).toMatchObject({ architecture: 'jumprelu', l0Coefficient: 0.05, bandwidth: 0.6, initialThreshold: 0.05 });
    const paramsOf = (m: typeof m0) => ({
      W1: flat(m.encoder.weights), b1: Float64Array.from(m.encoder.bias), W2: flat(m.decoder.weights), b2: Float64Array.from(m.decoder.bias),
      theta: Float64Array.from((m.encoder as unknown as { threshold: number[] }).threshold),
    });
    const [params0, params1] = [paramsOf(m0), paramsOf(m1)];
    const x = Float64Array.from(rows.flat(), Math.fround);
    const reference = referenceGradients(params0, x, rows.length, { inputSize: 3, hiddenSize: 5 }, m0.config);
    expect(reference.gradients.theta!.some((g) => g !== 0)).toBe(true);
    for (const name of ['W1', 'b1', 'W2', 'b2', 'theta'] as const) {
      const stepTaken = params0[name].map((w, k) => (w - params1[name][k]!) / 0.5);
      const expected = reference.gradients[name]!;
      const scale = Math.max(...Array.from(expected, Math.abs));
      expectAllClose(stepTaken, expected, { atol: 1e-4 * scale, rtol: 1e-4 }, `(${name} before − after) / lr`);
    }
  });

  it.each([
    { architecture: 'batchtopk', flags: [] },
    { architecture: 'matryoshka', flags: ['--group-sizes', '2,3'] },
  ] as const)('should take exactly one full-batch SGD step of the reference gradient ($architecture, θ\'s running mean and the renormalised decoder included)', async ({ architecture, flags }) => {
    const dir = mkdtempSync(path.join(root, `init-${architecture}-`));
    const rows = randomRows(mulberry32(23), 8, 3, -1, 1);
    const data = path.join(dir, 'd.csv');
    writeFileSync(data, csvOf(rows));
    const before = path.join(dir, 'before.json');
    const after = path.join(dir, 'after.json');
    // θ's running mean from the first step (β = 0.5), so the --init step updates it
    const own = ['--architecture', architecture, '--k', '2', '--threshold-start', '0', '--threshold-decay', '0.5', ...flags];
    const first = await runMain(['train', '--data', data, '--out', before, '--normalize', 'none', '--hidden', '5', '--epochs', '5', '--learning-rate', '0.05', '--seed', '4', ...own]);
    expect(first.code, first.stderr).toBe(0);
    const step = await runMain(['train', '--init', before, '--data', data, '--out', after, '--optimizer', 'sgd', '--learning-rate', '0.5', '--epochs', '1', '--batch-size', '0', '--normalize', 'none']);
    expect(step.code, step.stderr).toBe(0);
    const m0 = readModel(before);
    const m1 = readModel(after);
    expect(m0.config).toMatchObject({ architecture, k: 2, thresholdStart: 0, thresholdDecay: 0.5, ...(architecture === 'matryoshka' ? { groupSizes: [2, 3] } : {}) });
    const thresholdOf = (m: typeof m0) => (m.encoder as unknown as { threshold: number[]; threshold_steps: number[] });
    const paramsOf = (m: typeof m0) => ({
      W1: flat(m.encoder.weights), b1: Float64Array.from(m.encoder.bias), W2: flat(m.decoder.weights), b2: Float64Array.from(m.decoder.bias),
      theta: Float64Array.from(thresholdOf(m).threshold), thetaSteps: Float64Array.from(thresholdOf(m).threshold_steps),
    });
    const [params0, params1] = [paramsOf(m0), paramsOf(m1)];
    const x = Float64Array.from(rows.flat(), Math.fround);
    const shape = { inputSize: 3, hiddenSize: 5 };
    const reference = referenceGradients(params0, x, rows.length, shape, m0.config);
    const lr = 0.5;
    for (const name of ['W1', 'b1', 'b2'] as const) {
      const stepTaken = params0[name].map((w, k) => (w - params1[name][k]!) / lr);
      const expected = reference.gradients[name];
      const scale = Math.max(...Array.from(expected, Math.abs));
      expectAllClose(stepTaken, expected, { atol: 1e-4 * scale, rtol: 1e-4 }, `(${name} before − after) / lr`);
    }
    const stepped = params0.W2.map((w, k) => w - lr * reference.gradients.W2[k]!);
    const renormalised = stepped.map((w, k) => w / Math.hypot(...Array.from(stepped.subarray(Math.floor(k / 3) * 3, Math.floor(k / 3) * 3 + 3))));
    expectAllClose(params1.W2, renormalised, { atol: 1e-5, rtol: 1e-4 }, 'W2 after the step, rows renormalised');
    // θ ← β·θ + (1 − β)·μ, μ the smallest positive training code of the batch (before the step)
    const codes = batchTopKTrainingCodes(params0, x, rows.length, shape, m0.config);
    const smallest = Math.min(...Array.from(codes).filter((v) => v > 0));
    expect(params1.theta[0]).toBeCloseTo(0.5 * params0.theta[0]! + 0.5 * smallest, 5);
    expect(params1.theta[0]).not.toBe(params0.theta[0]);
    expect(Array.from(params1.thetaSteps)).toEqual([1]);
    expect(m1.lossHistory.at(-1)!).toBeCloseTo(reference.terms.loss, 4);
  });

  it('should refuse --group-sizes that are not whole numbers or do not sum to the hidden size, naming the flag', async () => {
    const dir = mkdtempSync(path.join(root, 'groups-'));
    const data = path.join(dir, 'd.csv');
    writeFileSync(data, csvOf(randomRows(mulberry32(2), 6, 3, -1, 1)));
    const train = (...flags: string[]) => runMain(['train', '--data', data, '--out', path.join(dir, 'm.json'), '--architecture', 'matryoshka', '--hidden', '6', '--k', '2', '--epochs', '1', ...flags]);
    const letters = await train('--group-sizes', '2,x');
    expect(letters.code).toBe(2);
    expect(letters.stderr).toContain('--group-sizes: expected whole numbers separated by commas, such as 12,12,24, got "2,x"');
    const short = await train('--group-sizes', '2,2');
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('--group-sizes: must sum to the hidden size 6 (the groups split the dictionary), got 2 + 2 = 4');
    const none = await train();
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('--group-sizes: must list the sizes of the nested groups');
  });

  for (const architecture of ['sigmoid', 'relu', 'topk'] as const) it(`should take exactly one full-batch SGD step of the reference gradient (${architecture})`, async () => {
    const dir = mkdtempSync(path.join(root, `init-${architecture}-`));
    const extra = architecture === 'sigmoid' ? [] : ['--architecture', architecture, ...(architecture === 'topk' ? ['--k', '2'] : [])];
    const rows = randomRows(mulberry32(21), 8, 3, 0.05, 0.95);
    const data = path.join(dir, 'd.csv');
    writeFileSync(data, csvOf(rows));
    const before = path.join(dir, 'before.json');
    const after = path.join(dir, 'after.json');

    // A few Adam steps first, so the weights are not the initial ones and Adam state is saved.
    const first = await runMain(['train', '--data', data, '--out', before, '--normalize', 'none', '--hidden', '5', '--epochs', '5', '--learning-rate', '0.05', '--seed', '4', ...extra]);
    expect(first.code, first.stderr).toBe(0);
    const step = await runMain([
      'train', '--init', before, '--data', data, '--out', after,
      '--optimizer', 'sgd', '--learning-rate', '0.5', '--epochs', '1', '--batch-size', '0', '--normalize', 'none',
    ]);
    expect(step.code, step.stderr).toBe(0);

    const m0 = readModel(before);
    const m1 = readModel(after);
    expect(m1.training.optimizer).toBe('sgd');
    expect(m1.training.epochsCompleted).toBe(m0.training.epochsCompleted + 1);
    expect(m1.lossHistory).toHaveLength(m0.lossHistory.length + 1);

    const params0 = { W1: flat(m0.encoder.weights), b1: Float64Array.from(m0.encoder.bias), W2: flat(m0.decoder.weights), b2: Float64Array.from(m0.decoder.bias) };
    const params1 = { W1: flat(m1.encoder.weights), b1: Float64Array.from(m1.encoder.bias), W2: flat(m1.decoder.weights), b2: Float64Array.from(m1.decoder.bias) };
    // The CLI reads the data as float32; the reference sees exactly those values.
    const x = Float64Array.from(rows.flat(), Math.fround);
    const shape = { inputSize: 3, hiddenSize: 5 };
    const reference = referenceGradients(params0, x, rows.length, shape, m0.config);

    const lr = 0.5;
    // topk renormalises the decoder rows after its step (unit norm), so its W2 is checked as that.
    for (const name of architecture === 'topk' ? (['W1', 'b1', 'b2'] as const) : (['W1', 'b1', 'W2', 'b2'] as const)) {
      const stepTaken = params0[name].map((w, k) => (w - params1[name][k]!) / lr);
      const expected = reference.gradients[name];
      const scale = Math.max(...Array.from(expected, Math.abs));
      expectAllClose(stepTaken, expected, { atol: 1e-4 * scale, rtol: 1e-4 }, `(${name} before − after) / lr`);
    }
    if (architecture === 'topk') {
      const stepped = params0.W2.map((w, k) => w - lr * reference.gradients.W2[k]!);
      const renormalised = stepped.map((w, k) => {
        const row = Math.floor(k / 3);
        return w / Math.hypot(...Array.from(stepped.subarray(row * 3, row * 3 + 3)));
      });
      expectAllClose(params1.W2, renormalised, { atol: 1e-5, rtol: 1e-4 }, 'W2 after the step, rows renormalised');
    }
    // The loss recorded for that epoch is the loss before the step.
    expect(m1.lossHistory.at(-1)!).toBeCloseTo(reference.terms.loss, 4);
  });
});
