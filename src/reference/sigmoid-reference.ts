/**
 * The float64 reference of the sigmoid model (docs/SPEC.md section 2; src/architectures/sigmoid/):
 * slow and obvious on purpose, the oracle its kernels are checked against.
 *   a = σ(X·W1 + b1), y = σ(a·W2 + b2)
 *   L = r·½·Σ(y − x)² + (α/2)·(‖W1‖² + ‖W2‖²) + β·Σ_j KL(ρ ‖ ρ̂_j)
 */
import type { LayerShape, LossConfig, LossTerms, Parameters } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import type { Parameters64 } from './parameters64.js';

/**
 * ρ̂ is clamped to [KL_CLAMP, 1 − KL_CLAMP] inside the KL term, so that a unit whose float32
 * sigmoid saturates to exactly 0 or 1 gives a large but finite penalty instead of Infinity.
 * Every backend applies the same clamp.
 */
export const KL_CLAMP = 1e-6;

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** a = σ(X·W1 + b1), y = σ(a·W2 + b2). */
export function sigmoidForward(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
): { hidden: Float64Array; output: Float64Array } {
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

/** L = r·½·Σ(y − x)² + (α/2)·(‖W1‖² + ‖W2‖²) + β·Σ_j KL(ρ ‖ ρ̂_j), term by term. */
export function sigmoidLoss(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
  loss: LossConfig,
): LossTerms & { meanActivation: Float64Array } {
  const { hidden, output } = sigmoidForward(p, x, rows, shape);
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
export function sigmoidGradients(
  p: Parameters | Parameters64,
  x: ArrayLike<number>,
  rows: number,
  shape: LayerShape,
  loss: LossConfig,
): { terms: LossTerms; meanActivation: Float64Array; gradients: Parameters64 } {
  const { inputSize: n, hiddenSize: h } = shape;
  const { meanActivation: rhoHat, ...terms } = sigmoidLoss(p, x, rows, shape, loss);
  const { hidden, output } = sigmoidForward(p, x, rows, shape);
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

/** decode(a) = σ(a·W2 + b2). */
export function sigmoidDecode(p: Parameters | Parameters64, a: ArrayLike<number>, rows: number, shape: LayerShape): Float64Array {
  const { inputSize: n, hiddenSize: h } = shape;
  const output = gemmReference('nn', a, p.W2, rows, h, n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) output[i * n + j] = sigmoid(output[i * n + j]! + p.b2[j]!);
  return output;
}
