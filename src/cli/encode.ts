/** `edge-sae encode`: the hidden codes of each data row, as CSV, JSON or .npy, to a file or stdout. */
import { loadNodeBackend } from '../backends/node-providers.js';
import { formatCsv } from '../data/csv.js';
import { formatJsonRows } from '../data/json.js';
import { formatNpy } from '../data/npy.js';
import { readDataFile } from '../data/read-file.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkUnitRange, checkWidth, loadModel, withDataSource } from './common.js';
import { checkOutputPath, readModelFileAt, writeFileAtomic, type CliIo } from './io.js';

export async function encode(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const dataPath = options.required('data');
  const outPath = options.string('out');
  const format = options.choice<'csv' | 'json' | 'npy'>('format') ?? formatOf(outPath);
  if (format === 'npy' && outPath === undefined) throw new UsageError('--format npy: .npy is binary; give --out FILE.npy');
  if (outPath !== undefined) checkOutputPath(outPath, '--out');

  const modelFile = readModelFileAt(modelPath);
  const data = readDataFile(dataPath);
  const { backend } = await loadNodeBackend('auto');
  const model = loadModel(modelFile, backend);
  try {
    checkWidth(model, data, modelPath);
    if (model.config.normalize === 'none') checkUnitRange(data, `the model in ${modelPath} requires (it was trained with normalize none)`);
    const codes = withDataSource(data, () => model.encode(data.matrix));
    const output = format === 'npy' ? formatNpy(codes) : format === 'json' ? formatJsonRows(codes) : formatCsv(codes);
    // npy (bytes) was refused above without --out, so what goes to stdout is text.
    if (outPath === undefined) io.stdout(output as string);
    else writeFileAtomic(outPath, output);
  } finally {
    model.dispose();
  }
}

function formatOf(outPath: string | undefined): 'csv' | 'json' | 'npy' {
  const name = outPath?.toLowerCase() ?? '';
  return name.endsWith('.json') ? 'json' : name.endsWith('.npy') ? 'npy' : 'csv';
}
