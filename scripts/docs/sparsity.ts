/**
 * What the settings of src/model/presets.ts reach on the sample data (examples/data/bars.csv),
 * beside the tutorial's defaults: each trained as `edge-sae train` trains it (seed 42, the
 * AssemblyScript kernels), then measured with `evaluate`. `npm run docs` writes the table into
 * docs/SPARSITY.md and the README, and the filters of the two sparse models into docs/img/;
 * test/docs/generated-docs.test.ts retrains them and fails when a figure or picture is stale.
 */
import { fileURLToPath } from 'node:url';
import { readDataFile } from '../../src/data/read-file.js';
import { createModel } from '../../src/index.js';
import type { Metrics } from '../../src/model/metrics.js';
import { readModelFile } from '../../src/model/model-file.js';
import { SPARSE_PRESETS, type Preset } from '../../src/model/presets.js';
import { encodePng, encoderWeightsOf, renderFilterGrid, zlibDeflate } from '../../src/viz/index.js';

export const SAMPLE_DATA = 'examples/data/bars.csv';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Measured {
  name: string;
  preset: Preset;
  flags: string;
  metrics: Metrics;
  hiddenSize: number;
  /** The filters of the model (PNG), as `edge-sae filters --scale 12` draws them. */
  filtersPng: Uint8Array;
}

const TUTORIAL: Preset = { description: 'the defaults (the tutorial\'s): h = 3n, ρ 0.1, β 0.1, α 0.1, sum, lr 0.001, 1000 epochs', config: {}, training: {} };

/** The CLI flags of a preset (the kebab-case of each key, as src/cli/option-flags.ts names them). */
export function presetFlags(preset: Preset): string {
  const kebab = (key: string) => ({ hiddenSize: 'hidden' } as Record<string, string>)[key] ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return Object.entries({ ...preset.config, ...preset.training })
    .map(([key, value]) => `--${kebab(key)} ${value}`)
    .join(' ');
}

export async function measureSparsity(): Promise<Measured[]> {
  const { matrix } = readDataFile(`${ROOT}/${SAMPLE_DATA}`);
  const measured: Measured[] = [];
  for (const [name, preset] of [['defaults', TUTORIAL], ['sigmoid', SPARSE_PRESETS.sigmoid], ['topk', SPARSE_PRESETS.topk]] as const) {
    const model = await createModel(matrix.cols, preset.config, { seed: 42, backend: 'assemblyscript' });
    model.fit(matrix, preset.training);
    const metrics = model.evaluate(matrix);
    const grid = renderFilterGrid(encoderWeightsOf(readModelFile(model.toFile())), { scale: 12 });
    measured.push({ name, preset, flags: presetFlags(preset), metrics, hiddenSize: readModelFile(model.toFile()).shape.hiddenSize, filtersPng: encodePng(grid, { deflate: zlibDeflate }) });
    model.dispose();
  }
  return measured;
}

const fixed = (x: number | null, digits: number) => (x === null ? '–' : x.toFixed(digits));

/** The table: per setting, the CLI flags and l0, fvu, dead and dense units on the sample data. */
export function renderSparsity(measured: Measured[]): string {
  return [
    `On \`${SAMPLE_DATA}\` (${measured[0]!.metrics.rows} rows × 16), seed 42, measured by scripts/docs/sparsity.ts (\`npm run docs\`):`,
    '',
    '| setting | `edge-sae train` flags | l0 (active codes a row) | of h | fvu | dead units | dense units (> 10% of rows) |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...measured.map((m) => `| ${m.name === 'defaults' ? 'the defaults (the tutorial\'s)' : `\`SPARSE_PRESETS.${m.name}\``} | ${m.flags ? `\`${m.flags}\`` : '(none)'} | ${fixed(m.metrics.l0, 2)} | ${m.hiddenSize} | ${fixed(m.metrics.fvu, 3)} | ${m.metrics.deadUnits} | ${m.metrics.denseUnits} |`),
  ].join('\n') + '\n';
}

/** The pictures `npm run docs` writes: the filters of the two sparse settings' models. */
export const pictureFiles = (measured: Measured[]) =>
  measured.filter((m) => m.name !== 'defaults').map((m) => ({ path: `docs/img/bars-filters-${m.name}.png`, bytes: m.filtersPng }));
