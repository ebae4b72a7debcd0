/**
 * The pictures' geometry (issue 23, item 6), read back from the SVG: the loss chart's legend
 * covers no point of either curve; the density chart's bars leave headroom, its "dense: N" label
 * sits on no bar, its "dead" label and the first tick label do not collide; and a chart whose
 * units all fall in one bin (a dense sigmoid model: every unit fires on every row) is a note, not
 * one full-height bar.
 *
 * Text boxes are estimated as the renderer cannot measure them either: 0.6 em a character (wider
 * than system-ui's digits and lower-case letters), from 0.8 em above the baseline to 0.25 em below.
 */
import { describe, expect, it } from 'vitest';
import { renderDensityHistogramSvg, renderLossCurveSvg } from '../../src/viz/index.js';
import { findAll, parseXml, type XmlElement } from './xml.js';

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

const byClass = (root: XmlElement, name: string, className: string) => findAll(root, name).filter((e) => (e.attributes.class ?? '').split(' ').includes(className));
const num = (e: XmlElement, attribute: string) => Number(e.attributes[attribute]);
const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

function rectBox(e: XmlElement): Box {
  return { x0: num(e, 'x'), x1: num(e, 'x') + num(e, 'width'), y0: num(e, 'y'), y1: num(e, 'y') + num(e, 'height') };
}

/** The box of a <text>, from its x, y, anchor and font size (12 unless set on it). */
function textBox(e: XmlElement): Box {
  const size = e.attributes['font-size'] ? Number(e.attributes['font-size']) : 12;
  const width = e.text.length * size * 0.6;
  const x = num(e, 'x');
  const anchor = e.attributes['text-anchor'] ?? 'start';
  const x0 = anchor === 'middle' ? x - width / 2 : anchor === 'end' ? x - width : x;
  return { x0, x1: x0 + width, y0: num(e, 'y') - size * 0.8, y1: num(e, 'y') + size * 0.25 };
}

/** The plot area: the y axis line's extent and the x axis line's. */
function plotBox(svg: XmlElement): Box {
  const yAxis = findAll(byClass(svg, 'g', 'y-axis')[0]!, 'line')[0]!;
  const xAxis = findAll(byClass(svg, 'g', 'x-axis')[0]!, 'line')[0]!;
  return { x0: num(xAxis, 'x1'), x1: num(xAxis, 'x2'), y0: num(yAxis, 'y1'), y1: num(yAxis, 'y2') };
}

/** The points of an SVG path of M and L commands. */
function pathPoints(d: string): Array<[number, number]> {
  return [...d.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe('loss curve legend', () => {
  // Training falls; validation falls, then rises to the top right corner (over-fitting), where the legend used to sit.
  const epochs = 60;
  const loss = Array.from({ length: epochs }, (_, k) => 1 / (1 + k * 0.2));
  const validation = Array.from({ length: epochs }, (_, k) => (k < 20 ? 1.2 / (1 + k * 0.2) : 0.24 + (k - 20) * 0.03));

  for (const [name, options] of [
    ['validation', { validationHistory: validation }],
    ['validation and kept epoch', { validationHistory: validation, bestEpoch: 20 }],
    ['kept epoch only', { bestEpoch: 20 }],
  ] as const) {
    for (const width of [640, 400, 240]) {
      it(`should cover no point of either curve (${name}, ${width} px wide)`, () => {
        const svg = parseXml(renderLossCurveSvg(loss, { ...options, width, height: 300 }));
        const legend = byClass(svg, 'g', 'legend')[0]!;
        const box = rectBox(findAll(legend, 'rect')[0]!);
        const points = [...byClass(svg, 'path', 'loss-line'), ...byClass(svg, 'path', 'validation-line')].flatMap((p) => pathPoints(p.attributes.d!));
        expect(points.length).toBeGreaterThanOrEqual(epochs);
        for (const [x, y] of points) expect(x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1, `point ${x},${y} in the legend`).toBe(false);
        // Nor the title, nor the plot area; and it stays inside the picture.
        expect(overlaps(box, textBox(byClass(svg, 'text', 'chart-title')[0]!))).toBe(false);
        expect(overlaps(box, plotBox(svg))).toBe(false);
        expect(box.x0).toBeGreaterThanOrEqual(0);
        expect(box.x1).toBeLessThanOrEqual(width);
        // Each entry's text inside the box.
        for (const text of findAll(legend, 'text')) {
          const t = textBox(text);
          expect(t.x1, text.text).toBeLessThanOrEqual(box.x1);
          expect(t.y0).toBeGreaterThanOrEqual(box.y0);
          expect(t.y1).toBeLessThanOrEqual(box.y1);
        }
      });
    }
  }
});

describe('density histogram geometry', () => {
  /** n units at frequency f. */
  const units = (n: number, f: number) => new Array<number>(n).fill(f);
  const cases: Array<[string, number[]]> = [
    // The picture: most units just above the dense threshold, beside the dashed line.
    ['51 dense units by the line', [...units(51, 0.12), ...units(9, 0.03), ...units(4, 0)]],
    ['a tall bin at the right', [...units(40, 0.9), ...units(8, 0.2), ...units(3, 0.05)]],
    ['rare units down to 1e-2', [...units(5, 0.01), ...units(30, 0.3), ...units(2, 0)]],
    ['rare units down to 1e-10', [...units(5, 1e-10), ...units(30, 0.3), ...units(20, 0)]],
  ];

  for (const [name, frequencies] of cases) {
    for (const [width, bins] of [[640, 30], [320, 30], [240, 200]] as const) {
      it(`should give bars headroom, and keep its labels off the bars and each other (${name}, ${width} px, ${bins} bins)`, () => {
        const svg = parseXml(renderDensityHistogramSvg(frequencies, { width, height: 260, bins }));
        const plot = plotBox(svg);
        const bars = [...byClass(svg, 'rect', 'bin'), ...byClass(svg, 'rect', 'dead-bar')].map(rectBox);
        expect(bars.length).toBeGreaterThan(1);
        // Headroom: the tallest bar stays clear of the top of the plot (by the label's band).
        const tallest = Math.min(...bars.map((b) => b.y0));
        expect(tallest - plot.y0).toBeGreaterThanOrEqual(16);
        for (const b of bars) expect(b.y1).toBeCloseTo(plot.y1, 1);
        // The dense label: on no bar, inside the plot.
        const dense = findAll(byClass(svg, 'g', 'dense-line')[0]!, 'text')[0]!;
        expect(dense.text).toMatch(/^dense: \d+$/);
        const label = textBox(dense);
        for (const b of bars) expect(overlaps(label, b), `"${dense.text}" on a bar`).toBe(false);
        expect(label.x0).toBeGreaterThanOrEqual(plot.x0);
        expect(label.x1).toBeLessThanOrEqual(plot.x1);
        expect(label.y0).toBeGreaterThanOrEqual(plot.y0);
        // The x axis labels: none overlaps another ("dead" and the first decade were the pair).
        const labels = findAll(byClass(svg, 'g', 'x-axis')[0]!, 'text').map((t) => ({ text: t.text, box: textBox(t) }));
        expect(labels.map((l) => l.text)).toContain('dead');
        for (let a = 0; a < labels.length; a++) {
          for (let b = a + 1; b < labels.length; b++) {
            expect(overlaps(labels[a]!.box, labels[b]!.box), `"${labels[a]!.text}" and "${labels[b]!.text}" collide`).toBe(false);
          }
        }
      });
    }
  }

  it('should draw a note, not one full-height bar, when every unit falls in one bin (a dense sigmoid model)', () => {
    for (const [frequencies, pattern] of [
      [units(48, 1), /^all 48 units fire on 100% of rows$/],
      [[...units(40, 1), ...units(8, 0.995)], /^all 48 units fire on 99\.5% to 100% of rows$/],
    ] as const) {
      const svg = parseXml(renderDensityHistogramSvg(frequencies));
      expect(byClass(svg, 'rect', 'bin')).toHaveLength(0);
      expect(byClass(svg, 'rect', 'dead-bar')).toHaveLength(0);
      const note = findAll(byClass(svg, 'g', 'single-bin-note')[0]!, 'text').map((t) => t.text);
      expect(note[0]).toMatch(pattern);
      expect(note[1]).toBe('every unit is dense: the codes are not sparse');
      // The note inside the plot.
      const plot = plotBox(svg);
      for (const text of findAll(byClass(svg, 'g', 'single-bin-note')[0]!, 'text')) {
        const box = textBox(text);
        expect(box.x0).toBeGreaterThanOrEqual(plot.x0);
        expect(box.x1).toBeLessThanOrEqual(plot.x1);
      }
      expect(findAll(svg, 'title')[0]!.text).toBe('Feature density: 48 units, 0 dead, 48 dense (above 0.1)');
    }
    // Every unit dead is one bar too: a note says so.
    const dead = parseXml(renderDensityHistogramSvg(units(12, 0)));
    expect(byClass(dead, 'rect', 'dead-bar')).toHaveLength(0);
    expect(findAll(byClass(dead, 'g', 'single-bin-note')[0]!, 'text')[0]!.text).toBe('all 12 units are dead (never active)');
  });
});
