/**
 * sigmoid: the TensorFlow tutorial's sparse autoencoder (docs/SPEC.md section 2), one sigmoid
 * hidden layer trained on squared error + weight decay + a KL sparsity penalty on each unit's
 * mean activation:
 *   a = σ(X·W1 + b1), y = σ(a·W2 + b2)
 *   L = r·½·Σ(y − x)² + (α/2)·(‖W1‖² + ‖W2‖²) + β·Σ_j KL(ρ ‖ ρ̂_j),   r = 1 (sum) or 1/m (mean)
 * Float64 reference: src/reference/sae-reference.ts (sigmoidReference).
 */
import { SeededRandom } from '../../util/random.js';
import { dictionaryParameters, sizeOf, type ArchitectureModule, type LayerShape, type Parameters } from '../contract.js';
import { sigmoidAssemblyScript } from './assemblyscript.js';
import { buildSigmoidOnnx } from './onnx.js';
import { sigmoidTfjs } from './tfjs.js';

/** A sigmoid unit is active above this activation (and dead when it never is): its codes σ(z) are never exactly 0. */
export const SIGMOID_ACTIVE_THRESHOLD = 0.01;

const OPTIONS = {
  sparsityTarget: { type: 'number', range: { min: 0, max: 1, minExclusive: true, maxExclusive: true }, default: 0.1, description: 'target mean activation ρ, in (0, 1) (sigmoid)' },
  sparsityWeight: { type: 'number', range: { min: 0 }, default: 0.1, description: 'weight β of the KL sparsity penalty (sigmoid); the L1 weight λ (relu)' },
  weightDecay: { type: 'number', range: { min: 0 }, default: 0.1, description: 'weight α of the L2 penalty on W1 and W2 (sigmoid)' },
} as const;

/**
 * Weights uniform in ±√(6/(n+h+1)), biases 0, drawn from a generator seeded with `seed` — W1
 * first, then W2, each in row-major order.
 */
function initialise(shape: LayerShape, seed: number): Parameters {
  const { inputSize: n, hiddenSize: h } = shape;
  const limit = Math.sqrt(6 / (n + h + 1));
  const rng = new SeededRandom(seed);
  const uniformWeights = (count: number) => {
    const w = new Float32Array(count);
    for (let k = 0; k < count; k++) w[k] = (2 * rng.nextFloat() - 1) * limit;
    return w;
  };
  const [, b1, , b2] = dictionaryParameters(shape);
  const W1 = uniformWeights(n * h);
  const W2 = uniformWeights(h * n);
  return { W1, b1: new Float32Array(sizeOf(b1!.dims)), W2, b2: new Float32Array(sizeOf(b2!.dims)) };
}

export const sigmoid = {
  name: 'sigmoid',
  summary: 'the tutorial\'s sigmoid units with KL sparsity',
  options: OPTIONS,
  reads: ['sparsityTarget', 'sparsityWeight', 'weightDecay', 'reduction'],
  linearOutput: false,
  activeThreshold: SIGMOID_ACTIVE_THRESHOLD,
  keepsFiringCounts: false,
  decoderBiasFromData: false,
  parameters: dictionaryParameters,
  initialise,
  checkConfig(config) {
    if (config.normalize === 'standardize') {
      // Standardised inputs lie outside [0, 1], where the sigmoid model's outputs cannot follow.
      return { field: 'config.normalize', message: 'standardize is for the relu and topk architectures (their output is linear); the sigmoid model reconstructs values in [0, 1]: use minmax' };
    }
    return null;
  },
  sessionArchitecture: () => ({ architecture: 'sigmoid', k: 0 }),
  checkSessionArchitecture: () => null,
  describeSession: () => 'sigmoid',
  checkLoss: () => null,
  /** The sigmoid model's four fields exactly as before (no architecture field: absent means sigmoid). */
  lossFields: ({ sparsityTarget, sparsityWeight, weightDecay, reduction }) => ({ sparsityTarget, sparsityWeight, weightDecay, reduction }),
  assemblyscript: sigmoidAssemblyScript,
  tfjs: sigmoidTfjs,
  buildOnnx: buildSigmoidOnnx,
  onnxMetadata: () => [],
  tfjsLayers: { kind: 'dense', encoderActivation: 'sigmoid', linearDecoder: false },
} as const satisfies ArchitectureModule;
