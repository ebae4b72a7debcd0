/**
 * `edge-sae import`: an SAE written by another library (docs/IMPORT.md) into an edge-sae model
 * file, or (--api) into a running API as a zip of its folder. Loads no kernel backend: reading and
 * folding the weights needs none. A bad file is an InputError (exit 2) naming the file and field.
 */
import path from 'node:path';
import { zipSync } from 'fflate';
import { toBinaryModelFile } from '../model/model-file-binary.js';
import { toModelFile, weightDtypeOf } from '../model/model-file.js';
import type { WeightDtype } from '../model/weight-dtype.js';
import { importSaeState } from '../sae-import/import.js';
import { readSaeSource } from '../sae-import/node-files.js';
import { apiClientFrom } from './api-client.js';
import { UsageError, type ParsedOptions } from './args.js';
import { checkOutputPath, reportWritten, writeFileAtomic, type CliIo } from './io.js';

interface ImportedView {
  id: string;
  name: string | null;
  inputSize: number;
  hiddenSize: number;
  config: { architecture?: string };
  source?: { format?: string };
}

export async function importCommand(options: ParsedOptions, io: CliIo): Promise<void> {
  const from = options.required('from');
  const out = options.string('out');
  const api = options.string('api');
  if (api === undefined && out === undefined) throw new UsageError('--out: missing (the model file to write), or give --api URL to import into an API');
  if (api !== undefined && out !== undefined) throw new UsageError('--out and --api: give one (a file here, or a model in the API)');
  const dtype = options.choice<WeightDtype>('dtype');
  if (out !== undefined && dtype !== undefined && dtype !== 'f32' && !out.toLowerCase().endsWith('.safetensors')) {
    throw new UsageError(`--out ${out}: a ${dtype} model is written as a binary model file; name it *.safetensors (the JSON model file holds float32 weights only)`);
  }
  if (out !== undefined) checkOutputPath(out, '--out');
  const files = await readSaeSource(from);
  // checked here first, so a bad folder is refused before anything is sent
  // with --out the files are read for this import alone (folded where they lie); with --api they are sent as read
  const { state, format } = importSaeState(files, { format: options.string('format'), ...(dtype !== undefined ? { dtype } : {}), filesOwned: out !== undefined });
  const { inputSize, hiddenSize } = state.shape;
  const what = `${state.config.architecture} ${inputSize} → ${hiddenSize}${state.config.architecture === 'topk' ? ` (k ${state.config.k})` : ''} from ${format}${dtype !== undefined && dtype !== 'f32' ? `, ${dtype} weights` : ''}`;

  if (out !== undefined) {
    const bytes = out.toLowerCase().endsWith('.safetensors') ? toBinaryModelFile(state) : `${JSON.stringify(toModelFile(state))}\n`;
    writeFileAtomic(out, bytes);
    reportWritten(options, io, { out, format, architecture: state.config.architecture, inputSize, hiddenSize, dtype: weightDtypeOf(state), bytes: bytes.length, source: state.source ?? null }, `wrote ${out}: ${what}`);
    return;
  }
  const client = apiClientFrom(options);
  const zip = zipSync(Object.fromEntries(files), { level: 0 });
  const name = options.string('name') ?? path.basename(path.resolve(from));
  const model = await client.call<ImportedView>('POST', `/v1/models/import?${new URLSearchParams({ name, ...(options.string('format') ? { format: options.string('format')! } : {}), ...(dtype !== undefined ? { dtype } : {}) })}`, { bytes: zip });
  if (options.flag('json')) io.stdout(`${JSON.stringify(model)}\n`);
  else if (!options.flag('quiet')) io.stdout(`model ${model.id}: ${what}\n`);
}
