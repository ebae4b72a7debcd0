/**
 * Runs an ONNX model with ONNX Runtime's wasm build (onnxruntime-web, which runs in Node; the
 * native onnxruntime-node cannot be installed here), one thread.
 */
import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;

export interface OnnxOutput {
  dims: readonly number[];
  data: Float32Array;
}

/** Feeds `input` (rows × cols, float32) to the graph's "input" and returns every output. */
export async function runOnnx(model: Uint8Array, input: { rows: number; cols: number; data: Float32Array }): Promise<Record<string, OnnxOutput>> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    const feeds = { input: new ort.Tensor('float32', input.data, [input.rows, input.cols]) };
    const results = await session.run(feeds);
    const out: Record<string, OnnxOutput> = {};
    for (const [name, tensor] of Object.entries(results)) out[name] = { dims: tensor.dims, data: tensor.data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

/** The graph's declared input and output names. */
export async function onnxNames(model: Uint8Array): Promise<{ inputs: readonly string[]; outputs: readonly string[] }> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    return { inputs: session.inputNames, outputs: session.outputNames };
  } finally {
    await session.release();
  }
}
