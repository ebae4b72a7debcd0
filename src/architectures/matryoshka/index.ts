/**
 * matryoshka: Bussmann et al. (2025), "Learning Multi-Level Features with Matryoshka Sparse
 * Autoencoders" (dictionary_learning's trainers/matryoshka_batch_top_k.py, MatryoshkaBatchTopKSAE):
 * batchtopk (../batchtopk/) whose dictionary is split into nested groups (groupSizes, summing to
 * h): the units of the first g groups form prefix g, and each prefix reconstructs the input alone,
 *   x̂^(g) = a[:, :P_g]·W_dec[:P_g] + b_dec,   L = (1/G)·Σ_g w_g·(1/m)·Σ_i ‖x_i − x̂^(g)_i‖² + AuxK
 * with dictionary_learning's default weights w_g = 1/G (its loss is the mean over the groups of the
 * weighted prefix losses). The selection (the batch's k·m largest codes), θ, encode and the decoder
 * renormalisation are batchtopk's, over the whole dictionary.
 * Float64 reference, every formula written out: src/reference/batchtopk-reference.ts.
 */
import type { ArchitectureModule } from '../contract.js';
import { batchtopk, checkThresholdLoss, thresholdInitialisation, thresholdOnnx, thresholdParameters } from '../batchtopk/index.js';
import { topk } from '../topk/index.js';
import { groupSizesProblem } from './groups.js';
import { matryoshkaAssemblyScript } from './assemblyscript.js';
import { matryoshkaTfjs } from './tfjs.js';

const OPTIONS = {
  groupSizes: { type: 'integers', range: { min: 1 }, default: [], description: 'matryoshka: the sizes of the nested groups of units, first to last (their sum is the hidden size; e.g. 12,12,24): each prefix of groups reconstructs the input alone (Bussmann et al. 2025)' },
} as const;

export const matryoshka = {
  name: 'matryoshka',
  summary: 'Matryoshka BatchTopK codes (nested groups of units, each prefix reconstructing alone)',
  options: OPTIONS,
  reads: ['k', 'auxK', 'auxCoefficient', 'deadSteps', 'thresholdDecay', 'thresholdStart', 'groupSizes'],
  linearOutput: true,
  activeThreshold: 0,
  keepsFiringCounts: true,
  decoderBiasFromData: true,
  parameters: thresholdParameters,
  initialise: thresholdInitialisation,
  checkConfig(config) {
    const problem = groupSizesProblem(config.groupSizes, config.hiddenSize);
    if (problem !== null) return { field: 'config.groupSizes', message: problem };
    return (config.k ?? 0) > config.hiddenSize ? { field: 'config.k', message: `must be at most the hidden size ${config.hiddenSize} (matryoshka keeps k·m of the m·h codes of a batch), got ${config.k}` } : null;
  },
  sessionArchitecture: (loss) => ({ architecture: 'matryoshka', k: loss.k ?? 0 }),
  checkSessionArchitecture: (architecture, hiddenSize) => topk.checkSessionArchitecture(architecture, hiddenSize),
  describeSession: ({ k }) => `matryoshka with k = ${k}`,
  checkLoss(method, loss, hiddenSize) {
    const problem = topk.checkLoss(method, loss) ?? checkThresholdLoss(method, loss);
    if (problem !== null) return problem;
    const groups = groupSizesProblem(loss.groupSizes, hiddenSize);
    return groups === null ? null : `${method}: loss.groupSizes ${groups}`;
  },
  lossFields: ({ sparsityTarget, sparsityWeight, weightDecay, reduction, k, auxK, auxCoefficient, deadSteps, thresholdDecay, thresholdStart, groupSizes }) =>
    ({ sparsityTarget, sparsityWeight, weightDecay, reduction, architecture: 'matryoshka', k, auxK, auxCoefficient, deadSteps, thresholdDecay, thresholdStart, groupSizes }),
  assemblyscript: matryoshkaAssemblyScript,
  tfjs: matryoshkaTfjs,
  buildOnnx: thresholdOnnx,
  onnxMetadata: (architecture) => batchtopk.onnxMetadata(architecture),
  tfjsLayers: {
    kind: 'refused',
    reason: 'is "matryoshka", whose inference threshold has no place in the layers this export writes (Dense with sigmoid or relu); export matryoshka models as ONNX',
  },
} as const satisfies ArchitectureModule;
