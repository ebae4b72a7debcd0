/**
 * Each kind of bad input → exit 2, one line on stderr naming the file, row and column (or the
 * model-file field or the flag), and no output file left behind. Runs the CLI's main in-process
 * (cli.test.ts covers the real child process) so the many cases stay fast.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { runMain, type CliResult } from '../helpers/cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-bad-input-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const GOOD_CSV = 'a,b,c\n0.1,0.2,0.3\n0.4,0.5,0.6\n0.7,0.8,0.9\n0.2,0.1,0\n';
const PATH_FLAGS = new Set(['--data', '--out', '--model', '--init']);

/** A fresh directory holding `files`, and a runner whose path arguments are relative to it. */
function workspace(files: Record<string, string>) {
  const dir = mkdtempSync(path.join(root, 'case-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return {
    dir,
    files: () => readdirSync(dir).sort(),
    run: (argv: string[]) => runMain(argv.map((arg, k) => (k > 0 && PATH_FLAGS.has(argv[k - 1]!) ? path.join(dir, arg) : arg))),
  };
}

function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^edge-sae: /);
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.code, r.stderr).toBe(2);
}

interface ModelJson {
  version: number;
  encoder: { weights: number[][]; bias: number[] };
  decoder: { weights: number[][]; bias: number[] };
}

let modelText = '';

beforeAll(async () => {
  const ws = workspace({ 'd.csv': GOOD_CSV });
  const r = await ws.run(['train', '--data', 'd.csv', '--out', 'm.json', '--epochs', '3', '--normalize', 'none']);
  if (r.code === 0) modelText = readFileSync(path.join(ws.dir, 'm.json'), 'utf8');
  else console.warn(`could not train the model for the bad-input tests: ${r.stderr}`);
});

function trainedModel(): string {
  expect(modelText, 'the model these tests need failed to train').not.toBe('');
  return modelText;
}

describe('bad data files', () => {
  it.each([
    ['ragged rows', 'a,b,c\n1,2,3\n4,5\n', /bad\.csv, row 3, column 3: .*2 values, expected 3/],
    ['a non-number', 'a,b,c\n1,2,3\n4,x,6\n', /bad\.csv, row 3, column 2: expected a number, got "x"/],
    ['NaN', '1,2,3\nNaN,5,6\n', /bad\.csv, row 2, column 1: .*NaN/],
    ['Infinity', '1,2,3\n4,5,Infinity\n', /bad\.csv, row 2, column 3: .*Infinity/],
    ['empty data', '\n\n', /bad\.csv: no data/],
    ['a header without rows', 'a,b,c\n', /bad\.csv, row 1: no data/],
  ])('train should reject %s in CSV', async (_label, csv, pattern) => {
    const ws = workspace({ 'bad.csv': csv });
    expectOneLineError(await ws.run(['train', '--data', 'bad.csv', '--out', 'm.json', '--epochs', '1']), pattern);
    expect(ws.files()).toEqual(['bad.csv']);
  });

  it.each([
    ['ragged rows', '[[1, 2], [3]]', /bad\.json, row 2, column 2: /],
    ['a string', '{"data": [[1, 2], [3, "4"]]}', /bad\.json \(field "data"\), row 2, column 2: expected a number/],
    ['null', '[[1, null]]', /bad\.json, row 1, column 2: expected a number, got null/],
    ['empty data', '[]', /bad\.json: no data/],
    ['malformed JSON', '[[1, 2],\n [3, 4]', /bad\.json: invalid JSON at line 2, column 8/],
  ])('train should reject %s in JSON', async (_label, json, pattern) => {
    const ws = workspace({ 'bad.json': json });
    expectOneLineError(await ws.run(['train', '--data', 'bad.json', '--out', 'm.json', '--epochs', '1']), pattern);
    expect(ws.files()).toEqual(['bad.json']);
  });

  it('train should reject a missing data file', async () => {
    const ws = workspace({});
    expectOneLineError(await ws.run(['train', '--data', 'nope.csv', '--out', 'm.json']), /nope\.csv: cannot read the file: no such file/);
    expect(ws.files()).toEqual([]);
  });

  it('train should reject --out in a missing directory before reading anything', async () => {
    const ws = workspace({});
    expectOneLineError(await ws.run(['train', '--data', 'd.csv', '--out', 'missing/m.json']), /--out .*missing\/m\.json: .*no such file/);
  });

  it('train should reject values outside [0, 1] with --normalize none', async () => {
    const ws = workspace({ 'd.csv': 'a,b\n0.5,0.5\n0.25,1.5\n' });
    const r = await ws.run(['train', '--data', 'd.csv', '--out', 'm.json', '--normalize', 'none', '--epochs', '1']);
    expectOneLineError(r, /d\.csv, row 3, column 2: value 1\.5 is outside \[0, 1\], which --normalize none requires/);
    expect(ws.files()).toEqual(['d.csv']);
  });

  it('train should refuse --normalize standardize for the sigmoid model, and take it for relu', async () => {
    const ws = workspace({ 'd.csv': 'a,b\n1000,-3\n1010,-2.5\n1004,-2.9\n' });
    const sigmoid = await ws.run(['train', '--data', 'd.csv', '--out', 'm.json', '--normalize', 'standardize', '--epochs', '1']);
    expectOneLineError(sigmoid, /--normalize: standardize is for the relu and topk architectures/);
    expect(ws.files()).toEqual(['d.csv']);
    const relu = await ws.run(['train', '--data', 'd.csv', '--out', 'm.json', '--normalize', 'standardize', '--architecture', 'relu', '--hidden', '3', '--epochs', '1']);
    expect(relu.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(ws.dir, 'm.json'), 'utf8')).normalization.kind).toBe('standardize');
  });

  it('train should refuse the inference-only gated architecture (new or --init), whose model encodes', async () => {
    const { backend } = await loadNodeBackend('assemblyscript');
    const ones = (count: number, value: number) => new Float32Array(count).fill(value);
    const model = SparseAutoencoder.fromParameters({ architecture: 'gated', hiddenSize: 2 }, { W1: ones(4, 1), b1: ones(2, 0), W2: ones(4, 0.5), b2: ones(2, 0), r_mag: ones(2, 0), b_mag: ones(2, 0) }, backend);
    const ws = workspace({ 'd.csv': 'a,b\n0.5,0.5\n-1,-1\n', 'g.json': JSON.stringify(model.toFile()) });
    model.dispose();
    const fresh = await ws.run(['train', '--data', 'd.csv', '--out', 'm.json', '--architecture', 'gated', '--hidden', '2', '--epochs', '1']);
    expectOneLineError(fresh, /"gated" is inference only/);
    const init = await ws.run(['train', '--init', 'g.json', '--data', 'd.csv', '--out', 'm.json', '--epochs', '1']);
    expectOneLineError(init, /"gated" is inference only/);
    expect(ws.files()).toEqual(['d.csv', 'g.json']);
    const encoded = await ws.run(['encode', '--model', 'g.json', '--data', 'd.csv', '--out', 'codes.csv']);
    expect(encoded.code).toBe(0);
    // row 1: e = 1 for both units, gates open, codes 1; row 2: e = −2, gates closed
    expect(readFileSync(path.join(ws.dir, 'codes.csv'), 'utf8').trim().split('\n').slice(-2)).toEqual(['1,1', '0,0']);
  });

  it('encode should reject data of the wrong width for the model', async () => {
    const ws = workspace({ 'm.json': trainedModel(), 'd.csv': '0.1,0.2\n0.3,0.4\n' });
    const r = await ws.run(['encode', '--model', 'm.json', '--data', 'd.csv', '--out', 'codes.csv']);
    expectOneLineError(r, /d\.csv, row 1, column 3: rows have 2 columns, but the model in .*m\.json takes 3/);
    expect(ws.files()).toEqual(['d.csv', 'm.json']);
  });

  it('evaluate should reject data of the wrong width for the model', async () => {
    const ws = workspace({ 'm.json': trainedModel(), 'd.json': '[[0.1, 0.2, 0.3, 0.4]]' });
    expectOneLineError(await ws.run(['evaluate', '--model', 'm.json', '--data', 'd.json']), /d\.json, row 1, column 4: rows have 4 columns/);
  });

  it('train --init should reject data of the wrong width for the model', async () => {
    const ws = workspace({ 'm.json': trainedModel(), 'd.csv': '0.1\n0.3\n' });
    const r = await ws.run(['train', '--init', 'm.json', '--data', 'd.csv', '--out', 'm2.json']);
    expectOneLineError(r, /d\.csv, row 1, column 2: rows have 1 column, but the model/);
    expect(ws.files()).toEqual(['d.csv', 'm.json']);
  });

  it('encode should reject values outside [0, 1] for a model trained with normalize none', async () => {
    const ws = workspace({ 'm.json': trainedModel(), 'd.csv': 'a,b,c\n0.1,0.2,0.3\n0.1,-0.2,0.3\n' });
    const r = await ws.run(['encode', '--model', 'm.json', '--data', 'd.csv', '--out', 'codes.csv']);
    expectOneLineError(r, /d\.csv, row 3, column 2: value -0\.2 is outside \[0, 1\], which the model in .*m\.json requires/);
    expect(ws.files()).toEqual(['d.csv', 'm.json']);
  });
});

describe('bad model files', () => {
  it.each([
    ['encode', ['--out', 'codes.csv']],
    ['evaluate', []],
    ['train', ['--out', 'out.json']],
  ])('%s should reject a malformed JSON model file', async (command, extra) => {
    const ws = workspace({ 'm.json': '{"format": "edge-sae",\n "version": 1,,\n}', 'd.csv': GOOD_CSV });
    const modelFlag = command === 'train' ? '--init' : '--model';
    const r = await ws.run([command, modelFlag, 'm.json', '--data', 'd.csv', ...extra]);
    expectOneLineError(r, /m\.json: invalid JSON at line 2, column 15/);
    expect(ws.files()).toEqual(['d.csv', 'm.json']);
  });

  it('should reject a missing model file', async () => {
    const ws = workspace({ 'd.csv': GOOD_CSV });
    expectOneLineError(await ws.run(['evaluate', '--model', 'm.json', '--data', 'd.csv']), /m\.json: cannot read the file: no such file/);
  });

  it.each([
    ['a weights row of the wrong length', (f: ModelJson) => f.encoder.weights[1]!.pop(), /m\.json: model file field "encoder\.weights\[1\]"/],
    ['a missing decoder bias', (f: ModelJson) => delete (f.decoder as Partial<ModelJson['decoder']>).bias, /m\.json: model file field "decoder\.bias"/],
    ['an unknown version', (f: ModelJson) => (f.version = 7), /m\.json: model file field "version"/],
    ['a string weight', (f: ModelJson) => ((f.decoder.weights[0] as unknown[])[0] = 'x'), /m\.json: model file field "decoder\.weights\[0\]\[0\]"/],
  ])('encode should reject an inconsistent model file: %s', async (_label, corrupt, pattern) => {
    const model = JSON.parse(trainedModel()) as ModelJson;
    corrupt(model);
    const ws = workspace({ 'm.json': JSON.stringify(model), 'd.csv': GOOD_CSV });
    const r = await ws.run(['encode', '--model', 'm.json', '--data', 'd.csv', '--out', 'codes.csv']);
    expectOneLineError(r, pattern);
    expect(ws.files()).toEqual(['d.csv', 'm.json']);
  });

  it('train --init should reject an inconsistent model file without writing --out', async () => {
    const model = JSON.parse(trainedModel()) as ModelJson;
    model.decoder.bias.push(0);
    const ws = workspace({ 'm.json': JSON.stringify(model), 'd.csv': GOOD_CSV });
    expectOneLineError(await ws.run(['train', '--init', 'm.json', '--data', 'd.csv', '--out', 'm2.json']), /model file field "decoder\.bias"/);
    expect(ws.files()).toEqual(['d.csv', 'm.json']);
  });

  it('train --init should reject --hidden or --normalize that differ from the model', async () => {
    const ws = workspace({ 'm.json': trainedModel(), 'd.csv': GOOD_CSV });
    const hidden = await ws.run(['train', '--init', 'm.json', '--data', 'd.csv', '--out', 'm2.json', '--hidden', '2']);
    expectOneLineError(hidden, /--hidden 2 conflicts with the model in .*m\.json, which has 9/);
    const normalize = await ws.run(['train', '--init', 'm.json', '--data', 'd.csv', '--out', 'm2.json', '--normalize', 'minmax']);
    expectOneLineError(normalize, /--normalize minmax conflicts with the model in .*m\.json, which has none/);
    expect(ws.files()).toEqual(['d.csv', 'm.json']);
  });

  it('should keep an existing output file when a run fails', async () => {
    const ws = workspace({ 'bad.csv': '1,2\n3\n', 'm.json': 'previous' });
    mkdirSync(path.join(ws.dir, 'sub'));
    expectOneLineError(await ws.run(['train', '--data', 'bad.csv', '--out', 'm.json']), /bad\.csv, row 2/);
    expect(readFileSync(path.join(ws.dir, 'm.json'), 'utf8')).toBe('previous');
    expect(ws.files()).toEqual(['bad.csv', 'm.json', 'sub']);
  });
});
