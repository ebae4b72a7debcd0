import { parameterSizes, type LayerShape, type Parameters } from '../backends/types.js';
import { SeededRandom } from './random.js';

/**
 * Fresh parameters (docs/SPEC.md section 2): weights uniform in ±√(6/(n+h+1)), biases 0, drawn from a
 * generator seeded with `seed` — W1 first, then W2, each in row-major order.
 */
export function initialParameters(shape: LayerShape, seed: number): Parameters {
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
