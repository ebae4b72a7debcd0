/**
 * The feature-density histogram as an SVG bar chart, as SAE training reports draw it: for every
 * hidden unit log10 of its firing frequency (the fraction of rows where it is active,
 * SparseAutoencoder.firingFrequency), binned; units that never fire (log10 0 = −∞) get their own
 * bar at the left, labelled "dead"; a dashed line marks the dense threshold. Runtime-neutral.
 */
import { PictureError } from './picture-error.js';
import { coord, escapeXml, formatTick, niceTicks } from './svg.js';

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
  // The dead bar takes one slot of the bins' width (at least 14 px) at the left, then a gap.
  const slot = Math.max(14, plot.w / (counts.length + 4));
  const deadX = plot.x + slot * 0.4;
  const binsX = plot.x + slot * 2.6;
  const binsW = plot.x + plot.w - binsX;
  const binW = binsW / counts.length;
  const px = (exponent: number) => binsX + ((exponent - low) / (high - low)) * binsW;
  // A loop, not Math.max(...counts): no picture spreads an array into a call (its length is the caller's).
  let top = Math.max(1, dead);
  for (const count of counts) if (count > top) top = count;
  const yTicks = niceTicks(0, top, 5);
  const yMax = Math.max(top, yTicks.ticks.at(-1) ?? top);
  const py = (count: number) => plot.y + plot.h - (count / yMax) * plot.h;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="density-title" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<title id="density-title">${escapeXml(title)}: ${units} unit${units === 1 ? '' : 's'}, ${dead} dead${dense === null ? '' : `, ${denseUnits} dense (above ${dense})`}</title>`,
    `<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="chart-title" x="${coord(plot.x + plot.w / 2)}" y="${MARGIN.top - 16}" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  );

  const grid: string[] = [];
  const yAxis: string[] = [];
  for (const tick of yTicks.ticks) {
    if (!Number.isInteger(tick) || tick > yMax) continue;
    const y = py(tick);
    grid.push(`<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${coord(y)}" y2="${coord(y)}"/>`);
    yAxis.push(`<line x1="${plot.x - 5}" x2="${plot.x}" y1="${coord(y)}" y2="${coord(y)}"/><text x="${plot.x - 8}" y="${coord(y + 4)}" text-anchor="end" stroke="none">${tick}</text>`);
  }
  const xAxis: string[] = [];
  const xTicks = niceTicks(low, high, Math.min(8, high - low)).ticks.filter((e) => Number.isInteger(e) && e >= low && e <= high);
  for (const exponent of xTicks) {
    const x = px(exponent);
    xAxis.push(`<line x1="${coord(x)}" x2="${coord(x)}" y1="${plot.y + plot.h}" y2="${plot.y + plot.h + 5}"/><text x="${coord(x)}" y="${plot.y + plot.h + 18}" text-anchor="middle" stroke="none">${escapeXml(formatTick(exponent, 1))}</text>`);
  }
  const deadCentre = deadX + slot / 2;
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
  bar('dead-bar', deadX, slot, dead, DEAD_COLOUR, `${dead} dead unit${dead === 1 ? '' : 's'} (never active)`);
  counts.forEach((count, k) => {
    const from = low + ((high - low) * k) / counts.length;
    const to = low + ((high - low) * (k + 1)) / counts.length;
    bar('bin', binsX + k * binW + 0.5, binW - 1, count, BAR_COLOUR, `${count} unit${count === 1 ? '' : 's'} with log10 frequency in [${from.toFixed(2)}, ${to.toFixed(2)}${k === counts.length - 1 ? ']' : ')'}`);
  });
  parts.push(`<g class="bars">${bars.join('')}</g>`);
  if (dense !== null && dense > 0 && Math.log10(dense) > low) {
    const x = px(Math.log10(dense));
    parts.push(
      `<g class="dense-line" stroke="${DENSE_COLOUR}" fill="${DENSE_COLOUR}"><line x1="${coord(x)}" x2="${coord(x)}" y1="${plot.y}" y2="${plot.y + plot.h}" stroke-dasharray="4 3"/><text x="${coord(x + 4)}" y="${plot.y + 12}" stroke="none">dense: ${denseUnits}</text></g>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
