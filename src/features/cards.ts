/**
 * Feature cards as HTML (runtime-neutral: the CLI's `features --html` page and the playground's
 * feature browser draw the same cards). A card: the feature's frequency, mean and max, its
 * activation histogram, its top rows (drawn as small grayscale images when the input is square,
 * e.g. MNIST's 28 × 28, else as their labels or row numbers), its interval samples and its
 * nearest features. Everything inline (styles, pictures as data: URIs): no external URL.
 */
import { base64, encodePng } from '../viz/png.js';
import { escapeXml } from '../viz/svg.js';
import type { FeatureRow, FeatureStatsResult, FeatureSummary } from './feature-stats.js';

export interface CardOptions {
  /** The side of a square input (28 for 784 columns), or null to draw rows as text. */
  imageSide: number | null;
  /** The values of the rows shown (row index → its `side²` values), for the images. */
  rowValues?: ReadonlyMap<number, ArrayLike<number>>;
  /** How many top rows a card shows (default all kept). */
  topShown?: number;
}

/** The side of a square input of `cols` values (≥ 4 values), else null: rows are drawn as text. */
export function squareSide(cols: number): number | null {
  const side = Math.round(Math.sqrt(cols));
  return side >= 2 && side * side === cols ? side : null;
}

/** A row's values as a PNG data: URI, scaled from its own min (white) to its max (black ink). */
export function rowImageUri(values: ArrayLike<number>, side: number): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < side * side; k++) {
    lo = Math.min(lo, values[k]!);
    hi = Math.max(hi, values[k]!);
  }
  const pixels = new Uint8Array(side * side);
  for (let k = 0; k < pixels.length; k++) pixels[k] = hi > lo ? Math.round(255 - (255 * (values[k]! - lo)) / (hi - lo)) : 255;
  return `data:image/png;base64,${base64(encodePng({ width: side, height: side, pixels }))}`;
}

/** Three significant digits, or a percentage for frequencies. */
const num = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v));
const pct = (f: number) => (f === 0 ? '0' : f < 0.001 ? `${num(f * 100)}%` : `${(f * 100).toFixed(1)}%`);

/** The activation histogram as a small inline SVG of bars. */
export function histogramSvg(feature: FeatureSummary, width = 220, height = 48): string {
  const { counts } = feature.histogram;
  if (counts.length === 0) return '<p class="dead">never active</p>';
  const top = Math.max(...counts, 1);
  const w = width / counts.length;
  const bars = counts
    .map((c, b) => (c === 0 ? '' : `<rect x="${(b * w).toFixed(1)}" y="${(height - (height * c) / top).toFixed(1)}" width="${Math.max(1, w - 1).toFixed(1)}" height="${((height * c) / top).toFixed(1)}"/>`))
    .join('');
  return `<svg class="hist" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="activation histogram from ${num(feature.histogram.min)} to ${num(feature.histogram.max)}"><title>activations in (${num(feature.histogram.min)}, ${num(feature.histogram.max)}]</title>${bars}</svg>`;
}

function example(r: FeatureRow, options: CardOptions): string {
  const caption = `${r.label === undefined ? `row ${r.row}` : escapeXml(r.label)} · ${num(r.value)}`;
  const values = options.rowValues?.get(r.row);
  if (options.imageSide !== null && values !== undefined) {
    return `<figure class="ex img" title="row ${r.row}: ${num(r.value)}"><img alt="row ${r.row}" width="${options.imageSide * 2}" height="${options.imageSide * 2}" src="${rowImageUri(values, options.imageSide)}"><figcaption>${caption}</figcaption></figure>`;
  }
  return `<li class="ex text" title="row ${r.row}">${caption}</li>`;
}

function examples(rows: readonly FeatureRow[], options: CardOptions): string {
  const items = rows.map((r) => example(r, options)).join('');
  return options.imageSide !== null && options.rowValues !== undefined ? `<div class="examples">${items}</div>` : `<ol class="examples">${items}</ol>`;
}

/** One feature's card (an <article id="feature-j">). */
export function renderFeatureCard(feature: FeatureSummary, options: CardOptions): string {
  const j = feature.index;
  const top = feature.top.slice(0, options.topShown ?? feature.top.length);
  const samples = feature.quantileSamples
    .filter((q) => q.rows.length > 0)
    .map((q) => `<h4>(${num(q.lower)}, ${num(q.upper)}] · ${q.count} rows</h4>${examples(q.rows, options)}`)
    .join('');
  const neighbours = feature.neighbours.map((n) => `<li><a href="#feature-${n.index}" data-feature="${n.index}">#${n.index}</a> ${num(n.cosine)}</li>`).join('');
  return [
    `<article class="card" id="feature-${j}" data-index="${j}" data-frequency="${feature.frequency}" data-max="${feature.maxActivation}">`,
    `<h3>Feature ${j}</h3>`,
    `<p class="stats">frequency <b>${pct(feature.frequency)}</b> · mean ${num(feature.meanActivation)} · max ${num(feature.maxActivation)}</p>`,
    histogramSvg(feature),
    top.length > 0 ? `<h4>Top ${top.length}</h4>${examples(top, options)}` : '<p class="dead">no active rows</p>',
    samples === '' ? '' : `<details><summary>Interval samples</summary>${samples}</details>`,
    neighbours === '' ? '' : `<h4>Nearest by decoder cosine</h4><ul class="neighbours">${neighbours}</ul>`,
    '</article>',
  ].join('');
}

/** The styles of the cards (shared by the page and the playground). */
export const CARD_STYLES = `
.card{border:1px solid #ccc;border-radius:6px;padding:8px 12px;margin:8px;width:360px;display:inline-block;vertical-align:top;background:#fff;font:13px system-ui,sans-serif}
.card h3{margin:2px 0}.card h4{margin:8px 0 2px;font-size:12px;color:#555}
.card .hist rect{fill:#1f77b4}.card .dead{color:#888}
.card .examples{display:flex;flex-wrap:wrap;gap:4px;padding:0;margin:0;list-style:none}
.card .ex.img{margin:0;text-align:center;font-size:10px}.card .ex.img img{image-rendering:pixelated;border:1px solid #ddd;display:block}
.card ol.examples{display:block;list-style:none}.card .ex.text{border-bottom:1px dotted #eee;padding:1px 0}
.card .neighbours{display:flex;gap:10px;list-style:none;padding:0;margin:0}`;

export interface PageOptions extends CardOptions {
  title?: string;
  /** The feature-density histogram (an SVG), drawn above the cards. */
  densitySvg?: string;
}

/**
 * A self-contained page of every feature's card, with buttons to sort them by index, frequency
 * or max activation (a few lines of inline script; nothing fetched).
 */
export function renderFeaturesPage(result: FeatureStatsResult, options: PageOptions): string {
  const title = escapeXml(options.title ?? `Features of ${result.hiddenSize} units on ${result.rows} rows`);
  const cards = result.features.map((f) => renderFeatureCard(f, options)).join('\n');
  const script = `const box=document.getElementById('cards');for(const b of document.querySelectorAll('button[data-sort]'))b.onclick=()=>{const k=b.dataset.sort;const cs=[...box.children];cs.sort((x,y)=>k==='index'?x.dataset.index-y.dataset.index:y.dataset[k]-x.dataset[k]||x.dataset.index-y.dataset.index);box.replaceChildren(...cs)};`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:14px system-ui,sans-serif;margin:16px;background:#f6f6f6}${CARD_STYLES}</style></head>
<body><h1>${title}</h1>
<p>Active means a code &gt; ${result.activeThreshold}. Each card: frequency (fraction of rows active), mean and max code, histogram of active codes, top rows, rows sampled from lower intervals, nearest features by decoder cosine.</p>
${options.densitySvg ?? ''}
<p>Sort: <button data-sort="index">index</button> <button data-sort="frequency">frequency</button> <button data-sort="max">max activation</button></p>
<div id="cards">
${cards}
</div>
<script>${script}</script>
</body></html>
`;
}

/** The rows a result shows (top and interval samples), in increasing order: what to read for the images. */
export function shownRows(result: FeatureStatsResult, topShown?: number): number[] {
  const rows = new Set<number>();
  for (const f of result.features) {
    for (const r of f.top.slice(0, topShown ?? f.top.length)) rows.add(r.row);
    for (const q of f.quantileSamples) for (const r of q.rows) rows.add(r.row);
  }
  return [...rows].sort((a, b) => a - b);
}
