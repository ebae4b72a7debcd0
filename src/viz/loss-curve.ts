/**
 * The loss curve as an SVG line chart, like the tutorial's `plt.plot(history)`: loss per epoch,
 * epochs on x, loss on y (linear, or logarithmic), axes with round ticks. A model trained with
 * validationSplit also gets its validation loss (a second, dashed series on the same axes), the
 * epoch early stopping kept, and a legend. Runtime-neutral.
 */
import { PictureError } from './picture-error.js';
import { coord, escapeXml, formatTick, niceTicks, textWidth } from './svg.js';

export interface LossCurveOptions {
  /** Picture size in CSS pixels (default 640 × 400). */
  width?: number;
  height?: number;
  /** y axis: "linear" (default) or "log" (every loss must then be > 0). */
  scale?: 'linear' | 'log';
  /** Chart title (default "Training loss", or "Training and validation loss" with a validation loss). */
  title?: string;
  /**
   * The validation loss of each epoch, aligned with the loss history (entry k is epoch k + 1;
   * null or non-finite: none that epoch), as ModelState.validationHistory holds it. Absent, or no
   * finite entry: the picture is the training loss alone, as before validation existed.
   */
  validationHistory?: readonly (number | null)[] | null;
  /** The 1-based epoch whose weights early stopping kept: marked with a vertical line. */
  bestEpoch?: number | null;
  /**
   * The epoch of each entry of the histories, strictly increasing (a summarised history,
   * src/model/history.ts); absent or null: entry k is epoch k + 1.
   */
  epochs?: readonly number[] | null;
}

const MARGIN = { top: 40, right: 24, bottom: 48, left: 72 };
/** matplotlib's first colour, the tutorial's line. */
const LINE_COLOUR = '#1f77b4';
/** matplotlib's second colour, dashed as well, so the two series differ without colour too. */
const VALIDATION_COLOUR = '#ff7f0e';
const VALIDATION_DASH = '6 4';
const BEST_COLOUR = '#555555';

/**
 * Renders `lossHistory` (one loss per epoch; epoch k is `lossHistory[k - 1]`) as an SVG document.
 * Non-finite values leave a gap in the line. Throws a PictureError for an empty history, for
 * scale "log" with a loss ≤ 0 (both about the content), or for a picture under 160 × 120 (layout).
 *
 * @example
 * const svg = renderLossCurveSvg(model.lossHistory, { scale: 'log' });
 */
export function renderLossCurveSvg(lossHistory: readonly number[], options: LossCurveOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const scale = options.scale ?? 'linear';
  if (lossHistory.length === 0) throw new PictureError('content', 'the loss history is empty: the model has not been trained');
  if (!(width >= 160 && height >= 120)) throw new PictureError('layout', `a loss curve needs at least 160 × 120 pixels, got ${width} × ${height}`);
  const finite = lossHistory.filter((v) => Number.isFinite(v));
  if (finite.length === 0) throw new PictureError('content', 'the loss history holds no finite value');
  if (scale === 'log' && finite.some((v) => v <= 0)) throw new PictureError('content', 'a logarithmic loss axis needs every loss > 0');
  const validation = validationSeries(lossHistory.length, options.validationHistory);
  const validationFinite = validation === null ? [] : validation.filter((v) => Number.isFinite(v));
  if (scale === 'log' && validationFinite.some((v) => v <= 0)) throw new PictureError('content', 'a logarithmic loss axis needs every validation loss > 0');
  const title = options.title ?? (validation === null ? 'Training loss' : 'Training and validation loss');
  const epochOf = epochsOf(lossHistory.length, options.epochs ?? null);
  const entries = lossHistory.length;
  const epochs = epochOf(entries - 1);
  const bestEpoch = options.bestEpoch ?? null;
  if (bestEpoch !== null && !(Number.isInteger(bestEpoch) && bestEpoch >= 1 && bestEpoch <= epochs)) {
    throw new PictureError('content', `the best epoch ${bestEpoch} is not an epoch of the loss history (1 to ${epochs})`);
  }
  // The entry of the best epoch (a summary keeps it; -1 when it does not).
  let bestEntry = -1;
  for (let k = 0; k < entries && bestEpoch !== null; k++) if (epochOf(k) === bestEpoch) bestEntry = k;

  // The legend (with validation or a kept epoch) gets a band of its own between the title and the
  // plot, so it can cover no part of either curve, wherever they run.
  const legendBox = validation !== null || bestEpoch !== null ? layOutLegend(legendEntries(validation !== null, bestEpoch), width) : null;
  const top = MARGIN.top + (legendBox ? legendBox.height + 8 : 0);
  const plot = { x: MARGIN.left, y: top, w: width - MARGIN.left - MARGIN.right, h: height - top - MARGIN.bottom };
  if (plot.h < 40) throw new PictureError('layout', `a loss curve with a legend needs at least ${height - plot.h + 40} pixels of height, got ${height}`);
  const t = scale === 'log' ? Math.log10 : (v: number) => v;
  // The y range covers both series, so a validation loss above every training loss stays inside.
  // A loop, not Math.min(...values): spreading a long history overflows the call stack.
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const series of [finite, validationFinite]) {
    for (const v of series) {
      const y = t(v);
      if (y < low) low = y;
      if (y > high) high = y;
    }
  }
  if (high === low) {
    const pad = scale === 'log' ? 0.5 : low === 0 ? 1 : Math.abs(low) * 0.05;
    low -= pad;
    high += pad;
  }
  const xTicks = niceTicks(1, Math.max(2, epochs), 6).ticks.filter((e) => Number.isInteger(e) && e >= 1 && e <= Math.max(epochs, 1));
  if (!xTicks.includes(1)) xTicks.unshift(1);
  const yTicks = scale === 'log' ? logTicks(low, high) : linearTicks(low, high);
  // Pad the y range a little so the line does not run along the frame.
  const span = high - low;
  const y0 = low - span * 0.04;
  const y1 = high + span * 0.04;
  const px = (epoch: number) => plot.x + (epochs === 1 ? plot.w / 2 : ((epoch - 1) / (epochs - 1)) * plot.w);
  const py = (loss: number) => plot.y + plot.h - ((t(loss) - y0) / (y1 - y0)) * plot.h;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="loss-title" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<title id="loss-title">${escapeXml(title)}: ${epochs} epoch${epochs === 1 ? '' : 's'}, last loss ${escapeXml(formatLoss(lossHistory[entries - 1]!))}${validation === null ? '' : `, last validation loss ${escapeXml(formatLoss(validation[entries - 1]!))}`}</title>`,
    `<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="chart-title" x="${coord(plot.x + plot.w / 2)}" y="${MARGIN.top - 16}" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  );

  const grid: string[] = [];
  const yAxis: string[] = [];
  for (const tick of yTicks.ticks) {
    const y = plot.y + plot.h - ((tick - y0) / (y1 - y0)) * plot.h;
    if (y < plot.y - 0.5 || y > plot.y + plot.h + 0.5) continue;
    grid.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${coord(y)}" y2="${coord(y)}"/>`);
    const label = formatTick(scale === 'log' ? 10 ** tick : tick, yTicks.labelStep(tick));
    yAxis.push(`<line x1="${plot.x - 5}" x2="${plot.x}" y1="${coord(y)}" y2="${coord(y)}"/><text x="${plot.x - 8}" y="${coord(y + 4)}" text-anchor="end" stroke="none">${escapeXml(label)}</text>`);
  }
  const xAxis: string[] = [];
  for (const epoch of xTicks) {
    const x = px(epoch);
    xAxis.push(`<line x1="${coord(x)}" x2="${coord(x)}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h + 5}"/><text x="${coord(x)}" y="${plot.y + plot.h + 18}" text-anchor="middle" stroke="none">${epoch}</text>`);
  }
  parts.push(
    `<g class="grid" stroke="#e6e6e6" stroke-width="1">${grid.join('')}</g>`,
    `<g class="axis x-axis" stroke="#333333" fill="#333333"><line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h}"/>${xAxis.join('')}</g>`,
    `<g class="axis y-axis" stroke="#333333" fill="#333333"><line x1="${plot.x}" x2="${plot.x}" y1="${plot.y}" y2="${plot.y + plot.h}"/>${yAxis.join('')}</g>`,
    `<text class="x-label" x="${coord(plot.x + plot.w / 2)}" y="${height - 10}" text-anchor="middle">epoch</text>`,
    `<text class="y-label" transform="translate(16 ${coord(plot.y + plot.h / 2)}) rotate(-90)" text-anchor="middle">loss${scale === 'log' ? ' (log scale)' : ''}</text>`,
  );

  if (bestEpoch !== null) {
    const x = coord(px(bestEpoch));
    parts.push(`<line class="best-epoch" x1="${x}" x2="${x}" y1="${plot.y}" y2="${plot.y + plot.h}" stroke="${BEST_COLOUR}" stroke-width="1" stroke-dasharray="2 3"/>`);
  }
  const path = pathOf(linePoints(lossHistory, epochOf, plot.w), px, py);
  parts.push(`<path class="loss-line" d="${path}" fill="none" stroke="${LINE_COLOUR}" stroke-width="1.75" stroke-linejoin="round"/>`);
  if (epochs === 1) parts.push(`<circle class="loss-point" cx="${coord(px(1))}" cy="${coord(py(finite[0]!))}" r="3" fill="${LINE_COLOUR}"/>`);
  if (validation !== null) {
    const d = pathOf(linePoints(validation, epochOf, plot.w), px, py);
    parts.push(`<path class="validation-line" d="${d}" fill="none" stroke="${VALIDATION_COLOUR}" stroke-width="1.75" stroke-dasharray="${VALIDATION_DASH}" stroke-linejoin="round"/>`);
    // A lone point draws no line (one epoch, or one validated epoch between gaps): a dot shows it.
    for (let k = 0; k < entries; k++) {
      const lone = Number.isFinite(validation[k]) && !Number.isFinite(validation[k - 1] ?? Number.NaN) && !Number.isFinite(validation[k + 1] ?? Number.NaN);
      if (lone) parts.push(`<circle class="validation-point" cx="${coord(px(epochOf(k)))}" cy="${coord(py(validation[k]!))}" r="3" fill="${VALIDATION_COLOUR}"/>`);
    }
    if (bestEntry >= 0 && Number.isFinite(validation[bestEntry])) {
      parts.push(`<circle class="best-point" cx="${coord(px(bestEpoch!))}" cy="${coord(py(validation[bestEntry]!))}" r="4" fill="none" stroke="${BEST_COLOUR}" stroke-width="1.5"/>`);
    }
  }
  if (legendBox) parts.push(legendBox.svg);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The validation losses as numbers (NaN where none), or null when there is no finite one to draw. */
function validationSeries(epochs: number, history: readonly (number | null)[] | null | undefined): number[] | null {
  if (!history) return null;
  if (history.length !== epochs) {
    throw new PictureError('content', `the validation history has ${history.length} entries but the loss history ${epochs} epochs: they must be aligned, one per epoch`);
  }
  const values = history.map((v) => (v === null ? Number.NaN : v));
  return values.some((v) => Number.isFinite(v)) ? values : null;
}

/** An SVG path through the points; a non-finite loss lifts the pen (a gap). */
function pathOf(points: Array<[number, number]>, px: (epoch: number) => number, py: (loss: number) => number): string {
  let path = '';
  let penDown = false;
  for (const [epoch, loss] of points) {
    if (!Number.isFinite(loss)) {
      penDown = false;
      continue;
    }
    path += `${penDown ? 'L' : 'M'}${coord(px(epoch))} ${coord(py(loss))}`;
    penDown = true;
  }
  return path;
}

interface LegendEntry {
  name: string;
  sample: string;
}

function legendEntries(withValidation: boolean, bestEpoch: number | null): LegendEntry[] {
  const entries: LegendEntry[] = [{ name: 'training', sample: `stroke="${LINE_COLOUR}" stroke-width="1.75"` }];
  if (withValidation) entries.push({ name: 'validation', sample: `stroke="${VALIDATION_COLOUR}" stroke-width="1.75" stroke-dasharray="${VALIDATION_DASH}"` });
  if (bestEpoch !== null) entries.push({ name: `kept epoch ${bestEpoch}`, sample: `stroke="${BEST_COLOUR}" stroke-width="1" stroke-dasharray="2 3"` });
  return entries;
}

/** Height of a legend row, and the band's top (under the title). */
const LEGEND_ROW = 18;
const LEGEND_TOP = MARGIN.top - 8;

/**
 * The legend as a box under the title, right-aligned: each series' line sample and name, side
 * by side, wrapped onto more rows when the picture is too narrow for one. Its height is what the
 * plot moves down by.
 */
function layOutLegend(entries: LegendEntry[], width: number): { svg: string; height: number } {
  const entryWidth = (entry: LegendEntry) => 30 + textWidth(entry.name) + 14;
  const room = width - 16;
  const rows: LegendEntry[][] = [];
  for (const entry of entries) {
    const row = rows.at(-1);
    if (row && row.reduce((sum, e) => sum + entryWidth(e), 0) + entryWidth(entry) <= room - 8) row.push(entry);
    else rows.push([entry]);
  }
  const boxWidth = Math.max(...rows.map((row) => row.reduce((sum, e) => sum + entryWidth(e), 0))) + 8;
  const height = rows.length * LEGEND_ROW + 6;
  const x = width - 8 - boxWidth;
  const parts = rows.flatMap((row, r) => {
    let at = x + 8;
    return row.map((entry) => {
      const y = LEGEND_TOP + 3 + r * LEGEND_ROW;
      const out = `<g class="legend-entry"><line x1="${coord(at)}" x2="${coord(at + 24)}" y1="${y + 9}" y2="${y + 9}" ${entry.sample}/><text x="${coord(at + 30)}" y="${y + 13}">${escapeXml(entry.name)}</text></g>`;
      at += entryWidth(entry);
      return out;
    });
  });
  return {
    svg: `<g class="legend" fill="#333333"><rect x="${coord(x)}" y="${LEGEND_TOP}" width="${coord(boxWidth)}" height="${height}" fill="#ffffff" stroke="#cccccc"/>${parts.join('')}</g>`,
    height,
  };
}

/** The epoch of entry k: `epochs[k]` of a summarised history, else k + 1. Checks the list. */
function epochsOf(entries: number, epochs: readonly number[] | null): (k: number) => number {
  if (epochs === null) return (k) => k + 1;
  if (epochs.length !== entries) throw new PictureError('content', `the history has ${entries} entries but ${epochs.length} epochs: they must be aligned, one per entry`);
  for (let k = 0; k < entries; k++) {
    if (!(Number.isInteger(epochs[k]) && epochs[k]! >= 1 && (k === 0 || epochs[k]! > epochs[k - 1]!))) {
      throw new PictureError('content', `the epochs of the history must be whole numbers from 1, strictly increasing; entry ${k} is ${epochs[k]}`);
    }
  }
  return (k) => epochs[k]!;
}

/**
 * The points to draw (epoch, loss): every entry when there are few; otherwise, per horizontal
 * pixel, the first, lowest, highest and last loss of the entries in it, so a long run stays a
 * small file and keeps its spikes.
 */
function linePoints(history: readonly number[], epochOf: (k: number) => number, pixels: number): Array<[number, number]> {
  const entries = history.length;
  if (entries <= pixels * 2) return history.map((loss, k) => [epochOf(k), loss]);
  const out: Array<[number, number]> = [];
  const perPixel = entries / pixels;
  for (let p = 0; p < pixels; p++) {
    const start = Math.floor(p * perPixel);
    const end = Math.min(entries, Math.floor((p + 1) * perPixel));
    let lo = start;
    let hi = start;
    for (let k = start; k < end; k++) {
      if (!(history[k]! >= history[lo]!)) lo = k;
      if (!(history[k]! <= history[hi]!)) hi = k;
    }
    const picked = [...new Set([start, lo, hi, end - 1])].sort((a, b) => a - b);
    for (const k of picked) out.push([epochOf(k), history[k]!]);
  }
  return out;
}

/**
 * Ticks of a log10 axis (values are exponents), with a label step for each (its value's own
 * precision). The coarsest set that puts at least three ticks inside [low, high] wins: whole
 * decades (every k-th for a long range), then 1-2-5 within each decade, then 1…9; a range too
 * short for any of those (inside one decade, e.g. 42 → 48) gets linear 1-2-5 ticks of the value.
 */
function logTicks(low: number, high: number): { ticks: number[]; labelStep: (tick: number) => number } {
  const inside = (ticks: number[]) => ticks.filter((e) => e >= low - 1e-9 && e <= high + 1e-9);
  const perDecade = (mantissas: readonly number[]) => {
    const ticks: number[] = [];
    for (let e = Math.floor(low); e <= Math.ceil(high); e++) for (const m of mantissas) ticks.push(e + Math.log10(m));
    return inside(ticks);
  };
  const stride = Math.max(1, Math.ceil((Math.ceil(high) - Math.floor(low)) / 6));
  const decades: number[] = [];
  for (let e = Math.floor(low); e <= Math.ceil(high); e += stride) decades.push(e);
  const ownValue = (tick: number) => 10 ** tick;
  for (const ticks of [inside(decades), perDecade([1, 2, 5]), perDecade([1, 2, 3, 4, 5, 6, 7, 8, 9])]) {
    if (ticks.length >= 3) return { ticks, labelStep: ownValue };
  }
  const linear = niceTicks(10 ** low, 10 ** high, 4);
  return { ticks: linear.ticks.filter((v) => v > 0).map(Math.log10), labelStep: () => linear.step };
}

function linearTicks(low: number, high: number): { ticks: number[]; labelStep: (tick: number) => number } {
  const { ticks, step } = niceTicks(low, high, 5);
  return { ticks, labelStep: () => step };
}

function formatLoss(value: number): string {
  return Number.isFinite(value) ? Number(value.toPrecision(6)).toString() : String(value);
}
