/** The loss curve SVG: well-formed XML with the chart's parts, and a line through every epoch. */
import { describe, expect, it } from 'vitest';
import { renderLossCurveSvg } from '../../src/viz/index.js';
import { findAll, parseXml, type XmlElement } from './xml.js';

const history = Array.from({ length: 200 }, (_, k) => 10 * Math.exp(-k / 40) + 0.5);

function byClass(root: XmlElement, name: string, className: string): XmlElement[] {
  return findAll(root, name).filter((e) => (e.attributes.class ?? '').split(' ').includes(className));
}

function pathPoints(d: string): Array<[number, number]> {
  return [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe('renderLossCurveSvg', () => {
  it('should parse as XML with a title, axes, labels and one loss line', () => {
    const svg = parseXml(renderLossCurveSvg(history, { title: 'Loss <& "quoted">' }));
    expect(svg.name).toBe('svg');
    expect(svg.attributes).toMatchObject({ xmlns: 'http://www.w3.org/2000/svg', width: '640', height: '400', viewBox: '0 0 640 400' });
    expect(findAll(svg, 'title')[0]!.text).toContain('Loss <& "quoted">: 200 epochs');
    expect(byClass(svg, 'g', 'x-axis')).toHaveLength(1);
    expect(byClass(svg, 'g', 'y-axis')).toHaveLength(1);
    expect(byClass(svg, 'text', 'x-label')[0]!.text).toBe('epoch');
    expect(byClass(svg, 'text', 'y-label')[0]!.text).toBe('loss');
    const lines = byClass(svg, 'path', 'loss-line');
    expect(lines).toHaveLength(1);
    const points = pathPoints(lines[0]!.attributes.d!);
    expect(points).toHaveLength(200);
    // Falling loss: a smaller loss is drawn nearer the bottom, and SVG y grows downwards.
    expect(points.at(-1)![1]).toBeGreaterThan(points[0]![1]);
    // Inside the plot area, left to right.
    for (let k = 1; k < points.length; k++) expect(points[k]![0]).toBeGreaterThan(points[k - 1]![0]);
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(72);
      expect(x).toBeLessThanOrEqual(640 - 24);
      expect(y).toBeGreaterThanOrEqual(40);
      expect(y).toBeLessThanOrEqual(400 - 48);
    }
    // y tick labels are round numbers.
    const labels = byClass(svg, 'g', 'y-axis')[0]!.children.filter((e) => e.name === 'text').map((e) => e.text);
    expect(labels.length).toBeGreaterThanOrEqual(3);
    for (const label of labels) expect(label).toMatch(/^\d+(\.\d+)?$/);
  });

  it('should draw a log axis with powers of ten', () => {
    const svg = parseXml(renderLossCurveSvg([1000, 100, 10, 1, 0.1], { scale: 'log' }));
    const labels = byClass(svg, 'g', 'y-axis')[0]!.children.filter((e) => e.name === 'text').map((e) => e.text);
    expect(labels).toEqual(expect.arrayContaining(['0.1', '1', '10', '100', '1000']));
    expect(byClass(svg, 'text', 'y-label')[0]!.text).toBe('loss (log scale)');
    expect(() => renderLossCurveSvg([1, 0], { scale: 'log' })).toThrow(/needs every loss > 0/);
  });

  it('should label at least three 1-2-5 ticks on a log axis that spans less than two decades', () => {
    const labels = (history: number[]) =>
      byClass(parseXml(renderLossCurveSvg(history, { scale: 'log' })), 'g', 'y-axis')[0]!.children.filter((e) => e.name === 'text').map((e) => e.text);
    // The case of issue 12: a loss from 216 to 42 used to be labelled "100" alone.
    expect(labels([216, 120, 80, 42])).toEqual(['50', '100', '200']);
    // Inside one decade: linear ticks of the value.
    const narrow = labels([48, 46, 44, 42]);
    expect(narrow.length).toBeGreaterThanOrEqual(3);
    expect(narrow.map(Number).every((v) => v >= 41 && v <= 49)).toBe(true);
    // A long range still gets whole decades.
    expect(labels([1e6, 1e3, 1])).toEqual(['1', '10', '100', '1000', '10000', '1e+5', '1e+6']);
  });

  it('should keep a long run small but keep its spikes', () => {
    const long = Array.from({ length: 100_000 }, (_, k) => 1 / (1 + k / 100) + (k === 54_321 ? 5 : 0));
    const text = renderLossCurveSvg(long);
    expect(text.length).toBeLessThan(120_000);
    const points = pathPoints(byClass(parseXml(text), 'path', 'loss-line')[0]!.attributes.d!);
    const top = Math.min(...points.map(([, y]) => y));
    expect(top).toBeLessThan(60); // the spike at epoch 54 321 reaches the top of the plot
  });

  it('should draw one epoch as a point, and gaps for non-finite losses', () => {
    const one = parseXml(renderLossCurveSvg([3]));
    expect(byClass(one, 'circle', 'loss-point')).toHaveLength(1);
    const gap = byClass(parseXml(renderLossCurveSvg([3, 2, Number.NaN, 1, 0.5])), 'path', 'loss-line')[0]!.attributes.d!;
    expect(gap.match(/M/g)).toHaveLength(2);
    expect(pathPoints(gap)).toHaveLength(4);
  });

  it('should refuse an empty history', () => {
    expect(() => renderLossCurveSvg([])).toThrow(/empty/);
  });

  it('should draw the validation loss as a second, dashed series at the epochs it was measured, with a legend', () => {
    // Epochs 1-2 trained without validation (an earlier fit), 3-200 with: 198 points.
    const validation = history.map((loss, k) => (k < 2 ? null : loss * 1.1 + 0.2));
    const svg = parseXml(renderLossCurveSvg(history, { validationHistory: validation }));
    const training = pathPoints(byClass(svg, 'path', 'loss-line')[0]!.attributes.d!);
    const lines = byClass(svg, 'path', 'validation-line');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.attributes.stroke).not.toBe(byClass(svg, 'path', 'loss-line')[0]!.attributes.stroke);
    expect(lines[0]!.attributes['stroke-dasharray']).toBeDefined();
    const points = pathPoints(lines[0]!.attributes.d!);
    expect(points).toHaveLength(198);
    // Epoch k's validation loss lies above epoch k's training loss on the same x.
    points.forEach(([x, y], k) => {
      expect(x).toBe(training[k + 2]![0]);
      expect(y).toBeLessThan(training[k + 2]![1]);
    });
    const legend = byClass(svg, 'g', 'legend');
    expect(legend).toHaveLength(1);
    expect(findAll(legend[0]!, 'text').map((e) => e.text)).toEqual(['training', 'validation']);
    expect(findAll(svg, 'title')[0]!.text).toMatch(/last validation loss/);
    expect(byClass(svg, 'line', 'best-epoch')).toHaveLength(0);
  });

  it('should stretch the y range over a validation loss above every training loss', () => {
    const training = [4, 3, 2, 1];
    const validation = [5, 6, 8, 9];
    for (const scale of ['linear', 'log'] as const) {
      const svg = parseXml(renderLossCurveSvg(training, { scale, validationHistory: validation }));
      const points = pathPoints(byClass(svg, 'path', 'validation-line')[0]!.attributes.d!);
      expect(points).toHaveLength(4);
      // The plot: the y axis line (it starts under the legend's band).
      const axis = byClass(svg, 'g', 'y-axis')[0]!.children.find((e) => e.name === 'line')!;
      const [top, bottom] = [Number(axis.attributes.y1), Number(axis.attributes.y2)];
      expect(bottom).toBe(400 - 48);
      for (const [, y] of points) {
        expect(y).toBeGreaterThanOrEqual(top);
        expect(y).toBeLessThanOrEqual(bottom);
      }
      // The highest validation loss (9) is near the top, above the highest training loss (4).
      expect(points[3]![1]).toBeLessThan(top + 20);
      const labels = byClass(svg, 'g', 'y-axis')[0]!.children.filter((e) => e.name === 'text').map((e) => Number(e.text));
      expect(Math.max(...labels)).toBeGreaterThan(4);
    }
  });

  it('should mark the epoch early stopping kept, on the axis and in the legend', () => {
    const svg = parseXml(renderLossCurveSvg([4, 3, 2, 1, 0.9], { validationHistory: [4.5, 3.5, 3, 3.2, 3.4], bestEpoch: 3 }));
    const validationPoints = pathPoints(byClass(svg, 'path', 'validation-line')[0]!.attributes.d!);
    const marker = byClass(svg, 'line', 'best-epoch');
    expect(marker).toHaveLength(1);
    expect(Number(marker[0]!.attributes.x1)).toBe(validationPoints[2]![0]);
    const ring = byClass(svg, 'circle', 'best-point')[0]!;
    expect([Number(ring.attributes.cx), Number(ring.attributes.cy)]).toEqual(validationPoints[2]);
    expect(findAll(byClass(svg, 'g', 'legend')[0]!, 'text').map((e) => e.text)).toEqual(['training', 'validation', 'kept epoch 3']);
    expect(() => renderLossCurveSvg([4, 3], { validationHistory: [4, 3], bestEpoch: 3 })).toThrow(/best epoch 3/);
  });

  it('should draw the training loss alone, byte for byte as before, without a validation loss', () => {
    const alone = renderLossCurveSvg(history);
    for (const none of [undefined, null, history.map(() => null)]) {
      expect(renderLossCurveSvg(history, { validationHistory: none, bestEpoch: null })).toBe(alone);
    }
    const svg = parseXml(alone);
    expect(byClass(svg, 'path', 'validation-line')).toHaveLength(0);
    expect(byClass(svg, 'g', 'legend')).toHaveLength(0);
    expect(findAll(svg, 'title')[0]!.text).not.toMatch(/validation/);
  });

  it('should show a single validated epoch as a point, and refuse a history of another length', () => {
    const one = parseXml(renderLossCurveSvg([3], { validationHistory: [4] }));
    expect(byClass(one, 'circle', 'validation-point')).toHaveLength(1);
    expect(() => renderLossCurveSvg([3, 2], { validationHistory: [4] })).toThrow(/aligned/);
    expect(() => renderLossCurveSvg([3, 2], { scale: 'log', validationHistory: [4, 0] })).toThrow(/validation loss > 0/);
  });
});
