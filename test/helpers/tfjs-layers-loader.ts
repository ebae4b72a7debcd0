/**
 * Loads a TF.js layers model the way tf.loadLayersModel loads one from a URL: model.json first,
 * then each weights file its manifest names, here read through `readFile` (a map or the disk).
 * Runs on the tfjs cpu backend.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';

export async function loadLayersModelFrom(modelJsonText: string, readFile: (path: string) => Uint8Array): Promise<LayersModel> {
  await tf.setBackend('cpu');
  // The cpu backend's "install tfjs-node" banner (see src/backends/tfjs/runtime.ts) is noise here.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const handler: tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(JSON.parse(modelJsonText) as tf.io.ModelJSON, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const parts = manifest.flatMap((group) => group.paths.map(readFile));
        const data = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
        let offset = 0;
        for (const p of parts) {
          data.set(p, offset);
          offset += p.length;
        }
        return [specs, data.buffer];
      }),
  };
  return loadLayersModel(handler);
}

/** The model's output on `input` (rows × cols), as a flat float32 array. */
export function predict(model: LayersModel, input: { rows: number; cols: number; data: Float32Array }): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor2d(input.data, [input.rows, input.cols])) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}
