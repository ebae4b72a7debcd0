/**
 * `edge-sae density`: the histogram SVG (well-formed, its title's counts equal evaluate's dead and
 * dense units), the frequencies as JSON (equal the library's), its errors; and train's summary
 * lines with l0, explained variance and dense units.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { parseCsv } from '../../src/data/index.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { runMain } from '../helpers/cli.js';
import { mulberry32 } from '../helpers/random.js';
import { findAll, parseXml } from '../viz/xml.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-density-'));
const at = (name: string) => path.join(root, name);
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(() => {
  const rng = mulberry32(3);
  const rows = Array.from({ length: 60 }, () => Array.from({ length: 5 }, () => (rng() * 2 - 1).toFixed(4)).join(','));
  writeFileSync(at('d.csv'), `${rows.join('\n')}\n`);
});

describe('edge-sae density', () => {
  it('should print l0, explained variance and dense units in train\'s summary', async () => {
    const r = await runMain(['train', '--data', at('d.csv'), '--out', at('m.json'), '--hidden', '16', '--architecture', 'relu', '--epochs', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/, explained variance -?[\d.e+-]+\n/);
    expect(r.stdout).toMatch(/\nl0 [\d.e+-]+ active codes a row, dead units \d+\/16, dense units \d+\/16\n/);
  });

  it('should write the histogram SVG and the frequencies as JSON, both matching the library', async () => {
    const svgRun = await runMain(['density', '--model', at('m.json'), '--data', at('d.csv'), '--out', at('h.svg'), '--bins', '12', '--json']);
    expect(svgRun.code, svgRun.stderr).toBe(0);
    const summary = JSON.parse(svgRun.stdout) as { units: number; rows: number; deadUnits: number; denseUnits: number; format: string };
    const jsonRun = await runMain(['density', '--model', at('m.json'), '--data', at('d.csv'), '--out', at('f.json'), '--quiet']);
    expect(jsonRun).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const frequencies = JSON.parse(readFileSync(at('f.json'), 'utf8')) as number[];

    const { backend } = await loadNodeBackend('auto');
    const model = SparseAutoencoder.fromFile(JSON.parse(readFileSync(at('m.json'), 'utf8')), backend);
    const data = parseCsv(readFileSync(at('d.csv'), 'utf8'));
    expect(frequencies).toEqual(Array.from(model.firingFrequency(data)));
    const metrics = model.evaluate(data);
    model.dispose();
    expect(summary).toMatchObject({ format: 'svg', units: 16, rows: 60, deadUnits: metrics.deadUnits, denseUnits: metrics.denseUnits });

    const svg = parseXml(readFileSync(at('h.svg'), 'utf8'));
    expect(findAll(svg, 'title')[0]!.text).toBe(`Feature density: 16 units, ${metrics.deadUnits} dead, ${metrics.denseUnits} dense (above 0.1)`);
  });

  it('should refuse another extension, and name the flags for a picture too small', async () => {
    const png = await runMain(['density', '--model', at('m.json'), '--data', at('d.csv'), '--out', at('h.png')]);
    expect(png.code).toBe(2);
    expect(png.stderr).toContain('density writes SVG or JSON');
    const small = await runMain(['density', '--model', at('m.json'), '--data', at('d.csv'), '--out', at('s.svg'), '--width', '100']);
    expect(small.code).toBe(2);
    expect(small.stderr).toContain('--width/--height/--bins: a density histogram needs at least 240 × 160 pixels');
  });
});
