/**
 * Pictures of a model, as strings and bytes, with no Node or DOM imports (the Worker uses them):
 * the loss curve (SVG), the feature-density histogram (SVG) and the learned filters (SVG or PNG),
 * plus the PNG encoder behind them.
 */
export { renderLossCurveSvg, type LossCurveOptions } from './loss-curve.js';
export { DEAD_LOG_DENSITY, densityBins, frequenciesFromLog10, renderDensityHistogramSvg, type DensityBins, type DensityHistogramOptions } from './density.js';
export {
  filterShape,
  filterTiles,
  parseShape,
  renderFilterGrid,
  renderFiltersPng,
  renderFiltersSvg,
  type EncoderWeights,
  type FilterGrid,
  type FilterGridOptions,
  type FilterShape,
} from './filters.js';
export { base64, crc32, encodePng, zlibDeflate, type GrayImage, type PngOptions, type ZlibDeflate } from './png.js';
export { encoderWeightsOf, type ModelPictureData } from './model-file.js';
export { PictureError, type PictureProblem } from './picture-error.js';
