/**
 * Each architecture's float64 reference, by name: the oracle beside each module of
 * src/architectures/ (kept here, apart from the modules, because the reference is not shipped).
 * The table's type names every registered architecture, so a module without its reference does
 * not compile.
 */
import type { Architecture, ArchitectureName, LayerShape, LossConfig, LossTerms, Parameters } from '../backends/types.js';
import {
  deadMask,
  linearDecode,
  linearForward,
  linearGradients,
  linearLoss,
  renormalizeDecoder,
  type LinearLossState,
} from './linear-sae-reference.js';
import { batchTopKForward, batchTopKGradients, batchTopKLoss, batchTopKTrainingCodes, thresholdAfterStep } from './batchtopk-reference.js';
import { jumpReluForward, jumpReluGradients, jumpReluLoss } from './jumprelu-reference.js';
import type { Parameters64 } from './parameters64.js';
import { sigmoidDecode, sigmoidForward, sigmoidGradients, sigmoidLoss } from './sigmoid-reference.js';

type Params = Parameters | Parameters64;

export interface ArchitectureReference {
  forward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, architecture: Architecture): { hidden: Float64Array; output: Float64Array };
  decode(p: Params, a: ArrayLike<number>, rows: number, shape: LayerShape): Float64Array;
  loss(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState): LossTerms & { meanActivation: Float64Array };
  gradients(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState): { terms: LossTerms; meanActivation: Float64Array; gradients: Parameters64 };
  /** What the loss holds constant that is not a function of the parameters (topk: the dead units). */
  lossState(stepsSinceFired: Uint32Array, loss: LossConfig): LinearLossState;
  /** What a training step does after the update (topk: unit-norm decoder rows; batchtopk: θ's running mean from the step's codes). */
  afterUpdate?(p: Parameters64, shape: LayerShape, step: { hidden: Float64Array; rows: number; loss: LossConfig }): void;
  /** The codes of a training step, when they are not forward's (batchtopk: the batch's selection; forward is its inference). */
  trainingCodes?(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig): Float64Array;
}

const linear = {
  forward: (p, x, rows, shape, architecture) => {
    const { hidden, output } = linearForward(p, x, rows, shape, architecture);
    return { hidden, output };
  },
  decode: (p, a, rows, shape) => linearDecode(p, a, rows, shape),
  loss: linearLoss,
  gradients: linearGradients,
  lossState: () => ({ dead: null }),
} satisfies ArchitectureReference;

/** batchtopk, and matryoshka (batchtopk with groups: the loss reads loss.groupSizes). */
const batchTopK = {
  forward: (p, x, rows, shape) => {
    const { hidden, output } = batchTopKForward(p, x, rows, shape);
    return { hidden, output };
  },
  decode: (p, a, rows, shape) => linearDecode(p, a, rows, shape),
  loss: batchTopKLoss,
  gradients: batchTopKGradients,
  lossState: (stepsSinceFired, loss) => ({ dead: deadMask(stepsSinceFired, loss.deadSteps ?? 1) }),
  trainingCodes: batchTopKTrainingCodes,
  afterUpdate: (p, shape, step) => {
    renormalizeDecoder(p, shape);
    const next = thresholdAfterStep(p.theta![0]!, p.thetaSteps![0]!, step.hidden, step.loss);
    p.theta![0] = next.theta;
    p.thetaSteps![0] = next.steps;
  },
} satisfies ArchitectureReference;

export const REFERENCES: Record<ArchitectureName, ArchitectureReference> = {
  sigmoid: {
    forward: (p, x, rows, shape) => sigmoidForward(p, x, rows, shape),
    decode: sigmoidDecode,
    loss: (p, x, rows, shape, loss) => sigmoidLoss(p, x, rows, shape, loss),
    gradients: (p, x, rows, shape, loss) => sigmoidGradients(p, x, rows, shape, loss),
    lossState: () => ({}),
  },
  relu: linear,
  jumprelu: {
    forward: (p, x, rows, shape) => {
      const { hidden, output } = jumpReluForward(p, x, rows, shape);
      return { hidden, output };
    },
    decode: (p, a, rows, shape) => linearDecode(p, a, rows, shape),
    loss: (p, x, rows, shape, loss) => jumpReluLoss(p, x, rows, shape, loss),
    gradients: (p, x, rows, shape, loss) => jumpReluGradients(p, x, rows, shape, loss),
    lossState: () => ({}),
  },
  batchtopk: batchTopK,
  matryoshka: batchTopK,
  topk: {
    ...linear,
    lossState: (stepsSinceFired, loss) => ({ dead: deadMask(stepsSinceFired, loss.deadSteps ?? 1) }),
    afterUpdate: renormalizeDecoder,
  },
};

/** The reference of a registered architecture (absent: sigmoid). */
export function referenceOf(name: ArchitectureName | undefined): ArchitectureReference {
  return REFERENCES[name ?? 'sigmoid'];
}
