/** The filter grid: display_network's layout and normalisation, as SVG (well-formed) and PNG. */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { filterShape, filterTiles, parseShape, renderFilterGrid, renderFiltersPng, renderFiltersSvg } from '../../src/viz/index.js';
import { decodePng } from './png-decode.js';
import { findAll, parseXml } from './xml.js';

/** W1 [n×h] where unit j's filter is a ramp over the inputs, scaled by j + 1 (and one zero filter). */
function ramps(n: number, h: number): Float32Array {
  const w = new Float32Array(n * h);
  for (let i = 0; i < n; i++) for (let j = 0; j < h; j++) w[i * h + j] = j === h - 1 ? 0 : ((i / (n - 1)) * 2 - 1) * (j + 1);
  return w;
}

describe('filter shapes', () => {
  it('should be square for square input sizes, else the most nearly square', () => {
    expect(filterShape(784)).toEqual({ width: 28, height: 28 });
    expect(filterShape(12)).toEqual({ width: 4, height: 3 });
    expect(filterShape(7)).toEqual({ width: 7, height: 1 });
    expect(filterShape(12, { width: 6, height: 2 })).toEqual({ width: 6, height: 2 });
    expect(() => filterShape(12, { width: 5, height: 2 })).toThrow(/10 pixels, but the model has 12 inputs/);
    expect(parseShape('28x28')).toEqual({ width: 28, height: 28 });
    expect(() => parseShape('28')).toThrow(/WIDTHxHEIGHT/);
  });
});

describe('filterTiles', () => {
  it('should scale each filter by its own largest weight, after removing the mean (display_network)', () => {
    const n = 9;
    const h = 3;
    const tiles = filterTiles({ inputSize: n, hiddenSize: h, weights: ramps(n, h) }, { width: 3, height: 3 });
    expect(tiles).toHaveLength(3);
    // Units 0 and 1 are the same ramp at different scales: the same picture, black to white.
    expect(Array.from(tiles[0]!)).toEqual(Array.from(tiles[1]!));
    expect(tiles[0]![0]).toBe(0);
    expect(tiles[0]![8]).toBe(255);
    // The all-zero filter: after the (zero) mean is removed it is 0 everywhere: mid-gray.
    expect(new Set(tiles[2]!)).toEqual(new Set([128]));
  });
});

describe('renderFiltersSvg', () => {
  it('should parse as XML with one <image class="filter"> a unit, each a PNG of the filter size', () => {
    const n = 16;
    const h = 10;
    const text = renderFiltersSvg({ inputSize: n, hiddenSize: h, weights: ramps(n, h) });
    const svg = parseXml(text);
    expect(svg.name).toBe('svg');
    const images = findAll(svg, 'image');
    expect(images).toHaveLength(h);
    // 4 columns (⌈√10⌉), 3 rows, 4×4 tiles magnified 6× (tiles of about 24 px), 1-pixel borders.
    expect(svg.attributes.width).toBe(String((1 + 4 * 5) * 6));
    expect(svg.attributes.height).toBe(String((1 + 3 * 5) * 6));
    images.forEach((image, unit) => {
      expect(image.attributes.class).toBe('filter');
      expect(image.attributes['data-unit']).toBe(String(unit));
      expect(findAll(image, 'title')[0]!.text).toBe(`unit ${unit}`);
      expect([image.attributes.width, image.attributes.height]).toEqual(['24', '24']);
      const href = image.attributes.href!;
      expect(href).toMatch(/^data:image\/png;base64,/);
      const png = decodePng(Buffer.from(href.slice(href.indexOf(',') + 1), 'base64'));
      expect([png.width, png.height]).toEqual([4, 4]);
    });
    expect(findAll(svg, 'title')[0]!.text).toBe('Filters of 10 hidden units (4×4 inputs each)');
  });
});

describe('renderFiltersPng', () => {
  it('should decode to the stated size: ⌈√h⌉ columns of tiles with 1-pixel borders', () => {
    const n = 784;
    const h = 196;
    const weights = ramps(n, h);
    const grid = renderFilterGrid({ inputSize: n, hiddenSize: h, weights });
    expect([grid.columns, grid.rows, grid.scale]).toEqual([14, 14, 1]);
    for (const deflate of [undefined, (b: Uint8Array) => deflateSync(b)]) {
      const png = decodePng(renderFiltersPng({ inputSize: n, hiddenSize: h, weights }, deflate ? { deflate } : {}));
      expect([png.width, png.height]).toEqual([1 + 14 * 29, 1 + 14 * 29]);
      expect(Buffer.from(png.pixels).equals(Buffer.from(grid.pixels))).toBe(true);
    }
    // Borders are black; unit 0's first pixel (the ramp's lowest weight) is black, its last white.
    expect(grid.pixels[0]).toBe(0);
    const { x, y } = grid.tiles[0]!;
    expect(grid.pixels[y * grid.width + x]).toBe(0);
    expect(grid.pixels[(y + 27) * grid.width + x + 27]).toBe(255);
  });

  it('should honour --shape, scale, columns and count', () => {
    const weights = ramps(12, 5);
    const grid = renderFilterGrid({ inputSize: 12, hiddenSize: 5, weights }, { shape: { width: 6, height: 2 }, scale: 3, columns: 2, count: 3 });
    expect(grid.tiles).toHaveLength(3);
    expect([grid.width, grid.height]).toEqual([(1 + 2 * 7) * 3, (1 + 2 * 3) * 3]);
    const png = decodePng(renderFiltersPng({ inputSize: 12, hiddenSize: 5, weights }, { shape: { width: 6, height: 2 }, scale: 3, columns: 2, count: 3 }));
    expect([png.width, png.height]).toEqual([45, 21]);
  });
});
