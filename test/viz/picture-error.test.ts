/** Every renderer's errors are PictureErrors (RangeErrors) that say whether the layout or the content is at fault. */
import { describe, expect, it } from 'vitest';
import { encodePng, parseShape, PictureError, renderFilterGrid, renderFiltersSvg, renderLossCurveSvg, type PictureProblem } from '../../src/viz/index.js';

function caught(run: () => unknown): PictureError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toBeInstanceOf(PictureError);
    return error as PictureError;
  }
  throw new Error('expected a PictureError');
}

const encoder = { inputSize: 4, hiddenSize: 3, weights: new Float32Array(12) };

describe('PictureError', () => {
  const cases: Array<[string, PictureProblem, () => unknown]> = [
    ['an unreadable shape', 'layout', () => parseShape('28')],
    ['a shape that does not cover the inputs', 'layout', () => renderFilterGrid(encoder, { shape: { width: 3, height: 1 } })],
    ['a bad count', 'layout', () => renderFilterGrid(encoder, { count: 0 })],
    ['a bad column count', 'layout', () => renderFiltersSvg(encoder, { columns: 1.5 })],
    ['a bad scale', 'layout', () => renderFilterGrid(encoder, { scale: 65 })],
    ['a picture too large', 'layout', () => renderFilterGrid({ inputSize: 1024, hiddenSize: 4096, weights: new Float32Array(1024 * 4096) }, { scale: 64 })],
    ['a loss curve too small', 'layout', () => renderLossCurveSvg([1], { width: 100 })],
    ['an empty loss history', 'content', () => renderLossCurveSvg([])],
    ['a history with no finite loss', 'content', () => renderLossCurveSvg([NaN])],
    ['a log axis over a loss ≤ 0', 'content', () => renderLossCurveSvg([1, 0], { scale: 'log' })],
    ['weights of the wrong length', 'content', () => renderFilterGrid({ ...encoder, weights: new Float32Array(5) })],
    ['sizes that are not whole numbers', 'content', () => renderFilterGrid({ ...encoder, inputSize: 0 })],
    ['a PNG of no size', 'content', () => encodePng({ width: 0, height: 2, pixels: new Uint8Array(0) })],
    ['a PNG of the wrong pixel count', 'content', () => encodePng({ width: 2, height: 2, pixels: new Uint8Array(3) })],
  ];
  it.each(cases)('should blame %s on the %s', (_what, about, run) => {
    expect(caught(run).about).toBe(about);
  });
});
