/** `edge-sae encode`: the hidden codes of each data row, as CSV or JSON, to a file or stdout. */
import { loadNodeBackend } from '../backends/node-providers.js';
import { formatCsv } from '../data/csv.js';
import { formatJsonRows } from '../data/json.js';
import { readDataFile } from '../data/read-file.js';
import type { ParsedOptions } from './args.js';
import { checkUnitRange, checkWidth, loadModel, withDataSource } from './common.js';
import { checkOutputPath, readModelFileAt, writeFileAtomic, type CliIo } from './io.js';

export async function encode(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const dataPath = options.required('data');
  const outPath = options.string('out');
  const format = options.choice<'csv' | 'json'>('format') ?? (outPath?.toLowerCase().endsWith('.json') ? 'json' : 'csv');
  if (outPath !== undefined) checkOutputPath(outPath, '--out');

  const modelFile = readModelFileAt(modelPath);
  const data = readDataFile(dataPath);
  const { backend } = await loadNodeBackend('auto');
  const model = loadModel(modelFile, backend);
  try {
    checkWidth(model, data, modelPath);
    if (model.config.normalize === 'none') checkUnitRange(data, `the model in ${modelPath} requires (it was trained with normalize none)`);
    const codes = withDataSource(data, () => model.encode(data.matrix));
    const text = format === 'json' ? formatJsonRows(codes) : formatCsv(codes);
    if (outPath === undefined) io.stdout(text);
    else writeFileAtomic(outPath, text);
  } finally {
    model.dispose();
  }
}
