/**
 * `edge-sae export`: the model as ONNX (one .onnx file) or as a TF.js layers model (model.json and
 * its weights file). Loads no kernel backend: the exporters only need the file's parameters.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeFsError } from '../data/read-file.js';
import { InputError } from '../errors.js';
import { buildOnnx } from '../export/onnx.js';
import { architectureOf } from '../backends/types.js';
import { checkExportable, type ExportableModel } from '../export/exportable.js';
import { exportTfjsLayers } from '../export/tfjs-layers.js';
import { exportSae, type ExportDtype } from '../sae-import/export.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkOutputPath, readModelFileAt, reportWritten, writeFileAtomic, type CliIo } from './io.js';

export async function exportModel(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const outPath = options.required('out');
  const format = options.choice<'onnx' | 'tfjs' | 'saelens' | 'sparsify'>('format') ?? 'onnx';
  if (format === 'saelens' || format === 'sparsify') return exportFolder(options, io, format, modelPath, outPath);
  if (options.string('dtype') !== undefined) throw new UsageError('--dtype: only for --format saelens or sparsify (the weights\' dtype in their folder)');
  const whole = options.flag('whole');
  const ext = path.extname(outPath).toLowerCase();
  if (format === 'onnx' && ext === '.json') {
    throw new UsageError(`--out ${outPath}: an ONNX export is one .onnx file; for a TF.js model.json add --format tfjs`);
  }
  if (format === 'tfjs' && ext === '.onnx') {
    throw new UsageError(`--out ${outPath}: a TF.js export is a directory (or a model.json path); for ONNX drop --format tfjs`);
  }

  const state = readModelFileAt(modelPath); // JSON or binary, told apart by content
  checkExportable(state.config.architecture, format);
  const model: ExportableModel = { shape: state.shape, parameters: state.parameters, normalization: state.normalization, architecture: architectureOf(state.config) };
  const { inputSize, hiddenSize } = state.shape;
  const what = whole ? `the autoencoder ${inputSize} → ${hiddenSize} → ${inputSize}` : `the encoder ${inputSize} → ${hiddenSize}`;

  if (format === 'onnx') {
    checkOutputPath(outPath, '--out');
    const { bytes, scaling } = buildOnnx(model, { whole });
    writeFileAtomic(outPath, bytes);
    reportWritten(options, io, { out: outPath, format, whole, inputSize, hiddenSize, scaling, bytes: bytes.length }, `wrote ${outPath}: ${what} as ONNX (opset 13, scaling ${scaling})`);
    return;
  }

  const { modelJsonPath, weightsPath } = tfjsPaths(outPath);
  const exported = exportTfjsLayers(model, { whole, weightsFileName: path.basename(weightsPath) });
  // Weights first: a model.json is never left pointing at a weights file that is not there.
  writeFileAtomic(weightsPath, exported.weightData);
  writeFileAtomic(modelJsonPath, `${JSON.stringify(exported.modelJson)}\n`);
  reportWritten(
    options,
    io,
    { out: modelJsonPath, weights: weightsPath, format, whole, inputSize, hiddenSize, scaling: exported.scaling, bytes: exported.weightData.length },
    `wrote ${modelJsonPath} and ${weightsPath}: ${what} as a TF.js layers model (scaling ${exported.scaling})`,
  );
}

/** `--format saelens|sparsify`: the folder those libraries load (src/sae-import/export.ts), made if missing. */
function exportFolder(options: ParsedOptions, io: CliIo, format: 'saelens' | 'sparsify', modelPath: string, outPath: string): void {
  const state = readModelFileAt(modelPath);
  const dtype = options.choice<ExportDtype>('dtype') ?? 'f32';
  const files = exportSae({ toState: () => state }, format, { dtype });
  try {
    mkdirSync(outPath, { recursive: true });
  } catch (error) {
    throw new InputError(`--out ${outPath}: cannot make the directory: ${describeFsError(error)}`);
  }
  for (const [name, bytes] of files) writeFileAtomic(path.join(outPath, name), bytes);
  const names = [...files.keys()];
  reportWritten(options, io, { out: outPath, format, dtype, files: names, inputSize: state.shape.inputSize, hiddenSize: state.shape.hiddenSize }, `wrote ${outPath}: ${names.join(' and ')} (${format}, ${dtype})`);
}

/**
 * Where a TF.js export goes. `--out dir` (made if missing) holds model.json and weights.bin;
 * `--out name.json` is the model.json itself, with name.weights.bin beside it.
 */
function tfjsPaths(outPath: string): { modelJsonPath: string; weightsPath: string } {
  if (path.extname(outPath).toLowerCase() === '.json') {
    checkOutputPath(outPath, '--out');
    const stem = outPath.slice(0, -'.json'.length);
    return { modelJsonPath: outPath, weightsPath: `${stem}.weights.bin` };
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(outPath).isDirectory();
    if (!isDirectory) throw new InputError(`--out ${outPath}: is a file; a TF.js export needs a directory (or a path ending in .json)`);
  } catch (error) {
    if (error instanceof InputError) throw error;
  }
  if (!isDirectory) {
    // Checks the parent exists, so only the last level is made.
    checkOutputPath(outPath, '--out');
    try {
      mkdirSync(outPath);
    } catch (error) {
      throw new InputError(`--out ${outPath}: cannot make the directory: ${describeFsError(error)}`);
    }
  }
  return { modelJsonPath: path.join(outPath, 'model.json'), weightsPath: path.join(outPath, 'weights.bin') };
}
