/** `edge-sae encode`: the hidden codes of each data row, as CSV, JSON or .npy, to a file or stdout. */
import { architectureModule } from '../architectures/registry.js';
import { formatCsv } from '../data/csv.js';
import { formatJsonRows } from '../data/json.js';
import { formatNpy } from '../data/npy.js';
import { float32LittleEndian } from '../data/float32-bytes.js';
import { readDataFile } from '../data/read-file.js';
import type { ArchitectureName } from '../backends/types.js';
import type { Matrix } from '../data/matrix.js';
import { activeThreshold } from '../model/metrics.js';
import { UsageError, type ParsedOptions } from './args.js';
import { DataError } from '../errors.js';
import { checkSelection, toFeatureLists, type SparseCodes } from '../model/sparse-codes.js';
import { denseCodesToBytes, sparseCodesToBytes } from '../model/codes-binary.js';
import { checkUnitRange, checkWidth, loadModel, withDataSource, commandBackend } from './common.js';
import { checkOutputPath, readModelFileAt, writeFileAtomic, type CliIo } from './io.js';
import { formatOf } from './output-format.js';

export async function encode(options: ParsedOptions, io: CliIo): Promise<void> {
  if (options.has('api') && (options.has('top') || options.has('threshold'))) throw new UsageError('--top and --threshold: not with --api (a batch encode job writes dense codes)');
  if (options.has('api')) return (await import('./encode-remote.js')).encodeRemote(options, io);
  for (const flag of ['dataset', 'token']) if (options.has(flag)) throw new UsageError(`--${flag}: only with --api (encoding a stored dataset through the API)`);
  const modelPath = options.required('model');
  const dataPath = options.string('data');
  if (dataPath === undefined) throw new UsageError('encode: missing --data FILE (or give --api URL --dataset ID to encode a stored dataset; see edge-sae encode --help)');
  const outPath = options.string('out');
  const format = options.choice<'csv' | 'json' | 'npy' | 'f32' | 'bin'>('format') ?? formatOf(outPath);
  if ((format === 'npy' || format === 'f32' || format === 'bin') && outPath === undefined) throw new UsageError(`--format ${format}: .${format} is binary; give --out FILE.${format}`);
  const selection = { top: options.number('top'), threshold: options.number('threshold') };
  const sparse = selection.top !== undefined || selection.threshold !== undefined;
  if (sparse && (format === 'npy' || format === 'f32')) throw new UsageError(`--format ${format}: not with --top or --threshold (sparse rows: json, csv or bin)`);
  if (outPath !== undefined) checkOutputPath(outPath, '--out');

  const modelFile = readModelFileAt(modelPath);
  const data = readDataFile(dataPath);
  const { backend } = await commandBackend(options);
  const model = loadModel(modelFile, backend);
  try {
    checkWidth(model, data, modelPath);
    if (model.config.normalize === 'none' && !architectureModule(model.config.architecture).linearOutput) checkUnitRange(data, `the model in ${modelPath} requires (it was trained with normalize none)`);
    if (sparse) {
      // Checked before encoding: a --top beyond the model's hidden size is a usage error, not a data one.
      try {
        checkSelection(selection, model.hiddenSize);
      } catch (error) {
        if (error instanceof DataError) throw new UsageError(`--${error.location.source ?? 'top'}: ${error.reason}`);
        throw error;
      }
      const codes = withDataSource(data, () => model.encodeSparse(data.matrix, selection));
      const output = format === 'bin' ? sparseCodesToBytes(codes) : format === 'json' ? `${JSON.stringify(toFeatureLists(codes))}\n` : formatSparseCsv(codes);
      if (outPath === undefined) io.stdout(output as string);
      else writeFileAtomic(outPath, output);
      if (outPath !== undefined || io.stderrIsTTY) {
        io.stderr(`encoded ${codes.rows} row${codes.rows === 1 ? '' : 's'} → ${codes.indices.length} features kept of ${codes.cols} a row each, ${outPath === undefined ? 'to stdout' : `wrote ${outPath}`} (${format})\n`);
      }
      return;
    }
    const codes = withDataSource(data, () => model.encode(data.matrix));
    const output = format === 'bin' ? denseCodesToBytes(codes) : format === 'npy' ? formatNpy(codes) : format === 'f32' ? float32LittleEndian(codes.data) : format === 'json' ? formatJsonRows(codes) : formatCsv(codes);
    // npy and f32 (bytes) were refused above without --out, so what goes to stdout is text.
    if (outPath === undefined) io.stdout(output as string);
    else writeFileAtomic(outPath, output);
    // What was done, on stderr (stdout may carry the codes). With the codes on stdout it is only for
    // a person at a terminal: a pipe or a log (`| head`, a script) gets the codes alone.
    if (outPath !== undefined || io.stderrIsTTY) io.stderr(`${describeEncoding(codes, model.config.architecture, format, outPath)}\n`);
  } finally {
    model.dispose();
  }
}

/** Sparse rows as CSV: one line a row, `index:value` pairs separated by commas (an empty line for an empty row). */
function formatSparseCsv(codes: SparseCodes): string {
  const lines: string[] = [];
  for (let i = 0; i < codes.rows; i++) {
    const pairs: string[] = [];
    for (let e = codes.offsets[i]!; e < codes.offsets[i + 1]!; e++) pairs.push(`${codes.indices[e]}:${codes.values[e]}`);
    lines.push(pairs.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** `encoded 30 rows → 12 codes each (l0 4.20 active a row), wrote codes.json (json)`. */
function describeEncoding(codes: Matrix, architecture: ArchitectureName, format: string, outPath: string | undefined): string {
  const threshold = activeThreshold(architecture);
  let active = 0;
  for (const value of codes.data) if (value > threshold) active++;
  const l0 = codes.rows === 0 ? 0 : active / codes.rows;
  return `encoded ${codes.rows} row${codes.rows === 1 ? '' : 's'} → ${codes.cols} codes each (l0 ${l0.toPrecision(3)} active a row), ${outPath === undefined ? 'to stdout' : `wrote ${outPath}`} (${format})`;
}
