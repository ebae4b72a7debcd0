/**
 * relu: the dictionary-learning SAE of Anthropic's "Towards Monosemanticity" updates (2024):
 *   z = (x − b_dec)·W_enc + b_enc, a = max(z, 0), x̂ = a·W_dec + b_dec
 *   L = (1/m)·Σ_i ‖x_i − x̂_i‖² + λ·(1/m)·Σ_i Σ_j a_ij·‖W_dec[j,:]‖₂      λ = sparsityWeight
 * Float64 reference: src/reference/relu-reference.ts (every formula and the gradient).
 */
import { centredDictionaryParameters, type ArchitectureModule } from '../contract.js';
import { dictionaryInitialisation } from '../linear/initialization.js';
import { linearOnnx } from '../linear/onnx.js';
import { reluAssemblyScript } from './assemblyscript.js';
import { reluTfjs } from './tfjs.js';

export const relu = {
  name: 'relu',
  summary: 'ReLU codes with a decoder-norm-weighted L1 penalty',
  // its λ is sigmoid's β row of the options table (sparsityWeight), which says so
  options: {},
  reads: ['sparsityWeight'],
  linearOutput: true,
  activeThreshold: 0,
  keepsFiringCounts: false,
  decoderBiasFromData: true,
  parameters: centredDictionaryParameters,
  initialise: dictionaryInitialisation,
  checkConfig: () => null,
  sessionArchitecture: () => ({ architecture: 'relu', k: 0 }),
  checkSessionArchitecture: () => null,
  describeSession: () => 'relu',
  checkLoss: () => null,
  lossFields: ({ sparsityTarget, sparsityWeight, weightDecay, reduction, k, auxK, auxCoefficient, deadSteps }) =>
    ({ sparsityTarget, sparsityWeight, weightDecay, reduction, architecture: 'relu', k, auxK, auxCoefficient, deadSteps }),
  assemblyscript: reluAssemblyScript,
  tfjs: reluTfjs,
  buildOnnx: linearOnnx((build, z) => {
    build.graph.node('Relu', [z], build.names.codes);
  }),
  onnxMetadata: () => [],
  tfjsLayers: { kind: 'dense', encoderActivation: 'relu', linearDecoder: true },
} as const satisfies ArchitectureModule;
