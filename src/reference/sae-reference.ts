/**
 * The float64 reference of the model's math (docs/SPEC.md section 2): the oracle the kernels and
 * backends are tested against. It is deliberately slow and obvious — plain loops, no blocking,
 * no fusion — so that it can be checked by reading. Never optimise it.
 */
import { architectureOf, PARAMETER_NAMES, SIGMOID_ARCHITECTURE } from '../backends/types.js';
import type { Architecture, LayerShape, LossConfig, LossTerms, OptimizerConfig, Parameters } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import { linearForward, linearGradients, linearLoss, type LinearLossState } from './linear-sae-reference.js';
import type { Parameters64 } from './parameters64.js';

export { gemmReference } from './gemm-reference.js';
export type { Parameters64 } from './parameters64.js';

export interface ReferenceAdamState {
  step: number;
  m: Parameters64;
  v: Parameters64;
}

/**
 * ρ̂ is clamped to [KL_CLAMP, 1 − KL_CLAMP] inside the KL term, so that a unit whose float32
 * sigmoid saturates to exactly 0 or 1 gives a large but finite penalty instead of Infinity.
 * Every backend applies the same clamp.
 */
export const KL_CLAMP = 1e-6;

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function toParameters64(p: Parameters | Parameters64): Parameters64 {
  return {
    W1: Float64Array.from(p.W1),
    b1: Float64Array.from(p.b1),
    W2: Float64Array.from(p.W2),
    b2: Float64Array.from(p.b2),
  };
}

/**
 * sigmoid: a = σ(X·W1 + b1), y = σ(a·W2 + b2). relu and topk: linear-sae-reference.ts
 * (a the codes, y = x̂).
 */
export function referenceForward(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
  architecture: Architecture = SIGMOID_ARCHITECTURE,
): { hidden: Float64Array; output: Float64Array } {
  if (architecture.architecture !== 'sigmoid') {
    const { hidden, output } = linearForward(p, x, rows, shape, architecture);
    return { hidden, output };
  }
  const { inputSize: n, hiddenSize: h } = shape;
  const hidden = gemmReference('nn', x, p.W1, rows, n, h);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < h; j++) hidden[i * h + j] = sigmoid(hidden[i * h + j]! + p.b1[j]!);
  }
  const output = gemmReference('nn', hidden, p.W2, rows, h, n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) output[i * n + j] = sigmoid(output[i * n + j]! + p.b2[j]!);
  }
  return { hidden, output };
}

/** ρ̂_j = (1/m)·Σ_i a_ij. */
export function meanActivation(hidden: ArrayLike<number>, rows: number, h: number): Float64Array {
  const rhoHat = new Float64Array(h);
  for (let i = 0; i < rows; i++) for (let j = 0; j < h; j++) rhoHat[j]! += hidden[i * h + j]!;
  for (let j = 0; j < h; j++) rhoHat[j]! /= rows;
  return rhoHat;
}

function clampRate(q: number): number {
  return Math.min(Math.max(q, KL_CLAMP), 1 - KL_CLAMP);
}

/** KL(ρ‖q) = ρ·ln(ρ/q) + (1−ρ)·ln((1−ρ)/(1−q)), with q clamped as documented above. */
export function klDivergence(rho: number, q: number): number {
  const c = clampRate(q);
  return rho * Math.log(rho / c) + (1 - rho) * Math.log((1 - rho) / (1 - c));
}

/** r = 1 for "sum", 1/m for "mean". */
export function reconstructionScale(loss: LossConfig, rows: number): number {
  return loss.reduction === 'mean' ? 1 / rows : 1;
}

function sumOfSquares(values: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < values.length; k++) s += values[k]! * values[k]!;
  return s;
}

/**
 * sigmoid: L = r·½·Σ(y − x)² + (α/2)·(‖W1‖² + ‖W2‖²) + β·Σ_j KL(ρ ‖ ρ̂_j), term by term.
 * relu and topk: linear-sae-reference.ts, where `state` (the dead units, the held residual) is used.
 */
export function referenceLoss(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
  loss: LossConfig,
  state: LinearLossState = {},
): LossTerms & { meanActivation: Float64Array } {
  if (architectureOf(loss).architecture !== 'sigmoid') return linearLoss(p, x, rows, shape, loss, state);
  const { hidden, output } = referenceForward(p, x, rows, shape);
  let squaredError = 0;
  for (let k = 0; k < rows * shape.inputSize; k++) squaredError += (output[k]! - x[k]!) ** 2;
  const reconstruction = reconstructionScale(loss, rows) * 0.5 * squaredError;
  const weightDecay = (loss.weightDecay / 2) * (sumOfSquares(p.W1) + sumOfSquares(p.W2));
  const rhoHat = meanActivation(hidden, rows, shape.hiddenSize);
  let kl = 0;
  for (let j = 0; j < shape.hiddenSize; j++) kl += klDivergence(loss.sparsityTarget, rhoHat[j]!);
  const sparsity = loss.sparsityWeight * kl;
  return {
    loss: reconstruction + weightDecay + sparsity,
    reconstruction,
    weightDecay,
    sparsity,
    meanActivation: rhoHat,
  };
}

/**
 * The analytic gradient of referenceLoss (backpropagation written out):
 *   δ2 = r·(y − x)⊙y⊙(1 − y)                gW2 = aᵀ·δ2 + α·W2    gb2 = Σ_i δ2
 *   δ1 = (δ2·W2ᵀ + β/m·KL'(ρ̂))⊙a⊙(1 − a)     gW1 = Xᵀ·δ1 + α·W1    gb1 = Σ_i δ1
 * where KL'(q) = −ρ/q + (1−ρ)/(1−q) at the clamped q (the clamp's own derivative is ignored:
 * it only bites on saturated units).
 */
export function referenceGradients(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
  loss: LossConfig,
  state: LinearLossState = {},
): { terms: LossTerms; meanActivation: Float64Array; gradients: Parameters64 } {
  if (architectureOf(loss).architecture !== 'sigmoid') return linearGradients(p, x, rows, shape, loss, state);
  const { inputSize: n, hiddenSize: h } = shape;
  const { meanActivation: rhoHat, ...terms } = referenceLoss(p, x, rows, shape, loss);
  const { hidden, output } = referenceForward(p, x, rows, shape);
  const r = reconstructionScale(loss, rows);

  const delta2 = new Float64Array(rows * n);
  for (let k = 0; k < rows * n; k++) {
    const y = output[k]!;
    delta2[k] = r * (y - x[k]!) * y * (1 - y);
  }
  const gW2 = gemmReference('tn', hidden, delta2, h, rows, n);
  for (let k = 0; k < h * n; k++) gW2[k]! += loss.weightDecay * p.W2[k]!;
  const gb2 = columnSums(delta2, rows, n);

  const rho = loss.sparsityTarget;
  const klGrad = new Float64Array(h);
  for (let j = 0; j < h; j++) {
    const q = clampRate(rhoHat[j]!);
    klGrad[j] = (loss.sparsityWeight / rows) * (-rho / q + (1 - rho) / (1 - q));
  }
  const delta1 = gemmReference('nt', delta2, p.W2, rows, n, h);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < h; j++) {
      const a = hidden[i * h + j]!;
      delta1[i * h + j] = (delta1[i * h + j]! + klGrad[j]!) * a * (1 - a);
    }
  }
  const gW1 = gemmReference('tn', x, delta1, n, rows, h);
  for (let k = 0; k < n * h; k++) gW1[k]! += loss.weightDecay * p.W1[k]!;
  const gb1 = columnSums(delta1, rows, h);

  return { terms, meanActivation: rhoHat, gradients: { W1: gW1, b1: gb1, W2: gW2, b2: gb2 } };
}

function columnSums(values: Float64Array, rows: number, cols: number): Float64Array {
  const sums = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) sums[j]! += values[i * cols + j]!;
  return sums;
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
  for (const name of PARAMETER_NAMES) for (const value of g[name]) squares += value * value;
  const norm = Math.sqrt(squares);
  if (norm <= clipNorm) return g;
  const scaled = {} as Parameters64;
  for (const name of PARAMETER_NAMES) scaled[name] = g[name].map((value) => (value * clipNorm) / norm);
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
    for (const name of PARAMETER_NAMES) {
      for (let k = 0; k < p[name].length; k++) p[name][k]! -= optimizer.learningRate * g[name][k]!;
    }
    return;
  }
  const { learningRate, beta1, beta2, epsilon } = optimizer;
  state.step += 1;
  const t = state.step;
  const lrT = (learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
  for (const name of PARAMETER_NAMES) {
    const w = p[name];
    const grad = g[name];
    const m = state.m[name];
    const v = state.v[name];
    for (let k = 0; k < w.length; k++) {
      m[k] = beta1 * m[k]! + (1 - beta1) * grad[k]!;
      v[k] = beta2 * v[k]! + (1 - beta2) * grad[k]! ** 2;
      w[k]! -= (lrT * m[k]!) / (Math.sqrt(v[k]!) + epsilon);
    }
  }
}
