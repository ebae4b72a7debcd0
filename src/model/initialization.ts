import { parameterSizes, type ArchitectureName, type LayerShape, type Parameters } from '../backends/types.js';
import { SeededRandom } from './random.js';

/**
 * Fresh parameters (docs/SPEC.md section 2): weights uniform in ±√(6/(n+h+1)), biases 0, drawn from a
 * generator seeded with `seed` — W1 first, then W2, each in row-major order.
 */
export function initialParameters(shape: LayerShape, seed: number, architecture: ArchitectureName = 'sigmoid'): Parameters {
  if (architecture !== 'sigmoid') return dictionaryParameters(shape, seed);
  const { inputSize: n, hiddenSize: h } = shape;
  const limit = Math.sqrt(6 / (n + h + 1));
  const rng = new SeededRandom(seed);
  const uniformWeights = (count: number) => {
    const w = new Float32Array(count);
    for (let k = 0; k < count; k++) w[k] = (2 * rng.nextFloat() - 1) * limit;
    return w;
  };
  const sizes = parameterSizes(shape);
  const W1 = uniformWeights(sizes.W1);
  const W2 = uniformWeights(sizes.W2);
  return { W1, b1: new Float32Array(sizes.b1), W2, b2: new Float32Array(sizes.b2) };
}

/**
 * relu and topk, as SAELens and Gao et al. initialise them: each decoder row W_dec[j,:] (W2) a
 * random unit direction (n standard normals by Box–Muller from `seed`, scaled to norm 1), the
 * encoder its transpose (W_enc = W1 = W_decᵀ), b_enc = 0. b_dec starts at 0 and is set to the
 * mean of the (normalised) training data of the model's first training call (decoderBiasFromData).
 */
function dictionaryParameters(shape: LayerShape, seed: number): Parameters {
  const { inputSize: n, hiddenSize: h } = shape;
  const rng = new SeededRandom(seed);
  const normal = () => {
    // 1 − u in (0, 1], so the logarithm is finite
    const u = 1 - rng.nextFloat();
    const v = rng.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const W2 = new Float32Array(h * n);
  const W1 = new Float32Array(n * h);
  for (let j = 0; j < h; j++) {
    const row = Array.from({ length: n }, normal);
    const norm = Math.hypot(...row) || 1;
    for (let c = 0; c < n; c++) {
      W2[j * n + c] = row[c]! / norm;
      W1[c * h + j] = W2[j * n + c]!;
    }
  }
  return { W1, b1: new Float32Array(h), W2, b2: new Float32Array(n) };
}

/** b_dec for relu and topk: the mean of each column of the (normalised) training data x [rows×n]. */
export function decoderBiasFromData(x: Float32Array, rows: number, n: number): Float32Array {
  const mean = new Float64Array(n);
  for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) mean[c]! += x[i * n + c]!;
  return Float32Array.from(mean, (total) => total / rows);
}
