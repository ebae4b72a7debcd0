/**
 * The bodies of the routes that export a model for other runtimes: `export?format=onnx` and the
 * TF.js layers model's two files. The model comes through the model cache, as inference uses it.
 * Kept apart from the routes so these formats and the model file's own export change independently.
 */
import { exportableModel } from '../../export/exportable.js';
import { exportOnnx } from '../../export/onnx.js';
import { exportTfjsLayers } from '../../export/tfjs-layers.js';
import type { ModelService } from './service.js';

export async function onnxExportResponse(service: ModelService, id: string, whole: boolean): Promise<Response> {
  const bytes = await service.withModel(id, 'auto', (model) => exportOnnx(exportableModel(model), { whole }));
  // Fresh arrays over their own ArrayBuffer (the DOM's BodyInit, which the playground's typecheck uses, wants that said).
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${id}${whole ? '-autoencoder' : '-encoder'}.onnx"`,
    },
  });
}

/** model.json or weights.bin of the TF.js export; the manifest names "weights.bin", its sibling route. */
export async function tfjsExportResponse(service: ModelService, id: string, whole: boolean, part: 'model.json' | 'weights.bin'): Promise<Response> {
  const exported = await service.withModel(id, 'auto', (model) => exportTfjsLayers(exportableModel(model, 'tfjs'), { whole, weightsFileName: 'weights.bin' }));
  if (part === 'model.json') return Response.json(exported.modelJson);
  return new Response(exported.weightData as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-type': 'application/octet-stream' } });
}
