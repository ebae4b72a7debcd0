import { SeededRandom } from '../../util/random.js';
import type { LayerShape, Parameters } from '../contract.js';

/**
 * The dictionary SAEs, as SAELens and Gao et al. initialise them: each decoder row W_dec[j,:] (W2)
 * a random unit direction (n standard normals by Box–Muller from `seed`, scaled to norm 1), the
 * encoder its transpose (W_enc = W1 = W_decᵀ), b_enc = 0. b_dec starts at 0 and is set to the
 * mean of the (normalised) training data of the model's first training call (decoderBiasFromData
 * in src/model/initialization.ts).
 */
export function dictionaryInitialisation(shape: LayerShape, seed: number): Parameters {
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
