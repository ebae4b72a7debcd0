/**
 * batchtopk: Bussmann, Leask and Nanda (2024), "BatchTopK Sparse Autoencoders" (dictionary_learning's
 * trainers/batch_top_k.py; SAELens' batchtopk):
 *   z = (x − b_dec)·W_enc + b_enc, r = max(z, 0)
 *   training: a = r on the k·m largest r of the whole batch of m rows (ties to the lower flat
 *   index), else 0, so k codes a row on average; x̂ = a·W_dec + b_dec
 *   L = (1/m)·Σ_i ‖x_i − x̂_i‖² + c·(1/m)·Σ_i ‖e_i − ê_i‖²   (topk's AuxK over the dead units)
 *   inference: a = r ⊙ 1[r > θ], one threshold θ for every unit (a JumpReLU), θ the running mean
 *   of each training batch's smallest kept code (./threshold.ts); before θ's first update θ = 0
 *   and encode gives ReLU codes
 * and the decoder rows scaled to unit norm after every step (as topk and dictionary_learning).
 * Float64 reference, every formula written out: src/reference/batchtopk-reference.ts.
 */
import { centredDictionaryParameters, type ArchitectureModule, type LayerShape, type OnnxBuild, type ParameterSpec, type Parameters } from '../contract.js';
import { dictionaryInitialisation } from '../linear/initialization.js';
import { linearOnnx } from '../linear/onnx.js';
import { topk } from '../topk/index.js';
import { batchTopKAssemblyScript } from './assemblyscript.js';
import { batchTopKTfjs } from './tfjs.js';
import { THRESHOLD_DEFAULTS } from './threshold.js';

const OPTIONS = {
  thresholdDecay: { type: 'number', range: { min: 0, max: 1, maxExclusive: true }, default: THRESHOLD_DEFAULTS.thresholdDecay, description: 'batchtopk, matryoshka: β of the inference threshold\'s running mean θ ← β·θ + (1 − β)·(the batch\'s smallest kept code) (dictionary_learning\'s threshold_beta)' },
  thresholdStart: { type: 'integer', range: { min: 0, max: 2 ** 24 - 2 }, default: THRESHOLD_DEFAULTS.thresholdStart, description: 'batchtopk, matryoshka: training steps before the inference threshold\'s running mean starts (dictionary_learning\'s threshold_start_step); encode gives ReLU codes until then' },
} as const;

/** θ [1] (the model files' encoder.threshold) and the step counter of its warm-up [1], after the dictionary. */
export function thresholdParameters(shape: LayerShape): ParameterSpec[] {
  return [
    ...centredDictionaryParameters(shape),
    { name: 'theta', dims: [1], encoder: true, file: { layer: 'encoder', name: 'threshold' } },
    { name: 'thetaSteps', dims: [1], encoder: false, file: { layer: 'encoder', name: 'threshold_steps' } },
  ];
}

/** The dictionary initialisation, θ = 0 (encode: ReLU codes until θ's first update) and no step seen. */
export function thresholdInitialisation(shape: LayerShape, seed: number): Parameters {
  return { ...dictionaryInitialisation(shape, seed), theta: new Float32Array(1), thetaSteps: new Float32Array(1) };
}

/** codes = r ⊙ (r > θ), r = Relu(z): Relu, Greater, Cast, Mul. */
export const thresholdOnnx = linearOnnx(({ graph, names, parameters }: OnnxBuild, z: string) => {
  const r = graph.node('Relu', [z], 'rectified');
  const above = graph.node('Greater', [r, graph.constant('encoder.threshold', parameters.theta!, [1])], 'above_threshold');
  const mask = graph.node('Cast', [above], 'threshold_mask', [['to', 1]]);
  graph.node('Mul', [r, mask], names.codes);
});

/** A problem of θ's running-mean fields, or null. */
export function checkThresholdLoss(method: string, loss: { thresholdDecay?: number; thresholdStart?: number }): string | null {
  const beta = loss.thresholdDecay;
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) return `${method}: loss.thresholdDecay must be a number in [0, 1), got ${beta}`;
  const start = loss.thresholdStart;
  if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || start > OPTIONS.thresholdStart.range.max) return `${method}: loss.thresholdStart must be an integer from 0 to ${OPTIONS.thresholdStart.range.max}, got ${start}`;
  return null;
}

export const batchtopk = {
  name: 'batchtopk',
  summary: 'BatchTopK codes (k a row on average over the batch; one inference threshold)',
  options: OPTIONS,
  reads: ['k', 'auxK', 'auxCoefficient', 'deadSteps', 'thresholdDecay', 'thresholdStart'],
  linearOutput: true,
  activeThreshold: 0,
  keepsFiringCounts: true,
  decoderBiasFromData: true,
  parameters: thresholdParameters,
  initialise: thresholdInitialisation,
  checkConfig: (config) =>
    (config.k ?? 0) > config.hiddenSize ? { field: 'config.k', message: `must be at most the hidden size ${config.hiddenSize} (batchtopk keeps k·m of the m·h codes of a batch), got ${config.k}` } : null,
  sessionArchitecture: (loss) => ({ architecture: 'batchtopk', k: loss.k ?? 0 }),
  checkSessionArchitecture: (architecture, hiddenSize) => topk.checkSessionArchitecture(architecture, hiddenSize),
  describeSession: ({ k }) => `batchtopk with k = ${k}`,
  checkLoss: (method, loss) => topk.checkLoss(method, loss) ?? checkThresholdLoss(method, loss),
  lossFields: ({ sparsityTarget, sparsityWeight, weightDecay, reduction, k, auxK, auxCoefficient, deadSteps, thresholdDecay, thresholdStart }) =>
    ({ sparsityTarget, sparsityWeight, weightDecay, reduction, architecture: 'batchtopk', k, auxK, auxCoefficient, deadSteps, thresholdDecay, thresholdStart }),
  assemblyscript: batchTopKAssemblyScript,
  tfjs: batchTopKTfjs,
  buildOnnx: thresholdOnnx,
  onnxMetadata: ({ k }) => [['edge-sae.k', String(k)]],
  tfjsLayers: {
    kind: 'refused',
    reason: 'is "batchtopk", whose inference threshold has no place in the layers this export writes (Dense with sigmoid or relu); export batchtopk models as ONNX',
  },
} as const satisfies ArchitectureModule;
