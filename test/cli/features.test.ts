/**
 * `edge-sae features`: on a planted dictionary with each row labelled by its atoms, the feature
 * nearest each true atom has ≥ 90% of its top-20 rows holding that atom; every feature's frequency
 * is the fraction of rows where `edge-sae encode`'s own codes are active; labels from a CSV column
 * or a file of lines; a self-contained HTML page; clear errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { formatFloat32 } from '../../src/data/float32.js';
import type { FeatureStatsResult } from '../../src/features/feature-stats.js';
import { activeThreshold } from '../../src/model/metrics.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { runMain } from '../helpers/cli.js';
import { nearestDecoderRow, plantedDictionary } from '../helpers/planted-dictionary.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-features-'));
const at = (name: string) => path.join(root, name);
afterAll(() => rmSync(root, { recursive: true, force: true }));

// test/model/architectures.test.ts's recovery settings: 512 rows of 3 of 24 atoms in 16 dimensions, topk k = 3, h = 48.
const planted = plantedDictionary(11, 512, 16, 24, 3);
let W2: Float32Array;

beforeAll(async () => {
  const { backend } = await loadNodeBackend('assemblyscript');
  const model = SparseAutoencoder.create(16, { architecture: 'topk', k: 3, hiddenSize: 48, normalize: 'none' }, backend, { seed: 5 });
  model.fit(planted.data, { epochs: 300, batchSize: 64, learningRate: 0.01 });
  W2 = model.getParameters().W2;
  writeFileSync(at('m.json'), JSON.stringify(model.toFile()));
  model.dispose();
  const numbers = planted.data.map((row) => row.map(formatFloat32).join(','));
  const names = Array.from({ length: 16 }, (_, c) => `x${c}`);
  writeFileSync(at('d.csv'), `${names.join(',')}\n${numbers.join('\n')}\n`);
  // The label in the middle of the numbers, quoted: set aside by name.
  const labelled = numbers.map((line, i) => line.replace(/^((?:[^,]*,){8})/, `$1"${planted.labels[i]}",`));
  writeFileSync(at('labelled.csv'), `${[...names.slice(0, 8), 'atoms', ...names.slice(8)].join(',')}\n${labelled.join('\n')}\n`);
  writeFileSync(at('labels.txt'), `${planted.labels.join('\n')}\n`);
}, 120_000);

const readResult = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'features.json'), 'utf8')) as FeatureStatsResult;

describe('edge-sae features', () => {
  it("should give each true atom's nearest feature top-20 rows of which ≥ 90% hold the atom (labels from a CSV column)", async () => {
    const r = await runMain(['features', '--model', at('m.json'), '--data', at('labelled.csv'), '--label-column', 'atoms', '--top', '20', '--out', at('col'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ features: 48, rows: 512, labelled: true });
    const result = readResult(at('col'));
    expect(result.rows).toBe(512);
    const shares = planted.dictionary.map((atom, a) => {
      const f = result.features[nearestDecoderRow(W2, 48, 16, atom)]!;
      expect(f.top.length).toBeGreaterThanOrEqual(10);
      for (const t of f.top) expect(t.label).toBe(planted.labels[t.row]);
      return f.top.filter((t) => t.label!.split(' ').includes(`a${a}`)).length / f.top.length;
    });
    expect(Math.min(...shares), shares.join(' ')).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  it("should give every feature the fraction of rows where edge-sae encode's codes are active, and the same with --labels", async () => {
    const enc = await runMain(['encode', '--model', at('m.json'), '--data', at('d.csv'), '--out', at('codes.json')]);
    expect(enc.code, enc.stderr).toBe(0);
    const codes = JSON.parse(readFileSync(at('codes.json'), 'utf8')) as number[][];
    const r = await runMain(['features', '--model', at('m.json'), '--data', at('d.csv'), '--labels', at('labels.txt'), '--out', at('lines'), '--quiet']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '' });
    const result = readResult(at('lines'));
    const threshold = activeThreshold('topk');
    for (let j = 0; j < 48; j++) {
      const active = codes.filter((row) => row[j]! > threshold).length;
      expect(result.features[j]!.frequency, `feature ${j}`).toBe(active / 512);
      expect(result.features[j]!.maxActivation).toBe(Math.fround(Math.max(...codes.map((row) => row[j]!))));
    }
    // The same statistics as with the label column (--top 20 is the default), labels and all.
    expect(result).toEqual(readResult(at('col')));
  }, 60_000);

  it('should write a self-contained HTML page of the cards with --html', async () => {
    const r = await runMain(['features', '--model', at('m.json'), '--data', at('d.csv'), '--labels', at('labels.txt'), '--out', at('page'), '--html', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(at('page/features.html'), 'utf8');
    expect(html.match(/<article class="card"/g)).toHaveLength(48);
    expect(html).toContain('id="feature-47"');
    expect(html).toContain(planted.labels[readResult(at('page')).features[0]!.top[0]!.row]);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  }, 60_000);

  it('should refuse two label sources, labels of the wrong length, a missing column and an --out that is a file', async () => {
    const both = await runMain(['features', '--model', at('m.json'), '--data', at('labelled.csv'), '--labels', at('labels.txt'), '--label-column', 'atoms', '--out', at('x')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--labels and --label-column both give the labels/);
    writeFileSync(at('short.txt'), 'a\nb\n');
    const short = await runMain(['features', '--model', at('m.json'), '--data', at('d.csv'), '--labels', at('short.txt'), '--out', at('x')]);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/has 2 lines but the data has 512 rows/);
    const missing = await runMain(['features', '--model', at('m.json'), '--data', at('d.csv'), '--label-column', 'digit', '--out', at('x')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no column named "digit"/);
    const file = await runMain(['features', '--model', at('m.json'), '--data', at('d.csv'), '--out', at('labels.txt')]);
    expect(file.code).not.toBe(0);
    expect(file.stderr).toMatch(/is a file/);
  }, 60_000);
});
