/**
 * `edge-sae plot` (the loss curve, SVG; with the validation loss when the model has one) and `edge-sae filters` (each hidden unit's input weights
 * in a grid, PNG or SVG). Neither loads a kernel backend: they only read the model file.
 */
import path from 'node:path';
import { InputError } from '../errors.js';
import { encoderWeightsOf, parseShape, PictureError, renderFilterGrid, renderFiltersSvg, renderLossCurveSvg, encodePng } from '../viz/index.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkOutputPath, readModelFileAt, reportWritten, writeFileAtomic, type CliIo } from './io.js';
import { withoutUndefined } from '../util/defined.js';

export async function plot(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const outPath = options.required('out');
  if (path.extname(outPath).toLowerCase() !== '.svg') throw new UsageError(`--out ${outPath}: plot writes SVG; name the file *.svg`);
  checkOutputPath(outPath, '--out');
  const { lossHistory, validationHistory, bestEpoch, historyEpochs } = encoderWeightsOf(readModelFileAt(modelPath));
  const epochs = historyEpochs?.at(-1) ?? lossHistory.length;
  const width = options.number('width');
  const height = options.number('height');
  const svg = picture('--width/--height', () =>
    renderLossCurveSvg(lossHistory, {
      scale: options.choice<'linear' | 'log'>('scale') ?? 'linear',
      ...(width === undefined ? {} : { width }),
      ...(height === undefined ? {} : { height }),
      ...(options.has('title') ? { title: options.required('title') } : {}),
      validationHistory,
      bestEpoch,
      epochs: historyEpochs,
    }),
    modelPath,
  );
  writeFileAtomic(outPath, svg);
  const validated = validationHistory?.some((v) => v !== null) ?? false;
  reportWritten(
    options,
    io,
    { out: outPath, format: 'svg', epochs, lastLoss: lossHistory.at(-1) ?? null, ...(validated ? { lastValidationLoss: validationHistory!.at(-1) ?? null } : {}), ...(bestEpoch !== null ? { bestEpoch } : {}) },
    `wrote ${outPath}: loss over ${epochs} epochs${validated ? ', with the validation loss' : ''}`,
  );
}

export async function filters(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const outPath = options.required('out');
  const format = path.extname(outPath).toLowerCase().slice(1);
  if (format !== 'png' && format !== 'svg') throw new UsageError(`--out ${outPath}: filters writes PNG or SVG; name the file *.png or *.svg`);
  checkOutputPath(outPath, '--out');
  const encoder = encoderWeightsOf(readModelFileAt(modelPath));
  const grid = withoutUndefined({
    shape: options.has('shape') ? parseShape(options.required('shape')) : undefined,
    scale: positive(options, 'scale'),
    columns: positive(options, 'columns'),
    count: positive(options, 'count'),
  });
  const flag = options.has('shape') ? '--shape' : '--scale/--columns/--count';
  let size: { width: number; height: number; shape: { width: number; height: number } };
  if (format === 'png') {
    const image = picture(flag, () => renderFilterGrid(encoder, grid), modelPath);
    writeFileAtomic(outPath, encodePng(image));
    size = image;
  } else {
    // Lay out once for the sizes (cheap), then write the SVG.
    const layout = picture(flag, () => renderFilterGrid(encoder, grid), modelPath);
    writeFileAtomic(outPath, renderFiltersSvg(encoder, grid));
    size = layout;
  }
  const units = Math.min(encoder.hiddenSize, grid.count ?? encoder.hiddenSize);
  reportWritten(
    options,
    io,
    { out: outPath, format, width: size.width, height: size.height, units, filterShape: `${size.shape.width}x${size.shape.height}` },
    `wrote ${outPath}: ${units} filters of ${size.shape.width}×${size.shape.height}, ${size.width}×${size.height} pixels`,
  );
}

/**
 * Runs a renderer; its RangeErrors are bad input, blamed on the layout flags when a PictureError
 * says the layout is wrong (a shape that does not fit, a picture too large), else on the model
 * file (an empty history, malformed weights).
 */
function picture<T>(flag: string, render: () => T, modelPath: string): T {
  try {
    return render();
  } catch (error) {
    if (error instanceof RangeError) {
      const about = error instanceof PictureError && error.about === 'layout' ? flag : modelPath;
      throw new InputError(`${about}: ${error.message}`);
    }
    throw error;
  }
}

function positive(options: ParsedOptions, name: string): number | undefined {
  const value = options.number(name);
  if (value !== undefined && !(value >= 1)) throw new UsageError(`--${name}: must be a whole number ≥ 1, got ${value}`);
  return value;
}

