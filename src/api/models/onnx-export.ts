/**
 * The body of `GET /v1/models/{id}/export?format=onnx`: the model (through the model cache, as
 * inference uses it) as an ONNX graph. Kept apart from the route so the export formats of the
 * model file and of other runtimes change independently.
 */
import { exportableModel } from '../../export/exportable.js';
import { exportOnnx } from '../../export/onnx.js';
import type { ModelService } from './service.js';

export async function onnxExportResponse(service: ModelService, id: string, whole: boolean): Promise<Response> {
  const bytes = await service.withModel(id, 'auto', (model) => exportOnnx(exportableModel(model), { whole }));
  return new Response(bytes, {
    status: 200,
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${id}${whole ? '-autoencoder' : '-encoder'}.onnx"`,
    },
  });
}
