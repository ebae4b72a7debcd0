/**
 * The playground page in a real browser: Debian's Chromium driven by playwright-core loads `/`
 * from `wrangler dev`, uploads a small CSV, trains, and must show the loss curve, the filters and
 * an encode result, with no script or CSP error; it saves a screenshot
 * (test-results/playground.png, or $PLAYGROUND_SCREENSHOT).
 *
 * Skipped, saying so, when /usr/bin/chromium is absent (install it: apt-get install -y chromium).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEV_ADMIN_TOKEN, ROOT, startDevServer, type DevServer } from './dev-server.js';

/** Debian's Chromium; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SCREENSHOT = process.env.PLAYGROUND_SCREENSHOT ?? path.join(ROOT, 'test-results', 'playground.png');

if (!hasChromium) {
  console.warn(`test/browser/playground.test.ts: SKIPPED — ${CHROMIUM} not found. Install Debian's Chromium to run it: apt-get install -y chromium`);
}

interface BrowserDocument {
  getElementsByTagName(name: string): { length: number };
  documentElement: { nodeName: string };
}

/** 60 rows of 4×4 bar images (16 columns) with a header row. */
function barsCsv(): string {
  const rows = ['p0,p1,p2,p3,p4,p5,p6,p7,p8,p9,p10,p11,p12,p13,p14,p15'];
  for (let k = 0; k < 60; k++) {
    const pixels = new Array(16).fill(0);
    const bar = k % 8;
    for (let t = 0; t < 4; t++) pixels[bar < 4 ? bar * 4 + t : t * 4 + (bar - 4)] = 1;
    rows.push(pixels.join(','));
  }
  return `${rows.join('\n')}\n`;
}

describe.skipIf(!hasChromium)(`playground in Chromium (needs ${CHROMIUM})`, () => {
  let server: DevServer;
  let browser: Browser;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    [server, browser] = await Promise.all([
      startDevServer(),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      }),
    ]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('should train on an uploaded CSV, draw the loss curve and filters, and encode a row', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });

    const response = await page.goto(`${server.base}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.title()).toBe('edge-sae playground');

    await page.fill('#token', DEV_ADMIN_TOKEN);
    await page.setInputFiles('#file', { name: 'bars.csv', mimeType: 'text/csv', buffer: Buffer.from(barsCsv()) });
    await page.waitForFunction("document.getElementById('csv').value.length > 100");
    await expect.poll(() => page.textContent('#data-info')).toBe('61 lines, 16 columns');
    await page.fill('#hiddenSize', '8');
    await page.fill('#epochs', '150');
    await page.fill('#learningRate', '0.05');
    await page.click('#train');

    // The loss curve: the server's SVG, drawn in the page, one point an epoch.
    const line = await page.waitForSelector('#loss-chart svg path.loss-line', { timeout: 60_000 });
    const d = (await line.getAttribute('d')) ?? '';
    expect(d.match(/[ML]/g)).toHaveLength(150);
    const box = await line.boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    expect(await page.textContent('#status')).toMatch(/^Trained 150 epochs in [\d.]+ s\.$/);

    // The filters: one image a hidden unit, 4×4 by default (16 inputs is a square).
    await page.waitForSelector('#filters svg image.filter');
    expect(await page.locator('#filters svg image.filter').count()).toBe(8);
    const id = await page.inputValue('#modelId');
    expect(id).toMatch(/^[a-z2-7]{32}$/);

    // Chromium's own XML parser accepts both SVGs.
    const parsed = await page.evaluate(async ({ id, token }) => {
      // Browser globals, typed here because the project's TypeScript has no DOM library.
      const { DOMParser } = globalThis as unknown as { DOMParser: new () => { parseFromString(text: string, type: string): BrowserDocument } };
      const results: Record<string, string> = {};
      for (const picture of ['loss.svg', 'filters.svg']) {
        const res = await fetch(`/v1/models/${id}/${picture}`, { headers: { authorization: `Bearer ${token}` } });
        const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
        results[picture] = doc.getElementsByTagName('parsererror').length > 0 ? 'parse error' : doc.documentElement.nodeName;
      }
      return results;
    }, { id, token: DEV_ADMIN_TOKEN });
    expect(parsed).toEqual({ 'loss.svg': 'svg', 'filters.svg': 'svg' });

    // Encode: the row field holds the first data row (not the header).
    expect(await page.inputValue('#row')).toBe(barsCsv().split('\n')[1]);
    await page.click('#encode');
    await page.waitForSelector('#encode-result .code');
    expect(await page.locator('#encode-result .code').count()).toBe(8);
    expect(await page.textContent('#encode-result .summary')).toMatch(/^8 hidden activations \(mean 0\.\d{3}\):$/);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(problems).toEqual([]);
  });
});
