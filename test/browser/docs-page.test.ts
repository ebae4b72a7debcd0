/**
 * The API's docs page (/docs) in a real browser, offline: Swagger UI is served by the Worker
 * itself (static assets from swagger-ui-dist), so the page must render with every request to
 * another host refused. It must list the operations of the OpenAPI document, and its screenshot
 * (test-results/docs.png) must not be blank.
 *
 * Skipped, saying so, when /usr/bin/chromium is absent (install it: apt-get install -y chromium).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium, ROOT, startDevServer, type DevServer } from './dev-server.js';

const hasChromium = existsSync(CHROMIUM);
const SCREENSHOT = path.join(ROOT, 'test-results', 'docs.png');

if (!hasChromium) console.warn(`test/browser/docs-page.test.ts: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium)`);

/** How many distinct grey levels a PNG screenshot has (a blank page has one). */
function distinctLevels(png: Buffer): number {
  const chunks: Buffer[] = [];
  let width = 0;
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IHDR') width = png.readUInt32BE(at + 8);
    if (type === 'IDAT') chunks.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  // Filtered rows; the filter bytes blur the levels but cannot make a blank page look busy.
  const levels = new Set<number>();
  for (let k = 0; k < raw.length; k += 97) levels.add(raw[k]!);
  expect(width).toBeGreaterThan(0);
  return levels.size;
}

describe.skipIf(!hasChromium)(`/docs in Chromium, offline (needs ${CHROMIUM})`, () => {
  let server: DevServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDevServer(), launchChromium()]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('should render Swagger UI from the Worker itself and list the operations', { timeout: 90_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const local = new URL(server.base).host;
    const elsewhere: string[] = [];
    const problems: string[] = [];
    // Offline: any request that leaves this server is refused (and remembered).
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.host === local || url.protocol === 'data:') return route.continue();
      elsewhere.push(url.href);
      return route.abort('internetdisconnected');
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });

    const response = await page.goto(`${server.base}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('.opblock', { timeout: 60_000 });

    const doc = (await (await fetch(`${server.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(await page.locator('.opblock').count()).toBe(operations);
    expect(await page.textContent('.opblock-summary-path[data-path="/v1/models/{id}/encode"]')).toContain('/v1/models/{id}/encode');
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    const shot = await page.screenshot({ path: SCREENSHOT, fullPage: false });
    expect(distinctLevels(shot)).toBeGreaterThan(8);
  });
});
