/**
 * topk: Gao et al. (2024), "Scaling and evaluating sparse autoencoders":
 *   z = (x − b_dec)·W_enc + b_enc, a_ij = max(z_ij, 0) for j among row i's k largest z (ties to
 *   the lower index), else 0; x̂ = a·W_dec + b_dec
 *   L = (1/m)·Σ_i ‖x_i − x̂_i‖² + c·(1/m)·Σ_i ‖e_i − ê_i‖²   (AuxK over the dead units)
 * and the decoder rows scaled to unit norm after every step.
 * Float64 reference: src/reference/linear-sae-reference.ts (every formula and the gradient).
 */
import { centredDictionaryParameters, type ArchitectureModule } from '../contract.js';
import { dictionaryInitialisation } from '../linear/initialization.js';
import { linearOnnx } from '../linear/onnx.js';
import { topkAssemblyScript } from './assemblyscript.js';
import { topkTfjs } from './tfjs.js';

const OPTIONS = {
  k: { type: 'integer', range: { min: 1 }, default: 32, description: 'topk: codes kept per row, at most the hidden size (Gao et al. 2024); batchtopk, matryoshka: per row on average over a batch' },
  auxK: { type: 'integer', range: { min: 1 }, default: 512, description: 'topk: dead units whose largest pre-activations reconstruct the residual in the AuxK loss (Gao et al. 2024)' },
  auxCoefficient: { type: 'number', range: { min: 0 }, default: 0.03125, description: 'topk: weight of the AuxK loss (Gao et al. 2024: 1/32)' },
  deadSteps: { type: 'integer', range: { min: 1 }, default: 1000, description: 'topk: a unit that fires on no row of this many consecutive steps is dead (SAELens\' window)' },
} as const;

function positiveInteger(name: string, value: number | undefined): string | null {
  return value !== undefined && Number.isInteger(value) && value >= 1 ? null : `${name} must be a positive integer, got ${value ?? NaN}`;
}

export const topk = {
  name: 'topk',
  summary: 'TopK codes',
  options: OPTIONS,
  reads: ['k', 'auxK', 'auxCoefficient', 'deadSteps'],
  linearOutput: true,
  activeThreshold: 0,
  keepsFiringCounts: true,
  decoderBiasFromData: true,
  parameters: centredDictionaryParameters,
  initialise: dictionaryInitialisation,
  checkConfig(config) {
    if ((config.k ?? 0) > config.hiddenSize) {
      return { field: 'config.k', message: `must be at most the hidden size ${config.hiddenSize} (topk keeps k of the h codes), got ${config.k}` };
    }
    return null;
  },
  sessionArchitecture: (loss) => ({ architecture: 'topk', k: loss.k ?? 0 }),
  checkSessionArchitecture({ k }, hiddenSize) {
    return Number.isInteger(k) && k >= 1 && k <= hiddenSize ? null : `createSession: k must be an integer from 1 to hiddenSize = ${hiddenSize}, got ${k}`;
  },
  describeSession: ({ k }) => `topk with k = ${k}`,
  checkLoss(method, loss) {
    const problem = positiveInteger(`${method}: loss.auxK`, loss.auxK) ?? positiveInteger(`${method}: loss.deadSteps`, loss.deadSteps);
    if (problem !== null) return problem;
    const c = loss.auxCoefficient;
    if (typeof c !== 'number' || !(c >= 0) || !Number.isFinite(c)) return `${method}: loss.auxCoefficient must be a finite number ≥ 0, got ${c}`;
    return null;
  },
  lossFields: ({ sparsityTarget, sparsityWeight, weightDecay, reduction, k, auxK, auxCoefficient, deadSteps }) =>
    ({ sparsityTarget, sparsityWeight, weightDecay, reduction, architecture: 'topk', k, auxK, auxCoefficient, deadSteps }),
  assemblyscript: topkAssemblyScript,
  tfjs: topkTfjs,
  /** ONNX's TopK puts the lower index first among equal values, as the kernels break ties. */
  buildOnnx: linearOnnx(({ graph, names, architecture }, z) => {
    const [values, indices] = ['topk_values', 'topk_indices'] as const;
    graph.nodeOutputs('TopK', [z, graph.int64Constant('topk.k', [architecture.k], [1])], [values, indices]);
    const kept = graph.node('Relu', [values], 'topk_kept');
    const zeros = graph.node('ConstantOfShape', [graph.node('Shape', [z], 'pre_activations_shape')], 'zeros');
    graph.node('ScatterElements', [zeros, indices, kept], names.codes, [['axis', 1]]);
  }),
  onnxMetadata: ({ k }) => [['edge-sae.k', String(k)]],
  tfjsLayers: {
    kind: 'refused',
    reason: 'is "topk", but a TF.js layers model has no built-in layer that keeps each row\'s k largest codes (a custom layer would need registering in every program that loads it); export topk models as ONNX, whose TopK operator carries the selection',
  },
} as const satisfies ArchitectureModule;
