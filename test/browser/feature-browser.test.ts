/**
 * The playground's feature browser (section 6) in a real browser: Chromium loads `/` from
 * `wrangler dev`, trains on 4×4 bar images, gathers feature statistics (the page stores its data as
 * a dataset and runs a features job), and must show the density histogram, a list of every feature
 * sortable by frequency or max, a feature card with its top rows drawn as images and its nearest
 * features (a click opens one), and which features a pasted row lights up; no script or CSP error.
 * The data carries a label column (the page's "label column"): the top rows are captioned with it.
 * Saves test-results/feature-browser.png. Skipped, saying so, without /usr/bin/chromium.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium, ROOT, startDevServer, type DevServer } from './dev-server.js';

const hasChromium = existsSync(CHROMIUM);
const SCREENSHOT = path.join(ROOT, 'test-results', 'feature-browser.png');
if (!hasChromium) console.warn(`test/browser/feature-browser.test.ts: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium)`);

/** 80 rows of 4×4 bar images (16 columns: a square input) with a header row and a label column, "shape". */
function barsCsv(): string {
  const rows = [[...Array.from({ length: 16 }, (_, k) => `p${k}`), 'shape'].join(',')];
  for (let k = 0; k < 80; k++) {
    const pixels = new Array(16).fill(0);
    const bar = k % 8;
    for (let t = 0; t < 4; t++) pixels[bar < 4 ? bar * 4 + t : t * 4 + (bar - 4)] = 1;
    rows.push([...pixels, bar < 4 ? `row bar ${bar}` : `column bar ${bar - 4}`].join(','));
  }
  return `${rows.join('\n')}\n`;
}

describe.skipIf(!hasChromium)(`feature browser in Chromium (needs ${CHROMIUM})`, () => {
  let server: DevServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('should gather statistics and show the density, a sortable list, feature cards with images and neighbours, and explain a row', { timeout: 150_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${server.base}/`);
    await page.waitForSelector('body[data-ready="true"]');
    // Before a model: the page says what is missing.
    await page.click('#gather-features');
    expect(await page.textContent('#features-status')).toBe('Train or load a model first.');

    await page.click('#use-local-token');
    await page.fill('#csv', barsCsv());
    await page.dispatchEvent('#csv', 'input');
    await expect.poll(() => page.textContent('#data-info')).toMatch(/column 17: expected a number, got "row bar 0"/);
    await page.fill('#label-column', 'shape');
    await expect.poll(() => page.textContent('#data-info')).toBe('80 rows × 16 columns, with a header row, labels from column "shape"');
    await page.selectOption('#architecture', 'relu');
    await page.fill('#hiddenSize', '12');
    await page.fill('#epochs', '60');
    await page.click('#train');
    await expect.poll(() => page.textContent('#status'), { timeout: 60_000 }).toMatch(/^Trained 60 epochs/);

    await page.click('#gather-features');
    await expect.poll(() => page.textContent('#features-status'), { timeout: 60_000 }).toBe('Statistics of 80 rows.');
    // The density histogram (the same renderer as the CLI's), the list of all 12 features.
    await page.waitForSelector('#features-density svg');
    expect(await page.locator('#features-density svg title').first().textContent()).toMatch(/^Feature density: 12 units/);
    expect(await page.locator('#features-list button').count()).toBe(12);
    const frequencies = async () =>
      (await page.locator('#features-list button').allTextContents()).map((text) => Number(/· ([\d.]+)%/.exec(text)?.[1] ?? (text.includes('· 0 ·') ? 0 : NaN)));
    const byFrequency = await frequencies();
    expect(byFrequency.every(Number.isFinite)).toBe(true);
    expect(byFrequency).toEqual([...byFrequency].sort((a, b) => b - a));
    // A card: the first active feature, its top rows as 4×4 images, its histogram, its neighbours.
    const card = page.locator('#feature-card article.card');
    await card.waitFor();
    const first = await card.locator('h3').textContent();
    expect(first).toMatch(/^Feature \d+$/);
    expect(await card.locator('figure.ex img').count()).toBeGreaterThan(0);
    expect(await card.locator('figure.ex img').first().getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    // Each top row captioned with its label (stored with the dataset), then its value.
    expect(await card.locator('figure.ex figcaption').first().textContent()).toMatch(/^(row|column) bar \d · [\d.]+$/);
    expect(await card.locator('svg.hist rect').count()).toBeGreaterThan(0);
    expect(await card.locator('.neighbours button').count()).toBe(5);
    const neighbour = (await card.locator('.neighbours button').first().textContent())!.slice(1);
    await card.locator('.neighbours button').first().click();
    await expect.poll(() => page.locator('#feature-card article.card h3').textContent()).toBe(`Feature ${neighbour}`);
    // Sorted by max activation: the list reorders.
    await page.selectOption('#features-sort', 'max');
    await expect.poll(async () => {
      const maxima = (await page.locator('#features-list button').allTextContents()).map((text) => Number(/max ([\d.e+-]+)$/.exec(text)?.[1]));
      return maxima.length === 12 && maxima.every((m, k) => k === 0 || maxima[k - 1]! >= m);
    }).toBe(true);

    // Paste a row, see its features: the first vertical bar lights features up, each with its top rows.
    await page.fill('#explain-row', '1,0,0,0,1,0,0,0,1,0,0,0,1,0,0,0');
    await page.click('#explain');
    await page.waitForSelector('#explain-result ol.explained li');
    expect(await page.locator('#explain-result ol.explained li').count()).toBeGreaterThan(0);
    expect(await page.locator('#explain-result ol.explained li').first().textContent()).toMatch(/fires on [\d.]+% of rows/);
    expect(await page.locator('#explain-result ol.explained li figure.ex img').count()).toBeGreaterThan(0);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.locator('#features-section').screenshot({ path: SCREENSHOT });
    expect(problems).toEqual([]);
  });
});
