/**
 * The float64 reference of the model's math (docs/SPEC.md section 2): the oracle the kernels and
 * backends are tested against. It is deliberately slow and obvious — plain loops, no blocking,
 * no fusion — so that it can be checked by reading. Never optimise it.
 */
import { SIGMOID_ARCHITECTURE } from '../backends/types.js';
import type { Architecture, LayerShape, LossConfig, LossTerms, OptimizerConfig, Parameters } from '../backends/types.js';
import { referenceOf, trainingReference } from './architectures.js';
import type { LinearLossState } from './linear-dictionary-reference.js';
import type { Parameters64 } from './parameters64.js';

export { gemmReference } from './gemm-reference.js';
export type { Parameters64 } from './parameters64.js';
export { KL_CLAMP, klDivergence, meanActivation, reconstructionScale, sigmoid } from './sigmoid-reference.js';

export interface ReferenceAdamState {
  step: number;
  m: Parameters64;
  v: Parameters64;
}

export function toParameters64(p: Parameters | Parameters64): Parameters64 {
  return Object.fromEntries(Object.entries(p).map(([name, values]) => [name, Float64Array.from(values)])) as Parameters64;
}

/** The codes and outputs of a batch, by the architecture's reference (sigmoid: a = σ(X·W1 + b1), y = σ(a·W2 + b2)). */
export function referenceForward(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
  architecture: Architecture = SIGMOID_ARCHITECTURE,
): { hidden: Float64Array; output: Float64Array } {
  return referenceOf(architecture.architecture).forward(p, x, rows, shape, architecture);
}

/**
 * The loss terms, term by term, and ρ̂, by the architecture's reference (sigmoid: sigmoid-reference.ts;
 * relu: relu-reference.ts; topk: topk-reference.ts, where `state` — the dead units, the held residual — is used).
 */
export function referenceLoss(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
  loss: LossConfig,
  state: LinearLossState = {},
): LossTerms & { meanActivation: Float64Array } {
  return trainingReference(loss.architecture).loss(p, x, rows, shape, loss, state);
}

/** The analytic gradient of referenceLoss, by the architecture's reference (its formulas written beside it). */
export function referenceGradients(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
  loss: LossConfig,
  state: LinearLossState = {},
): { terms: LossTerms; meanActivation: Float64Array; gradients: Parameters64 } {
  return trainingReference(loss.architecture).gradients(p, x, rows, shape, loss, state);
}

export function zeroParameters64(shape: LayerShape): Parameters64 {
  const { inputSize: n, hiddenSize: h } = shape;
  return {
    W1: new Float64Array(n * h),
    b1: new Float64Array(h),
    W2: new Float64Array(h * n),
    b2: new Float64Array(n),
  };
}

/**
 * One optimizer step in place. Adam as Keras and tfjs compute it (docs/SPEC.md section 2):
 *   t = step + 1, lr_t = lr·√(1−β2^t)/(1−β1^t),
 *   m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², w −= lr_t·m/(√v + ε).
 * SGD: w −= lr·g (the state is left alone).
 */
/** g scaled by clipNorm/‖g‖₂ when its global norm exceeds clipNorm > 0 (a copy); else g itself. */
export function clippedGradients(g: Parameters64, clipNorm: number): Parameters64 {
  if (!(clipNorm > 0)) return g;
  let squares = 0;
  for (const values of Object.values(g)) for (const value of values) squares += value * value;
  const norm = Math.sqrt(squares);
  if (norm <= clipNorm) return g;
  const scaled = {} as Parameters64;
  for (const [name, values] of Object.entries(g)) scaled[name] = values.map((value) => (value * clipNorm) / norm);
  return scaled;
}

export function referenceAdamStep(
  p: Parameters64,
  g: Parameters64,
  state: ReferenceAdamState,
  optimizer: OptimizerConfig,
): void {
  g = clippedGradients(g, optimizer.clipNorm ?? 0);
  if (optimizer.kind === 'sgd') {
    for (const name of Object.keys(p)) {
      for (let k = 0; k < p[name]!.length; k++) p[name]![k]! -= optimizer.learningRate * g[name]![k]!;
    }
    return;
  }
  const { learningRate, beta1, beta2, epsilon } = optimizer;
  state.step += 1;
  const t = state.step;
  const lrT = (learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
  for (const name of Object.keys(p)) {
    const w = p[name]!;
    const grad = g[name]!;
    const m = state.m[name]!;
    const v = state.v[name]!;
    for (let k = 0; k < w.length; k++) {
      m[k] = beta1 * m[k]! + (1 - beta1) * grad[k]!;
      v[k] = beta2 * v[k]! + (1 - beta2) * grad[k]! ** 2;
      w[k]! -= (lrT * m[k]!) / (Math.sqrt(v[k]!) + epsilon);
    }
  }
}
