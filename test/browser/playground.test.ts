/**
 * The playground page in a real browser: Debian's Chromium driven by playwright-core loads `/`
 * (static assets: assets/index.html and the script bundled from src/playground/) from
 * `wrangler dev`, and must start with the options table's defaults; it uploads a small CSV,
 * trains, and must show the loss curve, the filters and an encode result, with no script or CSP
 * error; then the same as a job (POST /v1/jobs and its event stream, read with fetch): progress,
 * then the filters and an encode result, and a second job cancelled from the page, its live loss
 * curve drawn before. It saves screenshots (test-results/playground.png, playground-job.png and
 * playground-live.png, or $PLAYGROUND_SCREENSHOT and its -job and -live twins).
 *
 * Skipped, saying so, when /usr/bin/chromium is absent (install it: apt-get install -y chromium).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { SPARSE_PRESETS } from '../../src/model/presets.js';
import { MODEL_OPTIONS, TRAINING_OPTIONS } from '../../src/model/options.js';
import { CHROMIUM, DEV_ADMIN_TOKEN, launchChromium, ROOT, startDevServer, type DevServer } from './dev-server.js';

const hasChromium = existsSync(CHROMIUM);
const SCREENSHOT = process.env.PLAYGROUND_SCREENSHOT ?? path.join(ROOT, 'test-results', 'playground.png');
const JOB_SCREENSHOT = SCREENSHOT.replace(/(\.png)?$/, '-job.png');
/**
 * One-step job slices and frequent events, so that a job of a few hundred epochs on 60 rows runs
 * in as many slices (each with its checkpoint write, a few ms) and its stream carries progress
 * events before its end. With slices of 50 ms the whole job took a few slices of under 100 ms
 * together, and whether an event caught it running depended on the machine's load. (With the
 * defaults it finishes in its first slice.) They touch only jobs, not the synchronous endpoint.
 */
const JOB_VARS = { JOB_SLICE_MS: '1', JOB_FLOPS_PER_MS: '1', JOB_EVENTS_INTERVAL_MS: '100' };

if (!hasChromium) {
  console.warn(`test/browser/playground.test.ts: SKIPPED — ${CHROMIUM} not found. Install Debian's Chromium to run it: apt-get install -y chromium`);
}

/** What the job case's observer (below) keeps in the page. */
interface JobWatch {
  lines: string[];
  sawLiveCurve: boolean;
}

/** The browser globals the observer uses, typed here because the project's TypeScript has no DOM library. */
interface BrowserWindow {
  jobWatch: JobWatch;
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  document: {
    getElementById(id: string): { textContent: string | null } | null;
    querySelector(selector: string): unknown;
  };
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
    [server, browser] = await Promise.all([startDevServer(JOB_VARS), launchChromium()]);
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
    for (const asset of ['/playground.js', '/playground.css']) {
      const res = await fetch(`${server.base}${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-security-policy'), asset).toContain("script-src 'self'");
      expect(res.headers.get('x-content-type-options'), asset).toBe('nosniff');
    }

    // The form: one input per option of the options table, starting at its default (issue 12: the
    // page once trained with its own, silently); the quick demo preset is a labelled button.
    for (const [key, spec] of Object.entries({ ...MODEL_OPTIONS, ...TRAINING_OPTIONS })) {
      expect(await page.inputValue(`#${key}`), key).toBe(spec.default === null ? '' : String(spec.default));
    }
    expect(await page.textContent('#preset')).toBe('quick demo preset');
    await page.click('#preset');
    // The preset is src/model/presets.ts's sparse sigmoid settings (docs/SPARSITY.md measures them).
    expect(await page.inputValue('#learningRate')).toBe(String(SPARSE_PRESETS.sigmoid.training.learningRate));
    expect(await page.inputValue('#sparsityTarget')).toBe(String(SPARSE_PRESETS.sigmoid.config.sparsityTarget));
    expect(await page.inputValue('#reduction')).toBe('mean');
    await page.click('#defaults');
    expect(await page.inputValue('#learningRate')).toBe(String(TRAINING_OPTIONS.learningRate.default));
    expect(await page.inputValue('#reduction')).toBe(MODEL_OPTIONS.reduction.default);

    // The options grouped (issue 23): basic, this architecture's, the schedule, advanced; the
    // options only other architectures use hidden, and shown when their architecture is chosen.
    expect(await page.locator('#hyperparameters fieldset legend').allTextContents()).toEqual(['Basic', "This architecture's options: sigmoid", 'Training schedule', 'Advanced']);
    expect(await page.isHidden('#k')).toBe(true);
    expect(await page.isVisible('#weightDecay')).toBe(true);
    await page.selectOption('#architecture', 'topk');
    expect(await page.isVisible('#k')).toBe(true);
    expect(await page.isHidden('#weightDecay')).toBe(true);
    expect(await page.textContent('#group-architecture legend')).toBe("This architecture's options: topk");
    await page.selectOption('#architecture', 'sigmoid');
    expect(await page.isHidden('#auxK')).toBe(true);
    // Help written for this page: no CLI flags, no bare document references; papers as links.
    const help = (await page.locator('#hyperparameters small').allTextContents()).join('\n');
    expect(help).not.toMatch(/--[a-z]|in the CLI|README|docs\//);
    expect(await page.locator('#hyperparameters small a[href^="https://arxiv.org/"]').count()).toBeGreaterThan(0);
    // Served from this machine: the page names the local token.
    expect(await page.textContent('#local-token')).toContain('dev-admin-token');

    // The CSV by the project's rules (src/data/csv.ts): a bad cell is named before anything is sent.
    await page.fill('#csv', 'a,b\n0.5,1\n0.25,0x1f\n');
    await expect.poll(() => page.textContent('#data-info')).toBe('the CSV, row 3, column 2: expected a number, got "0x1f"');
    await page.click('#train');
    expect(await page.textContent('#status')).toBe('The CSV cannot be used: the CSV, row 3, column 2: expected a number, got "0x1f"');

    await page.setInputFiles('#file', { name: 'bars.csv', mimeType: 'text/csv', buffer: Buffer.from(barsCsv()) });
    // Polled from here: a waitForFunction predicate is evaluated in the page, which its CSP forbids once it retries.
    await expect.poll(() => page.inputValue('#csv').then((v) => v.length)).toBeGreaterThan(100);
    await expect.poll(() => page.textContent('#data-info')).toBe('60 rows × 16 columns, with a header row');
    // Train before a token is typed: the page says which token, not how HTTP headers work.
    await page.click('#train');
    expect(await page.textContent('#status')).toBe("Type an API token in step 1 to train (the local server's admin token is dev-admin-token).");
    // A wrong token: the 401 in the page's terms.
    await page.fill('#token', 'not-a-token');
    await page.click('#train');
    await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toBe("The API token in step 1 was not accepted (the local server's admin token is dev-admin-token).");
    // (Chromium logs the refused request itself; that is the one console error this test expects.)
    problems.splice(0, problems.length, ...problems.filter((problem) => !/status of 401/.test(problem)));
    await page.click('#use-local-token');
    expect(await page.inputValue('#token')).toBe(DEV_ADMIN_TOKEN);
    await page.fill('#hiddenSize', '8');
    await page.fill('#epochs', '150');
    await page.fill('#learningRate', '0.05');
    await page.fill('#validationSplit', '0.25');
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
    // The validation split: a validation curve, and the held-out rows' metrics beside the training's.
    expect(await page.locator('#loss-chart svg path.validation-line').count()).toBe(1);
    expect(await page.locator('#metrics th').allTextContents()).toEqual(['', 'training', expect.stringMatching(/^validation \(\d+ held-out rows\)$/)]);
    const fvu = await page.locator('#metrics tr', { hasText: 'fvu' }).first().locator('td').allTextContents();
    expect(fvu[0]).toBe('fvu');
    expect(fvu.slice(1).map(Number).every(Number.isFinite)).toBe(true);
    expect(fvu).toHaveLength(3);
    // The feature density of the page's data: the server's histogram.
    await page.waitForSelector('#density svg .x-label');
    expect(await page.locator('#density svg title').first().textContent()).toMatch(/^Feature density: 8 units, \d+ dead/);
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

    // Early stopping: the epoch it kept is shown (and marked on the loss chart).
    await page.fill('#patience', '3');
    await page.fill('#learningRate', '0.5');
    await page.click('#train');
    await expect.poll(() => page.textContent('#status'), { timeout: 60_000 }).toMatch(/^Trained \d+ epochs in [\d.]+ s\.$/);
    await expect.poll(() => page.locator('#metrics tr', { hasText: 'kept epoch' }).count()).toBe(1);
    expect(await page.locator('#metrics tr', { hasText: 'kept epoch' }).locator('td').nth(1).textContent()).toMatch(/^\d+ \(early stopping kept its weights\)$/);
    await page.waitForSelector('#loss-chart svg line.best-epoch', { state: 'attached' }); // a vertical line: no width, so never "visible"
    expect(problems).toEqual([]);
  });
  it('should train as a job, showing its progress, then the filters, and encode a row; and cancel a job', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${server.base}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#token', DEV_ADMIN_TOKEN);
    await page.fill('#csv', barsCsv());
    await expect.poll(() => page.textContent('#data-info')).toBe('60 rows × 16 columns, with a header row');
    await page.fill('#hiddenSize', '8');
    await page.fill('#epochs', '300');
    await page.fill('#learningRate', '0.05');
    await page.check('#asJob');
    expect(await page.textContent('#train')).toBe('Start job');

    // Every text the progress line shows, and whether the live curve was drawn, kept in the page:
    // progress can pass faster than the test could poll for it.
    await page.evaluate(() => {
      const w = globalThis as unknown as BrowserWindow;
      const watch: JobWatch = { lines: [], sawLiveCurve: false };
      w.jobWatch = watch;
      const line = w.document.getElementById('job-line');
      new w.MutationObserver(() => {
        const text = line?.textContent ?? '';
        if (text && text !== watch.lines[watch.lines.length - 1]) watch.lines.push(text);
      }).observe(line, { childList: true, characterData: true, subtree: true });
      new w.MutationObserver(() => {
        // The live curve: the loss curve renderer's chart (src/viz/loss-curve.ts), marked live by the page.
        if (w.document.querySelector('#loss-chart svg.live-loss path.loss-line')) watch.sawLiveCurve = true;
      }).observe(w.document.getElementById('loss-chart'), { childList: true, subtree: true });
    });
    await page.click('#train');

    // The end: the job's model loaded as the synchronous mode loads one.
    await page.waitForSelector('#filters svg image.filter', { timeout: 60_000 });
    expect(await page.locator('#filters svg image.filter').count()).toBe(8);
    expect(await page.textContent('#status')).toMatch(/^Trained 300 epochs as job [a-z2-7]{32} in [\d.]+ s \(\d+ slices\)\.$/);
    const id = await page.inputValue('#modelId');
    expect(id).toMatch(/^[a-z2-7]{32}$/);
    const line = await page.waitForSelector('#loss-chart svg path.loss-line');
    expect(((await line.getAttribute('d')) ?? '').match(/[ML]/g)).toHaveLength(300);
    expect(await page.isHidden('#cancelJob')).toBe(true);

    // Before it: progress events, each with epoch/total, loss and ETA, and the live curve.
    const watch = await page.evaluate(() => (globalThis as unknown as BrowserWindow).jobWatch);
    const running = watch.lines.filter((text) => /^Job running: epoch \d+\/300, loss [\d.e+-]+, ETA (\d+ s|\d+ min \d+ s|…)$/.test(text));
    expect(running.length, watch.lines.join('\n')).toBeGreaterThan(0);
    expect(running.map((text) => Number(/epoch (\d+)/.exec(text)![1])).some((epoch) => epoch > 0 && epoch < 300)).toBe(true);
    expect(watch.lines[watch.lines.length - 1]).toMatch(/^Job succeeded: epoch 300\/300, loss [\d.e+-]+$/);
    expect(watch.sawLiveCurve).toBe(true);

    await page.click('#encode');
    await page.waitForSelector('#encode-result .code');
    expect(await page.locator('#encode-result .code').count()).toBe(8);
    expect(await page.textContent('#encode-result .summary')).toMatch(/^8 hidden activations \(mean 0\.\d{3}\):$/);
    mkdirSync(path.dirname(JOB_SCREENSHOT), { recursive: true });
    await page.screenshot({ path: JOB_SCREENSHOT, fullPage: true });

    // A long job, cancelled from the page once it runs: the page says so, and keeps the model it had.
    await page.fill('#epochs', '50000');
    await page.click('#train');
    await page.waitForSelector('#cancelJob', { state: 'visible' });
    // (Polled from here: a waitForFunction predicate would be evaluated in the page, which its CSP forbids.)
    await expect.poll(() => page.textContent('#job-line'), { timeout: 30_000 }).toMatch(/^Job running: epoch [1-9]/);
    // The live curve of this job is the renderer's chart of the epochs reported so far.
    const live = page.locator('#loss-chart svg.live-loss');
    expect(await live.locator('path.loss-line').count()).toBe(1);
    expect(await live.locator('.chart-title').textContent()).toMatch(/^Training loss \(live, [1-9]\d* progress reports?\)$/);
    // The container, not the chart: each progress event replaces the chart inside it.
    await page.locator('#loss-chart').screenshot({ path: SCREENSHOT.replace(/(\.png)?$/, '-live.png') });
    await page.click('#cancelJob');
    await expect.poll(() => page.textContent('#status'), { timeout: 30_000 }).toMatch(/^Job cancelled after \d+ of 50000 epochs; no model was saved\.$/);
    expect(await page.inputValue('#modelId')).toBe(id);
    expect(await page.isEnabled('#train')).toBe(true);
    expect(problems).toEqual([]);
  });
});
