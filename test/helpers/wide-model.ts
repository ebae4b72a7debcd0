/**
 * A model file of any width for the upload-in-parts tests: a small trained model's state (its
 * config, scaling and metadata) with the hidden size widened to h and seeded weights, so a file of
 * several MiB is made in milliseconds, without training. Platform-free (used inside workerd).
 */
import { readBinaryModelFile, toBinaryModelFile } from '../../src/model/model-file-binary.js';
import type { ModelState } from '../../src/model/model-file.js';
import { mulberry32 } from './random.js';

/** `small` (a binary model file, relu or jumprelu, no optimizer state needed) widened to h hidden units. */
export function widenedModel(small: Uint8Array, h: number, seed = 1): { state: ModelState; file: Uint8Array } {
  const base = readBinaryModelFile(small);
  const n = base.shape.inputSize;
  const rng = mulberry32(seed);
  const values = (count: number, scale: number) => Float32Array.from({ length: count }, () => (rng() * 2 - 1) * scale);
  const parameters = { ...base.parameters, W1: values(n * h, 0.5), b1: values(h, 0.1), W2: values(h * n, 0.5) };
  const theta = (base.parameters as Record<string, Float32Array | undefined>).theta;
  if (theta) (parameters as Record<string, Float32Array>).theta = Float32Array.from({ length: theta.length === 1 ? 1 : h }, () => rng() * 0.1);
  const state: ModelState = {
    ...base,
    shape: { inputSize: n, hiddenSize: h },
    config: { ...base.config, hiddenSize: h },
    parameters,
    optimizerState: null,
    stepsSinceFired: null,
    metrics: null,
  };
  return { state, file: toBinaryModelFile(state) };
}
