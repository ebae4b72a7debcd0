/**
 * `edge-sae density`: the feature-density histogram of a model on data (SVG), or each unit's
 * firing frequency as a JSON array. Needs a kernel backend: the frequencies come from encoding
 * the data, with the same "active" test as the metrics (src/model/metrics.ts). Without --data, an
 * imported model's own density (model.logFeatureDensity: SAELens' sparsity.safetensors) is drawn.
 */
import path from 'node:path';
import { architectureModule } from '../architectures/registry.js';
import { readDataFile } from '../data/read-file.js';
import { InputError } from '../errors.js';
import { DENSE_UNIT_FREQUENCY } from '../model/metrics.js';
import { frequenciesFromLog10, PictureError, renderDensityHistogramSvg } from '../viz/index.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkUnitRange, checkWidth, loadModel, withDataSource, commandBackend } from './common.js';
import { checkOutputPath, readModelFileAt, reportWritten, writeFileAtomic, type CliIo } from './io.js';

export async function density(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const outPath = options.required('out');
  const format = path.extname(outPath).toLowerCase().slice(1);
  if (format !== 'svg' && format !== 'json') throw new UsageError(`--out ${outPath}: density writes SVG or JSON; name the file *.svg or *.json`);
  checkOutputPath(outPath, '--out');
  const modelFile = readModelFileAt(modelPath);
  const data = options.has('data') ? readDataFile(options.required('data')) : null;
  const { backend } = await commandBackend(options);
  const model = loadModel(modelFile, backend);
  let frequencies: Float64Array;
  try {
    if (data === null) {
      if (model.logFeatureDensity === null) throw new UsageError(`--data is needed: the model in ${modelPath} carries no feature density of its own (an SAE imported with SAELens' sparsity.safetensors does)`);
      frequencies = frequenciesFromLog10(model.logFeatureDensity);
    } else {
      checkWidth(model, data, modelPath);
      if (model.config.normalize === 'none' && !architectureModule(model.config.architecture).linearOutput) checkUnitRange(data, `the model in ${modelPath} requires (it was trained with normalize none)`);
      frequencies = withDataSource(data, () => model.firingFrequency(data.matrix));
    }
  } finally {
    model.dispose();
  }
  let dead = 0;
  let dense = 0;
  for (const f of frequencies) {
    if (f === 0) dead++;
    if (f > DENSE_UNIT_FREQUENCY) dense++;
  }
  if (format === 'json') {
    writeFileAtomic(outPath, `${JSON.stringify(Array.from(frequencies))}\n`);
  } else {
    const width = options.number('width');
    const height = options.number('height');
    const bins = options.number('bins');
    let svg: string;
    try {
      svg = renderDensityHistogramSvg(frequencies, {
        ...(width === undefined ? {} : { width }),
        ...(height === undefined ? {} : { height }),
        ...(bins === undefined ? {} : { bins }),
        ...(options.has('title') ? { title: options.required('title') } : data === null ? { title: `Feature density (as ${model.source?.library ?? 'its source'} measured it)` } : {}),
      });
    } catch (error) {
      if (error instanceof PictureError) throw new InputError(`${error.about === 'layout' ? '--width/--height/--bins' : modelPath}: ${error.message}`);
      throw error;
    }
    writeFileAtomic(outPath, svg);
  }
  const units = frequencies.length;
  reportWritten(
    options,
    io,
    { out: outPath, format, units, rows: data === null ? null : data.matrix.rows, deadUnits: dead, denseUnits: dense },
    `wrote ${outPath}: firing frequency of ${units} units ${data === null ? 'as the imported SAE carries it' : `on ${data.matrix.rows} rows`}, ${dead} dead, ${dense} dense`,
  );
}
