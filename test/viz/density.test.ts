/** The feature-density histogram: bins against a by-hand count, and a well-formed SVG with its parts. */
import { describe, expect, it } from 'vitest';
import { densityBins, PictureError, renderDensityHistogramSvg } from '../../src/viz/index.js';
import { findAll, parseXml, type XmlElement } from './xml.js';

function byClass(root: XmlElement, name: string, className: string): XmlElement[] {
  return findAll(root, name).filter((e) => (e.attributes.class ?? '').split(' ').includes(className));
}

// 3 dead, 1 at 1e-3, 2 at 0.01, 1 at 0.5, 2 always active (frequency 1)
const frequencies = [0, 0.001, 0.01, 0, 0.01, 0.5, 1, 1, 0];

describe('densityBins', () => {
  it('should count dead units apart and bin log10 frequency over [low decade, 0]', () => {
    const bins = densityBins(frequencies, 3);
    expect(bins).toEqual({ dead: 3, low: -3, high: 0, counts: [1, 2, 3] });
    // a finer binning puts each where log10 says: 1e-3 → bin 0, 0.01 → bin 2, 0.5 → bin 5, 1 → the last
    expect(densityBins(frequencies, 6).counts).toEqual([1, 0, 2, 0, 0, 3]);
    expect(densityBins([0.5, 0.2], 2)).toEqual({ dead: 0, low: -1, high: 0, counts: [1, 1] });
    expect(densityBins([0, 0], 4)).toEqual({ dead: 2, low: -1, high: 0, counts: [0, 0, 0, 0] });
  });

  it('should refuse no units or a frequency outside [0, 1] (content) and bad bins (layout)', () => {
    expect(() => densityBins([])).toThrow(PictureError);
    expect(() => densityBins([0.2, 1.5])).toThrow(/unit 1's firing frequency 1.5/);
    expect(() => densityBins([Number.NaN])).toThrow(PictureError);
    try {
      densityBins([0.1], 0);
      expect.unreachable();
    } catch (error) {
      expect((error as PictureError).about).toBe('layout');
    }
  });
});

describe('renderDensityHistogramSvg', () => {
  it('should parse as XML with a title, labelled axes, a dead bar, the bins and the dense line', () => {
    const svg = parseXml(renderDensityHistogramSvg(frequencies, { bins: 6, title: 'Density <&>' }));
    expect(svg.name).toBe('svg');
    expect(svg.attributes).toMatchObject({ width: '640', height: '400' });
    expect(findAll(svg, 'title')[0]!.text).toBe('Density <&>: 9 units, 3 dead, 3 dense (above 0.1)');
    expect(byClass(svg, 'text', 'x-label')[0]!.text).toMatch(/^log10 firing frequency/);
    expect(byClass(svg, 'text', 'y-label')[0]!.text).toBe('hidden units');
    expect(byClass(svg, 'text', 'dead-label')[0]!.text).toBe('dead');
    const dead = byClass(svg, 'rect', 'dead-bar');
    expect(dead).toHaveLength(1);
    const bins = byClass(svg, 'rect', 'bin');
    expect(bins).toHaveLength(3); // empty bins draw nothing
    // bar heights are proportional to the counts: the 3 dead and the 3-unit bin equally tall, the 2-unit bin 2/3 of that
    const height = (e: XmlElement) => Number(e.attributes.height);
    expect(height(dead[0]!)).toBeCloseTo(height(bins[2]!), 1);
    expect(height(bins[1]!) / height(bins[2]!)).toBeCloseTo(2 / 3, 2);
    // the dead bar is left of every bin
    for (const b of bins) expect(Number(b.attributes.x)).toBeGreaterThan(Number(dead[0]!.attributes.x) + Number(dead[0]!.attributes.width));
    expect(byClass(svg, 'g', 'dense-line')).toHaveLength(1);
    // x tick labels are the whole decades −3 … 0
    const labels = findAll(byClass(svg, 'g', 'x-axis')[0]!, 'text').map((t) => t.text);
    expect(labels).toEqual(['-3', '-2', '-1', '0', 'dead']);
  });

  it('should refuse a picture under 240 × 160 as a layout problem', () => {
    try {
      renderDensityHistogramSvg([0.5], { width: 100 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PictureError);
      expect((error as PictureError).about).toBe('layout');
    }
  });
});
