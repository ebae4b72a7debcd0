/**
 * Exports to other runtimes (issue 14, part 3):
 *
 * - size and CPU time of exporting a trained 784→196 model: ONNX encoder, ONNX whole autoencoder,
 *   TF.js layers encoder (weights bytes);
 * - how far ONNX Runtime's codes are from model.encode (max |difference| over 256 fresh rows) for
 *   each test case of test/export/trained-models.ts, and, for the case whose scaling is kept as its
 *   own step (data in [1000, 1010)), how far they would be had it been folded into the Gemm anyway:
 *   the figure behind canFoldScaling. Differences are in units of 1e-6 (the tests allow 10).
 *
 * Run alone with `npx tsx bench/exports.bench.ts`.
 */
import { pathToFileURL } from 'node:url';

import { canFoldScaling, exportableModel, foldScaling, inputScaling } from '../src/export/exportable.js';
import { exportOnnx } from '../src/export/onnx.js';
import { exportTfjsLayers } from '../src/export/tfjs-layers.js';
import { maxAbsDiff } from '../test/helpers/allclose.js';
import { runOnnx } from '../test/helpers/onnx-runtime.js';
import { CASES, rowsFor, trainedModel } from '../test/export/trained-models.js';
import { timeCall, type BenchRecord } from './harness.js';

export async function benchExports(): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  const add = (name: string, shape: string, figure: number, unit: string) => records.push({ name, backend: 'assemblyscript', shape, figure, unit });

  const big = CASES.find((c) => c.inputSize === 784)!;
  const model = await trainedModel(big);
  try {
    const exportable = exportableModel(model);
    const shape = '784→196';
    add('onnx_export_encoder', shape, timeCall(() => void exportOnnx(exportable)), 'ms');
    add('onnx_encoder_size', shape, exportOnnx(exportable).length / 1024, 'KiB');
    add('onnx_whole_size', shape, exportOnnx(exportable, { whole: true }).length / 1024, 'KiB');
    add('tfjs_export_encoder', shape, timeCall(() => void exportTfjsLayers(exportable)), 'ms');
    add('tfjs_encoder_weights_size', shape, exportTfjsLayers(exportable).weightData.length / 1024, 'KiB');
  } finally {
    model.dispose();
  }

  for (const c of CASES) {
    const m = await trainedModel(c);
    try {
      const rows = rowsFor(c, 256, 1234);
      const expected = m.encode(rows).data;
      const exportable = exportableModel(m);
      const shape = `${c.inputSize}→${c.hiddenSize} [${c.lo}, ${c.hi}) ${c.normalize} (${c.scaling})`;
      add('onnx_codes_max_abs_diff', shape, maxAbsDiff((await runOnnx(exportOnnx(exportable), rows)).codes!.data, expected) / 1e-6, '1e-6');
      const scaling = inputScaling(exportable.normalization);
      if (scaling !== null && !canFoldScaling(scaling)) {
        const folded = foldScaling(scaling, exportable.parameters, exportable.shape);
        const forced = exportOnnx({ ...exportable, normalization: { kind: 'none' }, parameters: { ...exportable.parameters, W1: folded.weight, b1: folded.bias } });
        add('onnx_codes_max_abs_diff_if_folded', shape, maxAbsDiff((await runOnnx(forced, rows)).codes!.data, expected) / 1e-6, '1e-6');
      }
    } finally {
      m.dispose();
    }
  }
  return records;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchExports()) console.log(`${r.name.padEnd(36)} ${r.shape.padEnd(44)} ${r.figure.toPrecision(3)} ${r.unit}`);
}
