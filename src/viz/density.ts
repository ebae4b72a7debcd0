/**
 * The feature-density histogram as an SVG bar chart, as SAE training reports draw it: for every
 * hidden unit log10 of its firing frequency (the fraction of rows where it is active,
 * SparseAutoencoder.firingFrequency), binned; units that never fire (log10 0 = −∞) get their own
 * bar at the left, labelled "dead"; a dashed line marks the dense threshold. Runtime-neutral.
 */
import { PictureError } from './picture-error.js';
import { coord, escapeXml, formatTick, niceTicks, textWidth } from './svg.js';

export interface DensityHistogramOptions {
  /** Picture size in CSS pixels (default 640 × 400). */
  width?: number;
  height?: number;
  /** Bins over the log10 range (default 30, at most 200). */
  bins?: number;
  /** Chart title (default "Feature density"). */
  title?: string;
  /** The frequency above which a unit is dense, drawn as a dashed line (default 0.1; null: none). */
  denseFrequency?: number | null;
}

/** The counts drawn: units never active, and the others binned by log10 frequency over [low, high]. */
export interface DensityBins {
  dead: number;
  /** Left edge of the first bin and right edge of the last, in log10 units (high is 0: frequency 1). */
  low: number;
  high: number;
  counts: number[];
}

const MARGIN = { top: 40, right: 24, bottom: 48, left: 64 };
/** A band at the top of the plot that no bar reaches: the bars' headroom, where the dense line's label sits. */
const HEADROOM = 18;
const BAR_COLOUR = '#1f77b4';
const DEAD_COLOUR = '#7f7f7f';
const DENSE_COLOUR = '#d62728';

/**
 * Bins the log10 firing frequencies: [low, 0] in `bins` equal bins, low the whole decade at or
 * below the rarest active unit (at most −1); a value on an edge goes to the bin on its right, 0
 * (always active) into the last. Throws a PictureError (content) for no units, or a frequency
 * outside [0, 1].
 */
export function densityBins(frequencies: ArrayLike<number>, bins = 30): DensityBins {
  if (frequencies.length === 0) throw new PictureError('content', 'there are no hidden units to draw');
  if (!(Number.isInteger(bins) && bins >= 1 && bins <= 200)) throw new PictureError('layout', `bins must be a whole number from 1 to 200, got ${bins}`);
  let dead = 0;
  let rarest = 1;
  for (let j = 0; j < frequencies.length; j++) {
    const f = frequencies[j]!;
    if (!(f >= 0 && f <= 1)) throw new PictureError('content', `unit ${j}'s firing frequency ${f} is not in [0, 1]`);
    if (f === 0) dead++;
    else rarest = Math.min(rarest, f);
  }
  const low = Math.min(-1, Math.floor(Math.log10(rarest)));
  const high = 0;
  const counts = new Array<number>(bins).fill(0);
  for (let j = 0; j < frequencies.length; j++) {
    const f = frequencies[j]!;
    if (f === 0) continue;
    const k = Math.floor(((Math.log10(f) - low) / (high - low)) * bins);
    counts[Math.min(bins - 1, Math.max(0, k))]! += 1;
  }
  return { dead, low, high, counts };
}

/** SAELens' log10(density + 1e-10) of a unit that never fired: −10. At or below it, a unit is dead. */
export const DEAD_LOG_DENSITY = -10;

/**
 * The densities of log10 values as an imported SAE carries them (SAELens' sparsity.safetensors,
 * model.logFeatureDensity): 10^v, a value at or below DEAD_LOG_DENSITY read as 0 (never fired),
 * capped at 1 (log10(1 + 1e-10) rounds just above 0).
 */
export function frequenciesFromLog10(values: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: values.length }, (_, j) => (values[j]! <= DEAD_LOG_DENSITY ? 0 : Math.min(1, 10 ** values[j]!)));
}

/**
 * Renders the histogram of `frequencies` (one per hidden unit, each in [0, 1]) as an SVG document.
 * Throws a PictureError: about the content for no units or a frequency outside [0, 1], about the
 * layout for a picture under 240 × 160 or bins outside 1…200.
 *
 * @example
 * const svg = renderDensityHistogramSvg(model.firingFrequency(rows));
 */
export function renderDensityHistogramSvg(frequencies: ArrayLike<number>, options: DensityHistogramOptions = {}): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const title = options.title ?? 'Feature density';
  const dense = options.denseFrequency === undefined ? 0.1 : options.denseFrequency;
  if (!(width >= 240 && height >= 160)) throw new PictureError('layout', `a density histogram needs at least 240 × 160 pixels, got ${width} × ${height}`);
  const { dead, low, high, counts } = densityBins(frequencies, options.bins ?? 30);
  const units = frequencies.length;
  let denseUnits = 0;
  if (dense !== null) for (let j = 0; j < units; j++) if (frequencies[j]! > dense) denseUnits++;

  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  // The dead bar takes one slot of the bins' width (at least 14 px) at the left, then a gap wide
  // enough that its "dead" label and the first decade's label (at the bins' left edge) keep apart.
  const slot = Math.max(14, plot.w / (counts.length + 4));
  const deadX = plot.x + slot * 0.4;
  const deadCentre = deadX + slot / 2;
  const binsX = Math.max(plot.x + slot * 2.6, deadCentre + textWidth('dead') / 2 + textWidth(formatTick(low, 1)) / 2 + 6);
  const binsW = plot.x + plot.w - binsX;
  const binW = binsW / counts.length;
  const px = (exponent: number) => binsX + ((exponent - low) / (high - low)) * binsW;
  // The count axis runs to a round value at or above what leaves the tallest bar HEADROOM under the top.
  // A loop, not Math.max(...counts): no picture spreads an array into a call (its length is the caller's).
  let top = Math.max(1, dead);
  for (const count of counts) if (count > top) top = count;
  const needed = (top * plot.h) / (plot.h - HEADROOM);
  const step = niceTicks(0, needed, 5).step;
  const yMax = Math.ceil(needed / step - 1e-9) * step;
  const yTicks: number[] = [];
  for (let k = 0; k * step <= yMax + 1e-9; k++) yTicks.push(Number.parseFloat((k * step).toPrecision(12)));
  const py = (count: number) => plot.y + plot.h - (count / yMax) * plot.h;
  // Every unit in one bar (all dead, or all firing alike: a dense sigmoid model's units fire on
  // every row) is no distribution to draw: a note says what the one bar would have.
  const oneBar = (dead > 0 ? 1 : 0) + counts.filter((count) => count > 0).length === 1;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="density-title" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<title id="density-title">${escapeXml(title)}: ${units} unit${units === 1 ? '' : 's'}, ${dead} dead${dense === null ? '' : `, ${denseUnits} dense (above ${dense})`}</title>`,
    `<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="chart-title" x="${coord(plot.x + plot.w / 2)}" y="${MARGIN.top - 16}" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  );

  const grid: string[] = [];
  const yAxis: string[] = [];
  for (const tick of oneBar ? [] : yTicks) {
    if (!Number.isInteger(tick)) continue;
    const y = py(tick);
    grid.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${coord(y)}" y2="${coord(y)}"/>`);
    yAxis.push(`<line x1="${plot.x - 5}" x2="${plot.x}" y1="${coord(y)}" y2="${coord(y)}"/><text x="${plot.x - 8}" y="${coord(y + 4)}" text-anchor="end" stroke="none">${tick}</text>`);
  }
  const xAxis: string[] = [];
  // As many decades labelled as fit side by side (the widest label, low's, with 10 px between).
  const fitting = Math.max(1, Math.floor(binsW / (textWidth(formatTick(low, 1)) + 10)));
  const xTicks = niceTicks(low, high, Math.min(8, high - low, fitting)).ticks.filter((e) => Number.isInteger(e) && e >= low && e <= high);
  for (const exponent of xTicks) {
    const x = px(exponent);
    xAxis.push(`<line x1="${coord(x)}" x2="${coord(x)}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h + 5}"/><text x="${coord(x)}" y="${plot.y + plot.h + 18}" text-anchor="middle" stroke="none">${escapeXml(formatTick(exponent, 1))}</text>`);
  }
  xAxis.push(`<text class="dead-label" x="${coord(deadCentre)}" y="${plot.y + plot.h + 18}" text-anchor="middle" stroke="none">dead</text>`);
  parts.push(
    `<g class="grid" stroke="#e6e6e6" stroke-width="1">${grid.join('')}</g>`,
    `<g class="axis x-axis" stroke="#333333" fill="#333333"><line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h}"/>${xAxis.join('')}</g>`,
    `<g class="axis y-axis" stroke="#333333" fill="#333333"><line x1="${plot.x}" x2="${plot.x}" y1="${plot.y}" y2="${plot.y + plot.h}"/>${yAxis.join('')}</g>`,
    `<text class="x-label" x="${coord(binsX + binsW / 2)}" y="${height - 10}" text-anchor="middle">log10 firing frequency (fraction of rows where the unit is active)</text>`,
    `<text class="y-label" transform="translate(16 ${coord(plot.y + plot.h / 2)}) rotate(-90)" text-anchor="middle">hidden units</text>`,
  );

  const bars: string[] = [];
  const bar = (cls: string, x: number, w: number, count: number, colour: string, label: string) => {
    if (count === 0) return;
    const y = py(count);
    bars.push(`<rect class="${cls}" x="${coord(x)}" y="${coord(y)}" width="${coord(Math.max(0.5, w))}" height="${coord(plot.y + plot.h - y)}" fill="${colour}"><title>${escapeXml(label)}</title></rect>`);
  };
  if (!oneBar) bar('dead-bar', deadX, slot, dead, DEAD_COLOUR, `${dead} dead unit${dead === 1 ? '' : 's'} (never active)`);
  if (!oneBar) counts.forEach((count, k) => {
    const from = low + ((high - low) * k) / counts.length;
    const to = low + ((high - low) * (k + 1)) / counts.length;
    bar('bin', binsX + k * binW + 0.5, binW - 1, count, BAR_COLOUR, `${count} unit${count === 1 ? '' : 's'} with log10 frequency in [${from.toFixed(2)}, ${to.toFixed(2)}${k === counts.length - 1 ? ']' : ')'}`);
  });
  parts.push(`<g class="bars">${bars.join('')}</g>`);
  if (dense !== null && dense > 0 && Math.log10(dense) > low) {
    const x = px(Math.log10(dense));
    // In the headroom band, right of the line, or left of it where the plot ends first.
    const label = `dense: ${denseUnits}`;
    const right = x + 4 + textWidth(label) <= plot.x + plot.w;
    parts.push(
      `<g class="dense-line" stroke="${DENSE_COLOUR}" fill="${DENSE_COLOUR}"><line x1="${coord(x)}" x2="${coord(x)}" y1="${plot.y}" y2="${plot.y + plot.h}" stroke-dasharray="4 3"/><text x="${coord(right ? x + 4 : x - 4)}" y="${plot.y + 13}"${right ? '' : ' text-anchor="end"'} stroke="none">${escapeXml(label)}</text></g>`,
    );
  }
  if (oneBar) parts.push(oneBarNote(frequencies, dead, dense, denseUnits, plot));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Percent of rows, to three significant digits ("99.5", "100"). */
const percent = (frequency: number) => String(Number((frequency * 100).toPrecision(3)));

/**
 * What a chart whose units all fall in one bar says instead of the bar: what the units do, and
 * (when every unit is dense) that the codes are not sparse. On a white box, over the dense line.
 */
function oneBarNote(frequencies: ArrayLike<number>, dead: number, dense: number | null, denseUnits: number, plot: { x: number; y: number; w: number; h: number }): string {
  const units = frequencies.length;
  const lines: string[] = [];
  if (dead === units) {
    lines.push(`all ${units} units are dead (never active)`);
  } else {
    let lowest = 1;
    let highest = 0;
    for (let j = 0; j < units; j++) {
      lowest = Math.min(lowest, frequencies[j]!);
      highest = Math.max(highest, frequencies[j]!);
    }
    const range = percent(lowest) === percent(highest) ? `${percent(highest)}%` : `${percent(lowest)}% to ${percent(highest)}%`;
    lines.push(`all ${units} units fire on ${range} of rows`);
    lines.push(dense !== null && denseUnits === units ? 'every unit is dense: the codes are not sparse' : 'one bin of the histogram holds every unit');
  }
  const boxW = Math.min(plot.w - 8, Math.max(...lines.map((line) => textWidth(line))) + 16);
  const boxH = lines.length * 18 + 10;
  const cx = plot.x + plot.w / 2;
  const y = plot.y + (plot.h - boxH) / 2;
  const texts = lines.map((line, k) => `<text x="${coord(cx)}" y="${coord(y + 18 + k * 18)}" text-anchor="middle">${escapeXml(line)}</text>`);
  return `<g class="single-bin-note" fill="#333333"><rect x="${coord(cx - boxW / 2)}" y="${coord(y)}" width="${coord(boxW)}" height="${boxH}" fill="#ffffff" stroke="#cccccc"/>${texts.join('')}</g>`;
}
