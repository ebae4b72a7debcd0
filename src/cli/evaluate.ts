/** `edge-sae evaluate`: the metrics of docs/SPEC.md section 2 of a model on data, as one line of JSON. */
import { architectureModule } from '../architectures/registry.js';
import { readDataFile } from '../data/read-file.js';
import type { ParsedOptions } from './args.js';
import { checkUnitRange, checkWidth, loadModel, withDataSource, commandBackend } from './common.js';
import { readModelFileAt, type CliIo } from './io.js';

export async function evaluate(options: ParsedOptions, io: CliIo): Promise<void> {
  const modelPath = options.required('model');
  const modelFile = readModelFileAt(modelPath);
  const data = readDataFile(options.required('data'));
  const { backend } = await commandBackend(options);
  const model = loadModel(modelFile, backend);
  try {
    checkWidth(model, data, modelPath);
    if (model.config.normalize === 'none' && !architectureModule(model.config.architecture).linearOutput) checkUnitRange(data, `the model in ${modelPath} requires (it was trained with normalize none)`);
    const metrics = withDataSource(data, () => model.evaluate(data.matrix));
    io.stdout(`${JSON.stringify(metrics)}\n`);
  } finally {
    model.dispose();
  }
}
