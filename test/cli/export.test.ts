/**
 * `edge-sae export`: the files it writes load in ONNX Runtime and TF.js and agree with the
 * model's own encode; bad usage is exit 2 naming the flag, and leaves nothing behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { expectAllClose } from '../helpers/allclose.js';
import { runMain } from '../helpers/cli.js';
import { runOnnx } from '../helpers/onnx-runtime.js';
import { mulberry32, randomMatrix } from '../helpers/random.js';
import { loadLayersModelFrom, predict } from '../helpers/tfjs-layers-loader.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-export-'));
const at = (name: string) => path.join(root, name);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rows = randomMatrix(mulberry32(4), 30, 6, -2, 3);
let model: SparseAutoencoder;

beforeAll(async () => {
  const lines = Array.from({ length: rows.rows }, (_, i) => Array.from(rows.data.subarray(i * 6, (i + 1) * 6)).join(','));
  writeFileSync(at('d.csv'), `${lines.join('\n')}\n`);
  const r = await runMain(['train', '--data', at('d.csv'), '--out', at('m.json'), '--hidden', '5', '--epochs', '20', '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  const { backend } = await loadNodeBackend('auto');
  model = SparseAutoencoder.fromFile(JSON.parse(readFileSync(at('m.json'), 'utf8')), backend);
});
afterAll(() => model?.dispose());

describe('edge-sae export', () => {
  it('should write an ONNX encoder that ONNX Runtime runs to the codes encode gives', async () => {
    const r = await runMain(['export', '--model', at('m.json'), '--out', at('enc.onnx'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ out: at('enc.onnx'), format: 'onnx', whole: false, inputSize: 6, hiddenSize: 5, scaling: 'folded' });
    const out = await runOnnx(readFileSync(at('enc.onnx')), rows);
    expectAllClose(out.codes!.data, model.encode(rows).data, { atol: 1e-5, rtol: 0 });
  });

  it('should write the whole autoencoder with --whole', async () => {
    const r = await runMain(['export', '--model', at('m.json'), '--out', at('whole.onnx'), '--whole']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*whole\.onnx: the autoencoder 6 → 5 → 6 as ONNX/);
    const out = await runOnnx(readFileSync(at('whole.onnx')), rows);
    expectAllClose(out.reconstruction!.data, model.reconstruct(rows).outputs.data, { atol: 5e-5, rtol: 1e-6 });
  });

  it('should write a TF.js layers model into a directory, made if missing', async () => {
    const r = await runMain(['export', '--model', at('m.json'), '--out', at('tfjs'), '--format', 'tfjs', '--quiet']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(readdirSync(at('tfjs')).sort()).toEqual(['model.json', 'weights.bin']);
    const layers = await loadLayersModelFrom(readFileSync(at('tfjs/model.json'), 'utf8'), (p) => readFileSync(path.join(at('tfjs'), p)));
    expectAllClose(predict(layers, rows), model.encode(rows).data, { atol: 1e-5, rtol: 0 });
    layers.dispose();
  });

  it('should write a relu model as TF.js, and refuse a topk model with exit 2 naming ONNX, writing nothing', async () => {
    const trained = await runMain(['train', '--data', at('d.csv'), '--out', at('relu.json'), '--architecture', 'relu', '--hidden', '12', '--epochs', '10', '--quiet']);
    expect(trained.code, trained.stderr).toBe(0);
    const r = await runMain(['export', '--model', at('relu.json'), '--out', at('relu-tfjs'), '--format', 'tfjs', '--whole', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const { backend } = await loadNodeBackend('auto');
    const relu = SparseAutoencoder.fromFile(JSON.parse(readFileSync(at('relu.json'), 'utf8')), backend);
    const layers = await loadLayersModelFrom(readFileSync(at('relu-tfjs/model.json'), 'utf8'), (p) => readFileSync(path.join(at('relu-tfjs'), p)));
    expectAllClose(predict(layers, rows), relu.reconstruct(rows).outputs.data, { atol: 5e-5, rtol: 1e-6 });
    layers.dispose();
    relu.dispose();

    const topk = await runMain(['train', '--data', at('d.csv'), '--out', at('topk.json'), '--architecture', 'topk', '--k', '2', '--hidden', '12', '--epochs', '2', '--quiet']);
    expect(topk.code, topk.stderr).toBe(0);
    const refused = await runMain(['export', '--model', at('topk.json'), '--out', at('topk-tfjs'), '--format', 'tfjs']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/config\.architecture.*"topk".*no built-in layer.*export topk models as ONNX/);
    expect(existsSync(at('topk-tfjs'))).toBe(false);
  });

  it('should take a model.json path for TF.js, with the weights beside it', async () => {
    const r = await runMain(['export', '--model', at('m.json'), '--out', at('codes.json'), '--format', 'tfjs', '--whole', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ out: at('codes.json'), weights: at('codes.weights.bin'), whole: true });
    const layers = await loadLayersModelFrom(readFileSync(at('codes.json'), 'utf8'), (p) => readFileSync(path.join(root, p)));
    expectAllClose(predict(layers, rows), model.reconstruct(rows).outputs.data, { atol: 5e-5, rtol: 1e-6 });
    layers.dispose();
  });

  it.each([
    [['--out', 'x.json'], /--out x\.json: an ONNX export is one \.onnx file; for a TF\.js model\.json add --format tfjs/],
    [['--out', 'x.onnx', '--format', 'tfjs'], /--out x\.onnx: a TF\.js export is a directory/],
    [['--out', 'x.onnx', '--format', 'keras'], /--format: expected one of onnx, tfjs/],
    [['--out', 'no-such-dir/x.onnx'], /--out no-such-dir\/x\.onnx: cannot write there/],
  ])('should refuse %j with exit 2 naming the flag', async (args, message) => {
    const r = await runMain(['export', '--model', at('m.json'), ...args.map((a) => (a.includes('.') || a.includes('/') ? at(a) : a))]);
    expect(r.code).toBe(2);
    expect(r.stderr.replaceAll(`${root}${path.sep}`, '')).toMatch(message);
  });

  it('should refuse a file where a TF.js directory should go, and a bad model file, writing nothing', async () => {
    writeFileSync(at('plain'), 'x');
    const file = await runMain(['export', '--model', at('m.json'), '--out', at('plain'), '--format', 'tfjs']);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('is a file; a TF.js export needs a directory');

    const bad = JSON.parse(readFileSync(at('m.json'), 'utf8')) as { encoder: { bias: unknown[] } };
    bad.encoder.bias[0] = 'x';
    writeFileSync(at('bad.json'), JSON.stringify(bad));
    const r = await runMain(['export', '--model', at('bad.json'), '--out', at('bad.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json: model file field "encoder\.bias\[0\]"/);
    expect(existsSync(at('bad.onnx'))).toBe(false);
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
