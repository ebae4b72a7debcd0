/** Small helpers shared by the SVG renderers: escaping, number formatting, axis ticks. */

/** Escapes text for an XML text node or attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

/** A coordinate with at most two decimals, without trailing zeros. */
export function coord(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * About `count` evenly spaced round values (steps of 1, 2 or 5 × 10^k) covering [min, max].
 * see: Heckbert, "Nice numbers for graph labels", Graphics Gems (1990)
 */
export function niceTicks(min: number, max: number, count = 5): { ticks: number[]; step: number } {
  if (!(max > min)) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, count);
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * power;
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(cleanFloat(k * step));
  return { ticks, step };
}

/** A tick label: as many decimals as the step needs; exponent notation for very large or small values. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(Math.max(0, Math.min(3, significantDecimals(value))));
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  return value.toFixed(decimals);
}

function significantDecimals(value: number): number {
  const mantissa = value.toExponential().split('e')[0]!;
  return (mantissa.split('.')[1] ?? '').length;
}

function cleanFloat(value: number): number {
  return Number.parseFloat(value.toPrecision(12));
}

/**
 * The width a line of text takes, estimated (an SVG renderer cannot measure text before it is
 * drawn): 0.6 em a character, wider than system-ui's digits and lower-case letters, so labels
 * laid out by it keep clear of each other in any common sans-serif.
 */
export function textWidth(text: string, fontSize = 12): number {
  return text.length * fontSize * 0.6;
}
