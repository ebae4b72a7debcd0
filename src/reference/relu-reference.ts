/**
 * The float64 reference of `relu` (Anthropic, "Towards Monosemanticity" updates, 2024: ReLU codes,
 * an L1 penalty weighted by decoder row norms), on the dictionary of linear-dictionary-reference.ts:
 *
 *   a = max(z, 0)
 *   sparsity = λ·(1/m)·Σ_i Σ_j a_ij·‖W_dec[j,:]‖₂              λ = sparsityWeight
 *
 * Gradients (norms ν_j = ‖W_dec[j,:]‖₂, d_i = (2/m)·(x̂_i − x_i)):
 *   δa = d·W_decᵀ + (λ/m)·ν_j on every row        δz = δa ⊙ 1[a > 0]
 *   gW_dec = aᵀ·d + (λ/m)·(Σ_i a_ij)·W_dec[j,:]/ν_j on row j (0 at ν_j = 0)
 *   gW_enc, gb_enc, gb_dec: the shared skeleton (encoderGradients).
 */
import type { LayerShape, LossConfig, LossTerms } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import { columnMeans, decoderNorms, encoderGradients, linearDecode, outputDelta, preActivations, reconstructionOf, type Params } from './linear-dictionary-reference.js';
import type { Parameters64 } from './parameters64.js';

/** a = max(z, 0). */
export function reluCodes(z: Float64Array): Float64Array {
  return z.map((v) => (v > 0 ? v : 0));
}

/** Pre-activations, codes and outputs. */
export function reluForward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape) {
  const pre = preActivations(p, x, rows, shape);
  const hidden = reluCodes(pre);
  return { pre, hidden, output: linearDecode(p, hidden, rows, shape) };
}

/** The loss terms of the header and ρ̂ (the mean code of each unit). */
export function reluLoss(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig) {
  const h = shape.hiddenSize;
  const { hidden, output } = reluForward(p, x, rows, shape);
  const reconstruction = reconstructionOf(x, output, rows);
  const norms = decoderNorms(p, shape);
  let weighted = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < h; j++) weighted += hidden[i * h + j]! * norms[j]!;
  const sparsity = (loss.sparsityWeight * weighted) / rows;
  const terms: LossTerms = { loss: reconstruction + sparsity, reconstruction, weightDecay: 0, sparsity };
  return { ...terms, meanActivation: columnMeans(hidden, rows, h) };
}

/** The analytic gradient of reluLoss, as the header writes it. */
export function reluGradients(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig) {
  const { inputSize: n, hiddenSize: h } = shape;
  const m = rows;
  const { meanActivation, ...terms } = reluLoss(p, x, rows, shape, loss);
  const { hidden: a, output } = reluForward(p, x, rows, shape);
  const d = outputDelta(x, output, m);
  const gW2 = gemmReference('tn', a, d, h, m, n);
  const deltaZ = gemmReference('nt', d, p.W2, m, n, h);
  const lambda = loss.sparsityWeight;
  const norms = decoderNorms(p, shape);
  for (let i = 0; i < m; i++) for (let j = 0; j < h; j++) deltaZ[i * h + j]! += (lambda / m) * norms[j]!;
  for (let j = 0; j < h; j++) {
    if (norms[j] === 0) continue;
    let codeSum = 0;
    for (let i = 0; i < m; i++) codeSum += a[i * h + j]!;
    for (let c = 0; c < n; c++) gW2[j * n + c]! += ((lambda / m) * codeSum * p.W2[j * n + c]!) / norms[j]!;
  }
  for (let q = 0; q < m * h; q++) if (!(a[q]! > 0)) deltaZ[q] = 0;
  const { W1, b1, b2 } = encoderGradients(p, x, m, shape, deltaZ, d);
  const gradients: Parameters64 = { W1, b1, W2: gW2, b2 };
  return { terms, meanActivation, gradients };
}
