/**
 * `edge-sae features`: each feature's statistics on a data file (src/features/feature-stats.ts),
 * streamed shard by shard, written as DIR/features.json; with --html, DIR/features.html, a
 * self-contained page of the feature cards. Labels come from a file of lines (--labels) or a CSV
 * column (--label-column) and are read only for the rows shown.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadNodeBackend } from '../backends/node-providers.js';
import { architectureModule } from '../architectures/registry.js';
import { openLabelFile, type RowLabels } from '../data/labels.js';
import { openDataSource } from '../data/open-data-source.js';
import { InputError } from '../errors.js';
import { renderFeaturesPage, shownRows, squareSide } from '../features/cards.js';
import { featureStats } from '../features/feature-stats.js';
import { readRows } from '../features/read-rows.js';
import { DENSE_UNIT_FREQUENCY } from '../model/metrics.js';
import { renderDensityHistogramSvg } from '../viz/density.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkUnitRange, checkWidth, loadModel, withDataSourceAsync } from './common.js';
import { readModelFileAt, reportWritten, writeFileAtomic, type CliIo } from './io.js';
import { readColsFlag } from './data-flags.js';

export async function features(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const dataPath = options.required('data');
  const outDir = options.required('out');
  const labelsPath = options.string('labels');
  const labelColumn = options.string('label-column');
  if (labelsPath !== undefined && labelColumn !== undefined) throw new UsageError('--labels and --label-column both give the labels: give one');
  const top = options.number('top');
  const seed = options.number('seed');
  makeOutputDir(outDir);
  const modelFile = readModelFileAt(modelPath);
  const data = await openDataSource(dataPath, readColsFlag(options, dataPath), labelColumn === undefined ? {} : { labelColumn });
  try {
    let labels: RowLabels | undefined = data.labels;
    if (labelsPath !== undefined) {
      labels = await openLabelFile(labelsPath);
      if (labels.rows !== data.shards.rows) throw new InputError(`--labels ${labelsPath}: has ${labels.rows} lines but the data has ${data.shards.rows} rows (one label a row)`);
    }
    const { backend } = await loadNodeBackend('auto');
    const model = loadModel(modelFile, backend);
    try {
      checkWidth(model, data, modelPath);
      if (model.config.normalize === 'none' && !architectureModule(model.config.architecture).linearOutput) checkUnitRange(data, `the model in ${modelPath} requires (it was trained with normalize none)`);
      const result = await withDataSourceAsync(data, () =>
        featureStats(model, data.shards, { ...(top === undefined ? {} : { top }), ...(seed === undefined ? {} : { seed }), ...(labels === undefined ? {} : { labels }) }),
      );
      const jsonPath = path.join(outDir, 'features.json');
      writeFileAtomic(jsonPath, `${JSON.stringify(result)}\n`);
      let htmlPath: string | undefined;
      if (options.flag('html')) {
        const side = squareSide(data.shards.cols);
        const rowValues = side === null ? undefined : await readRows(data.shards, shownRows(result));
        const frequencies = result.features.map((f) => f.frequency);
        htmlPath = path.join(outDir, 'features.html');
        writeFileAtomic(htmlPath, renderFeaturesPage(result, { imageSide: side, ...(rowValues === undefined ? {} : { rowValues }), densitySvg: renderDensityHistogramSvg(frequencies) }));
      }
      const dead = result.features.filter((f) => f.frequency === 0).length;
      const dense = result.features.filter((f) => f.frequency > DENSE_UNIT_FREQUENCY).length;
      reportWritten(
        options,
        io,
        { out: jsonPath, ...(htmlPath === undefined ? {} : { html: htmlPath }), features: result.hiddenSize, rows: result.rows, labelled: labels !== undefined, deadUnits: dead, denseUnits: dense },
        `wrote ${jsonPath}${htmlPath === undefined ? '' : ` and ${htmlPath}`}: ${result.hiddenSize} features on ${result.rows} rows, ${dead} dead, ${dense} dense`,
      );
    } finally {
      model.dispose();
    }
  } finally {
    await data.close();
  }
}

/** --out names a directory: made when missing, refused when it is a file. */
function makeOutputDir(dir: string): void {
  try {
    if (!statSync(dir).isDirectory()) throw new InputError(`--out ${dir}: is a file; features writes a directory (features.json, features.html)`);
    return;
  } catch (error) {
    if (error instanceof InputError) throw error;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new InputError(`--out ${dir}: cannot make the directory: ${(error as Error).message}`);
  }
}
