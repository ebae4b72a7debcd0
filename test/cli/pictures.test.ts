/**
 * `edge-sae plot` and `edge-sae filters`, and train's --json / --quiet: the files they write
 * (SVG that parses as XML, PNG that decodes to the stated size), what they print, their errors.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runMain } from '../helpers/cli.js';
import { decodePng } from '../viz/png-decode.js';
import { findAll, parseXml } from '../viz/xml.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-pictures-'));
const at = (name: string) => path.join(root, name);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 40 rows of 3×3 "images": a bright row or column. */
function imagesCsv(): string {
  const rows: string[] = [];
  for (let k = 0; k < 40; k++) {
    const pixels = new Array(9).fill(0.05);
    const line = k % 6;
    for (let t = 0; t < 3; t++) pixels[line < 3 ? line * 3 + t : t * 3 + (line - 3)] = 0.95;
    rows.push(pixels.join(','));
  }
  return `${rows.join('\n')}\n`;
}

beforeAll(async () => {
  writeFileSync(at('d.csv'), imagesCsv());
  const r = await runMain(['train', '--data', at('d.csv'), '--out', at('m.json'), '--hidden', '6', '--epochs', '60', '--learning-rate', '0.05', '--json', '--quiet']);
  expect(r.code, r.stderr).toBe(0);
});

describe('edge-sae train output', () => {
  it('should print a summary for people by default, and progress lines on stderr when not a terminal', async () => {
    const r = await runMain(['train', '--data', at('d.csv'), '--out', at('m2.json'), '--epochs', '20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^trained 9 → 27 on 40 rows, 20 epochs in [\d.]+ s \(backend \S+/);
    expect(r.stdout).toMatch(/\nloss [\d.e+-]+ = reconstruction [\d.e+-]+ \+ weight decay [\d.e+-]+ \+ sparsity [\d.e+-]+\n/);
    expect(r.stdout).toContain(`wrote ${at('m2.json')}`);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^epoch 1\/20  loss \S+  elapsed \d+:\d\d  eta \S+$/);
    expect(lines.at(-1)).toMatch(/^epoch 20\/20  loss /);
    expect(r.stderr).not.toContain('\r');
  });

  it('should print one JSON line with --json, and nothing with --quiet', async () => {
    const json = await runMain(['train', '--data', at('d.csv'), '--out', at('m3.json'), '--epochs', '5', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ out: at('m3.json'), epochs: 5, inputSize: 9, hiddenSize: 27 });
    for (const line of json.stderr.trimEnd().split('\n')) expect(JSON.parse(line)).toMatchObject({ event: 'progress', epochs: 5 });

    const quiet = await runMain(['train', '--data', at('d.csv'), '--out', at('m4.json'), '--epochs', '5', '--quiet']);
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('should draw a bar on a terminal', async () => {
    const r = await runMain(['train', '--data', at('d.csv'), '--out', at('m5.json'), '--epochs', '30', '--quiet'], { stderrIsTTY: true });
    expect(r.stderr).toBe('');
    const bar = await runMain(['train', '--data', at('d.csv'), '--out', at('m5.json'), '--epochs', '30', '--json'], { stderrIsTTY: true });
    expect(bar.stderr).toMatch(/\repoch 30\/30 \[#+\] 100%  loss \S+  took \d+:\d\d\x1b\[K\n$/);
  });
});

describe('edge-sae plot', () => {
  it('should write the loss curve as SVG that parses as XML', async () => {
    const r = await runMain(['plot', '--model', at('m.json'), '--out', at('loss.svg'), '--title', 'My run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`wrote ${at('loss.svg')}: loss over 60 epochs\n`);
    const svg = parseXml(readFileSync(at('loss.svg'), 'utf8'));
    // Trained without validation: the training loss alone.
    expect(findAll(svg, 'path').filter((p) => p.attributes.class === 'validation-line')).toHaveLength(0);
    expect(findAll(svg, 'g').filter((g) => g.attributes.class === 'legend')).toHaveLength(0);
    expect(svg.name).toBe('svg');
    const line = findAll(svg, 'path').find((p) => p.attributes.class === 'loss-line');
    expect(line?.attributes.d?.match(/[ML]/g)).toHaveLength(60);
    expect(findAll(svg, 'text').some((t) => t.text === 'My run')).toBe(true);
  });

  it('should take --scale log, --width and --height, and answer --json', async () => {
    const r = await runMain(['plot', '--model', at('m.json'), '--out', at('loss-log.svg'), '--scale', 'log', '--width', '800', '--height', '300', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ out: at('loss-log.svg'), format: 'svg', epochs: 60 });
    const svg = parseXml(readFileSync(at('loss-log.svg'), 'utf8'));
    expect([svg.attributes.width, svg.attributes.height]).toEqual(['800', '300']);
  });

  it('should draw the validation loss and the kept epoch of a model trained with --validation-split and --patience', async () => {
    const trained = await runMain(['train', '--data', at('d.csv'), '--out', at('mv.json'), '--hidden', '6', '--epochs', '40', '--learning-rate', '0.05', '--validation-split', '0.25', '--patience', '2', '--min-delta', '1e9', '--json', '--quiet']);
    expect(trained.code, trained.stderr).toBe(0);
    const model = JSON.parse(readFileSync(at('mv.json'), 'utf8')) as { lossHistory: number[]; validationHistory: number[]; bestEpoch: number };
    // minDelta too large to improve on: epoch 1 is kept, the run stops 2 epochs later.
    expect(model.lossHistory).toHaveLength(3);
    expect(model.validationHistory).toHaveLength(3);
    expect(model.bestEpoch).toBe(1);
    const r = await runMain(['plot', '--model', at('mv.json'), '--out', at('loss-v.svg'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ epochs: 3, lastValidationLoss: model.validationHistory[2], bestEpoch: 1 });
    const svg = parseXml(readFileSync(at('loss-v.svg'), 'utf8'));
    const validation = findAll(svg, 'path').find((p) => p.attributes.class === 'validation-line');
    expect(validation?.attributes.d?.match(/[ML]/g)).toHaveLength(3);
    expect(findAll(svg, 'line').filter((l) => l.attributes.class === 'best-epoch')).toHaveLength(1);
    expect(findAll(svg, 'g').filter((g) => g.attributes.class === 'legend')).toHaveLength(1);
  });

  it.each([
    [['--out', 'loss.png'], /--out .*loss\.png: plot writes SVG/],
    [['--out', 'loss.svg', '--width', '10'], /--width\/--height: a loss curve needs at least 160 × 120 pixels/],
    [['--out', 'loss.svg', '--scale', 'cubic'], /--scale: expected one of linear, log/],
  ])('should exit 2 on %j', async (args, pattern) => {
    const r = await runMain(['plot', '--model', at('m.json'), ...args.map((a) => (a.endsWith('.svg') || a.endsWith('.png') ? at(a) : a))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
  });
});

describe('edge-sae filters', () => {
  it('should write a PNG that decodes to the stated size', async () => {
    const r = await runMain(['filters', '--model', at('m.json'), '--out', at('filters.png'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { width: number; height: number; units: number; filterShape: string };
    // 6 units → 3 columns × 2 rows of 3×3 tiles, magnified 8× (tiles of about 24 px), 1-pixel borders.
    expect(summary).toEqual({ out: at('filters.png'), format: 'png', width: (1 + 3 * 4) * 8, height: (1 + 2 * 4) * 8, units: 6, filterShape: '3x3' });
    const png = decodePng(readFileSync(at('filters.png')));
    expect([png.width, png.height]).toEqual([summary.width, summary.height]);
  });

  it('should write an SVG with one <image> a unit, honouring --shape, --scale and --count', async () => {
    const r = await runMain(['filters', '--model', at('m.json'), '--out', at('filters.svg'), '--shape', '9x1', '--scale', '4', '--count', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`wrote ${at('filters.svg')}: 4 filters of 9×1, ${(1 + 2 * 10) * 4}×${(1 + 2 * 2) * 4} pixels\n`);
    const svg = parseXml(readFileSync(at('filters.svg'), 'utf8'));
    const images = findAll(svg, 'image');
    expect(images).toHaveLength(4);
    expect(images.map((i) => [i.attributes.width, i.attributes.height])).toEqual(Array(4).fill(['36', '4']));
  });

  it.each([
    [['--out', 'f.gif'], /filters writes PNG or SVG/],
    [['--out', 'f.png', '--shape', '4x2'], /--shape: shape 4x2 has 8 pixels, but the model has 9 inputs/],
    [['--out', 'f.png', '--shape', 'big'], /--shape: expected WIDTHxHEIGHT/],
    [['--out', 'f.png', '--scale', '0'], /--scale: must be a whole number ≥ 1/],
  ])('should exit 2 on %j and write nothing', async (args, pattern) => {
    const before = readdirSync(root).sort();
    const r = await runMain(['filters', '--model', at('m.json'), ...args.map((a) => (/\.(png|gif)$/.test(a) ? at(a) : a))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(readdirSync(root).sort()).toEqual(before);
  });

  it('should name the field of a bad model file', async () => {
    writeFileSync(at('bad.json'), JSON.stringify({ format: 'edge-sae', version: 1 }));
    const r = await runMain(['filters', '--model', at('bad.json'), '--out', at('f.png')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.json.*inputSize/);
  });

  it('should run as a child process through the bin script entry (tsx)', async () => {
    const r = await runCli(['filters', '--model', at('m.json'), '--out', at('child.png'), '--quiet']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(decodePng(readFileSync(at('child.png'))).width).toBe(104);
  });
});
