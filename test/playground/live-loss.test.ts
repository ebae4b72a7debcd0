/** The live loss curve's data (src/playground/live-loss.ts), which the loss curve renderer draws. */
import { describe, expect, it } from 'vitest';
import { lossSoFar } from '../../src/playground/live-loss.js';
import { renderLossCurveSvg } from '../../src/viz/loss-curve.js';

describe('lossSoFar', () => {
  it('should put each reported loss at its epoch, a straight line between reports and a gap before the first', () => {
    const history = lossSoFar([
      [3, 10],
      [5, 6],
      [6, 1],
    ]);
    expect(history).toHaveLength(6);
    expect(history.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(history.slice(2)).toEqual([10, 8, 6, 1]);
  });

  it('should give nothing before the first report, and one epoch for a report of epoch 1', () => {
    expect(lossSoFar([])).toEqual([]);
    expect(lossSoFar([[1, 0.5]])).toEqual([0.5]);
  });

  it('should be drawable by the loss curve renderer, from the first reported epoch on', () => {
    const svg = renderLossCurveSvg(lossSoFar([[4, 2], [8, 1]]), { title: 'Training loss (live, 2 progress reports)' });
    const d = /class="loss-line" d="([^"]*)"/.exec(svg)![1]!;
    // Epochs 4 to 8: one M, then four L; epochs 1 to 3 are a gap.
    expect(d.match(/[ML]/g)).toEqual(['M', 'L', 'L', 'L', 'L']);
    expect(svg).toContain('last loss 1');
  });
});
