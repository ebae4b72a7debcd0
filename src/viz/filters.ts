/**
 * The learned filters: each hidden unit's input weights (a column of W1) drawn as a small
 * grayscale image, in a grid, as UFLDL's display_network.m draws them: subtract the mean of all
 * weights, scale each filter by its own largest absolute weight to [−1, 1] (−1 black, 0 mid-gray,
 * +1 white), a one-pixel black border between tiles, ⌈√h⌉ columns. Runtime-neutral.
 *
 * see: UFLDL Tutorial, "Visualizing a Trained Autoencoder" and display_network.m
 */
import { base64, encodePng, type GrayImage, type ZlibDeflate } from './png.js';
import { PictureError } from './picture-error.js';
import { escapeXml } from './svg.js';

/** W1 of a model, row-major `[inputSize × hiddenSize]`: `weights[i * hiddenSize + j]` = W1[i][j]. */
export interface EncoderWeights {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly weights: ArrayLike<number>;
}

/** How one filter's inputs lie on the picture: `width × height = inputSize`, row-major. */
export interface FilterShape {
  readonly width: number;
  readonly height: number;
}

export interface FilterGridOptions {
  /** Default: square when inputSize is a square number, else the most nearly square W × H (W ≥ H). */
  shape?: FilterShape;
  /** Whole-pixel magnification (default: enough for tiles of about 24 pixels, at least 1). */
  scale?: number;
  /** Tiles a row (default ⌈√count⌉). */
  columns?: number;
  /** Draw only the first `count` units (default all). */
  count?: number;
}

/** A rendered grid and where each unit's tile is, in picture pixels. */
export interface FilterGrid extends GrayImage {
  readonly shape: FilterShape;
  readonly scale: number;
  readonly columns: number;
  readonly rows: number;
  readonly tiles: ReadonlyArray<{ unit: number; x: number; y: number }>;
}

const BORDER = 1;
const MAX_PICTURE_PIXELS = 64 * 1024 * 1024;

/**
 * Reads "WxH" (or "W×H"). Throws a PictureError (about the layout) with the expected form.
 *
 * @example parseShape('28x28') // { width: 28, height: 28 }
 */
export function parseShape(text: string): FilterShape {
  const match = /^\s*(\d+)\s*[x×X*]\s*(\d+)\s*$/.exec(text);
  const width = match ? Number(match[1]) : NaN;
  const height = match ? Number(match[2]) : NaN;
  if (!(width >= 1 && height >= 1)) throw new PictureError('layout', `expected WIDTHxHEIGHT with whole numbers ≥ 1, such as 28x28, got ${JSON.stringify(text)}`);
  return { width, height };
}

/** The shape to draw inputs of `inputSize` in; checks a given one covers exactly the inputs. */
export function filterShape(inputSize: number, given?: FilterShape): FilterShape {
  if (given) {
    if (given.width * given.height !== inputSize) {
      throw new PictureError('layout', `shape ${given.width}x${given.height} has ${given.width * given.height} pixels, but the model has ${inputSize} inputs`);
    }
    return given;
  }
  // The largest divisor not above √n gives the most nearly square rectangle (a square when n is one).
  for (let height = Math.floor(Math.sqrt(inputSize)); height >= 1; height--) {
    if (inputSize % height === 0) return { width: inputSize / height, height };
  }
  return { width: inputSize, height: 1 };
}

/**
 * Each unit's filter as grayscale pixels (row-major, `shape.width × shape.height`), normalised
 * as display_network does: global mean removed, then each filter divided by its own max |w|.
 */
export function filterTiles(encoder: EncoderWeights, shape: FilterShape, count = encoder.hiddenSize): Uint8Array[] {
  const { inputSize: n, hiddenSize: h, weights } = encoder;
  checkWeights(encoder);
  let sum = 0;
  for (let k = 0; k < n * h; k++) sum += weights[k]!;
  const mean = sum / (n * h);
  const tiles: Uint8Array[] = [];
  for (let j = 0; j < Math.min(count, h); j++) {
    let limit = 0;
    for (let i = 0; i < n; i++) limit = Math.max(limit, Math.abs(weights[i * h + j]! - mean));
    const tile = new Uint8Array(shape.width * shape.height);
    for (let i = 0; i < n; i++) {
      const v = limit > 0 ? (weights[i * h + j]! - mean) / limit : 0;
      tile[i] = Math.round(((v + 1) / 2) * 255);
    }
    tiles.push(tile);
  }
  return tiles;
}

/** Lays the tiles out in a grid: black background and borders, `scale`× magnified. */
export function renderFilterGrid(encoder: EncoderWeights, options: FilterGridOptions = {}): FilterGrid {
  const layout = gridLayout(encoder, options);
  const { shape, scale, columns, rows } = layout;
  const tiles = filterTiles(encoder, shape, layout.count);
  const width = (BORDER + columns * (shape.width + BORDER)) * scale;
  const height = (BORDER + rows * (shape.height + BORDER)) * scale;
  const pixels = new Uint8Array(width * height); // 0: black background, as display_network's −1
  const placed = tiles.map((tile, unit) => {
    const x = (BORDER + (unit % columns) * (shape.width + BORDER)) * scale;
    const y = (BORDER + Math.floor(unit / columns) * (shape.height + BORDER)) * scale;
    for (let ty = 0; ty < shape.height * scale; ty++) {
      const source = Math.floor(ty / scale) * shape.width;
      const target = (y + ty) * width + x;
      for (let tx = 0; tx < shape.width * scale; tx++) pixels[target + tx] = tile[source + Math.floor(tx / scale)]!;
    }
    return { unit, x, y };
  });
  return { width, height, pixels, shape, scale, columns, rows, tiles: placed };
}

/**
 * The filter grid as PNG bytes.
 *
 * @example
 * writeFileSync('filters.png', renderFiltersPng({ inputSize: 784, hiddenSize: 196, weights: W1 }));
 */
export function renderFiltersPng(encoder: EncoderWeights, options: FilterGridOptions & { deflate?: ZlibDeflate } = {}): Uint8Array {
  return encodePng(renderFilterGrid(encoder, options), options.deflate ? { deflate: options.deflate } : {});
}

/**
 * The filter grid as SVG: a black background and one `<image class="filter">` a unit (a PNG of
 * the filter at its own resolution, drawn with crisp pixels), each with a `<title>` naming it.
 */
export function renderFiltersSvg(encoder: EncoderWeights, options: FilterGridOptions & { deflate?: ZlibDeflate; title?: string } = {}): string {
  const layout = gridLayout(encoder, options);
  const { shape, scale, columns, rows } = layout;
  const tiles = filterTiles(encoder, shape, layout.count);
  const width = (BORDER + columns * (shape.width + BORDER)) * scale;
  const height = (BORDER + rows * (shape.height + BORDER)) * scale;
  const title = options.title ?? `Filters of ${layout.count} hidden unit${layout.count === 1 ? '' : 's'} (${shape.width}×${shape.height} inputs each)`;
  const png = options.deflate ? { deflate: options.deflate } : {};
  const images = tiles.map((tile, unit) => {
    const x = (BORDER + (unit % columns) * (shape.width + BORDER)) * scale;
    const y = (BORDER + Math.floor(unit / columns) * (shape.height + BORDER)) * scale;
    const href = `data:image/png;base64,${base64(encodePng({ width: shape.width, height: shape.height, pixels: tile }, png))}`;
    return `<image class="filter" data-unit="${unit}" x="${x}" y="${y}" width="${shape.width * scale}" height="${shape.height * scale}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${href}"><title>unit ${unit}</title></image>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="filters-title">`,
    `<title id="filters-title">${escapeXml(title)}</title>`,
    `<rect class="background" width="${width}" height="${height}" fill="#000000"/>`,
    `<g class="filters">`,
    ...images,
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}

function gridLayout(encoder: EncoderWeights, options: FilterGridOptions) {
  checkWeights(encoder);
  const shape = filterShape(encoder.inputSize, options.shape);
  const count = Math.min(encoder.hiddenSize, options.count ?? encoder.hiddenSize);
  if (!(Number.isInteger(count) && count >= 1)) throw new PictureError('layout', `count must be a whole number ≥ 1, got ${options.count}`);
  const columns = Math.min(count, options.columns ?? Math.ceil(Math.sqrt(count)));
  if (!(Number.isInteger(columns) && columns >= 1)) throw new PictureError('layout', `columns must be a whole number ≥ 1, got ${options.columns}`);
  const rows = Math.ceil(count / columns);
  const scale = options.scale ?? Math.max(1, Math.floor(24 / Math.max(shape.width, shape.height)));
  if (!(Number.isInteger(scale) && scale >= 1 && scale <= 64)) throw new PictureError('layout', `scale must be a whole number from 1 to 64, got ${options.scale}`);
  const pixels = ((BORDER + columns * (shape.width + BORDER)) * scale) * ((BORDER + rows * (shape.height + BORDER)) * scale);
  if (pixels > MAX_PICTURE_PIXELS) throw new PictureError('layout', `the picture would have ${pixels} pixels (more than ${MAX_PICTURE_PIXELS}); use a smaller scale or count`);
  return { shape, count, columns, rows, scale };
}

function checkWeights({ inputSize, hiddenSize, weights }: EncoderWeights): void {
  if (!(Number.isInteger(inputSize) && inputSize >= 1 && Number.isInteger(hiddenSize) && hiddenSize >= 1)) {
    throw new PictureError('content', `inputSize and hiddenSize must be whole numbers ≥ 1, got ${inputSize} and ${hiddenSize}`);
  }
  if (weights.length !== inputSize * hiddenSize) {
    throw new PictureError('content', `expected ${inputSize * hiddenSize} encoder weights (${inputSize} × ${hiddenSize}), got ${weights.length}`);
  }
}
