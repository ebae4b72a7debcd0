/**
 * `edge-sae convert`: a model file rewritten with its weight matrices in another dtype (f32, bf16,
 * int8: src/model/weight-dtype.ts), or in the other file form (JSON ↔ binary by --out's name).
 * Loads no kernel backend: it works on the file's state (src/model/convert-dtype.ts).
 */
import { ConfigError } from '../errors.js';
import { toBinaryModelFile } from '../model/model-file-binary.js';
import { toModelFile, weightDtypeOf } from '../model/model-file.js';
import { convertWeightDtype } from '../model/convert-dtype.js';
import { storedBytes, type WeightDtype } from '../model/weight-dtype.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkOutputPath, readModelFileAt, reportWritten, writeFileAtomic, type CliIo } from './io.js';

export async function convert(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const outPath = options.required('out');
  const binary = outPath.toLowerCase().endsWith('.safetensors');
  const state = readModelFileAt(modelPath);
  const dtype = options.choice<WeightDtype>('dtype') ?? weightDtypeOf(state);
  if (dtype !== 'f32' && !binary) {
    throw new UsageError(`--out ${outPath}: a ${dtype} model is written as a binary model file; name it *.safetensors (the JSON model file holds float32 weights only)`);
  }
  checkOutputPath(outPath, '--out');
  let converted;
  try {
    converted = convertWeightDtype(state, dtype);
  } catch (error) {
    if (error instanceof RangeError) throw new ConfigError('--dtype', `${modelPath} cannot be converted to ${dtype}: ${error.message}`);
    throw error;
  }
  const bytes = binary ? toBinaryModelFile(converted) : `${JSON.stringify(toModelFile(converted))}\n`;
  writeFileAtomic(outPath, bytes);
  const { inputSize, hiddenSize } = state.shape;
  const weightBytes = converted.stored ? storedBytes(converted.stored.W1) + storedBytes(converted.stored.W2) : 2 * inputSize * hiddenSize * 4;
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  reportWritten(
    options,
    io,
    { out: outPath, from: weightDtypeOf(state), dtype, form: binary ? 'safetensors' : 'json', inputSize, hiddenSize, weightBytes, bytes: size },
    `wrote ${outPath}: the ${inputSize} → ${hiddenSize} model with ${dtype} weights (${weightBytes} bytes of weights${state.optimizerState && converted.optimizerState === null ? ', Adam state dropped' : ''}), ${binary ? 'binary' : 'JSON'} model file`,
  );
}
