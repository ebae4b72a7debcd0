/**
 * The float64 reference of jumprelu (Rajamanoharan et al. 2024, "Jumping Ahead: Improving
 * Reconstruction Fidelity with JumpReLU Sparse Autoencoders"; SAELens' jumprelu_sae.py), slow and
 * obvious on purpose: the oracle its kernels are checked against (src/architectures/jumprelu/).
 *
 * Parameters: W_enc = W1 [n×h], b_enc = b1 [h], W_dec = W2 [h×n], b_dec = b2 [n], θ = theta [h].
 *
 * Forward, on a batch X [m×n] (H(u) = 1 for u > 0, else 0):
 *   z = (X − b_dec)·W_enc + b_enc
 *   a = z ⊙ H(z − θ)                       (JumpReLU: a unit passes its z only above its threshold)
 *   x̂ = a·W_dec + b_dec
 *
 * Loss (means over the m rows, as relu's and topk's):
 *   reconstruction = (1/m)·Σ_i ‖x_i − x̂_i‖²
 *   sparsity       = λ·(1/m)·Σ_i Σ_j H(z_ij − θ_j)                λ = l0Coefficient (the L0 term)
 *
 * Gradients. H has derivative 0 almost everywhere, so θ learns through the paper's
 * straight-through pseudo-derivatives with the rectangle kernel K(u) = 1[−½ < u < ½] of bandwidth ε:
 *   ∂/∂θ_j [z ⊙ H(z − θ)]  :=  −(θ_j/ε)·K((z − θ_j)/ε)          (the JumpReLU, eq. 11)
 *   ∂/∂θ_j H(z − θ)        :=  −(1/ε)·K((z − θ_j)/ε)             (the Heaviside of the L0 term, eq. 12)
 * and, as SAELens, no straight-through term for z (∂a/∂z = H(z − θ); the L0 term gives z nothing).
 * Written out, with d_i = (2/m)·(x̂_i − x_i):
 *   gW_dec = aᵀ·d        δa = d·W_decᵀ        δz = δa ⊙ H(z − θ)
 *   gθ_j   = Σ_i [ −(θ_j/ε)·δa_ij − λ/(m·ε) ]·K((z_ij − θ_j)/ε)
 *   gW_enc = (X − b_dec)ᵀ·δz     gb_enc = Σ_i δz_i     gb_dec = Σ_i d_i − W_enc·gb_enc
 * The reconstruction is differentiable in every parameter but θ (away from z = θ), which the tests
 * check against central differences; the θ part is checked against these formulas.
 */
import type { LayerShape, LossConfig, LossTerms, Parameters } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import { linearDecode, preActivations } from './linear-dictionary-reference.js';
import type { Parameters64 } from './parameters64.js';

type Params = Parameters | Parameters64;

/** K(u) = 1 for −½ < u < ½, else 0: the rectangle kernel. */
export function rectangle(u: number): number {
  return u > -0.5 && u < 0.5 ? 1 : 0;
}

function thresholdOf(p: Params): ArrayLike<number> {
  const theta = p.theta;
  if (theta === undefined) throw new Error('jumprelu reference: the parameters have no theta');
  return theta;
}

/** Pre-activations z, codes a = z ⊙ H(z − θ) and outputs x̂. */
export function jumpReluForward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape) {
  const h = shape.hiddenSize;
  const theta = thresholdOf(p);
  const pre = preActivations(p, x, rows, shape);
  const hidden = new Float64Array(rows * h);
  for (let i = 0; i < rows; i++) for (let j = 0; j < h; j++) hidden[i * h + j] = pre[i * h + j]! > theta[j]! ? pre[i * h + j]! : 0;
  return { pre, hidden, output: linearDecode(p, hidden, rows, shape) };
}

/** The loss terms of the header and ρ̂ (the mean code of each unit). */
export function jumpReluLoss(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig): LossTerms & { meanActivation: Float64Array } {
  const { inputSize: n, hiddenSize: h } = shape;
  const theta = thresholdOf(p);
  const { pre, hidden, output } = jumpReluForward(p, x, rows, shape);
  let squaredError = 0;
  for (let q = 0; q < rows * n; q++) squaredError += (x[q]! - output[q]!) ** 2;
  let active = 0;
  for (let i = 0; i < rows; i++) for (let j = 0; j < h; j++) active += pre[i * h + j]! > theta[j]! ? 1 : 0;
  const reconstruction = squaredError / rows;
  const sparsity = ((loss.l0Coefficient ?? 0) * active) / rows;
  const meanActivation = new Float64Array(h);
  for (let i = 0; i < rows; i++) for (let j = 0; j < h; j++) meanActivation[j]! += hidden[i * h + j]! / rows;
  return { loss: reconstruction + sparsity, reconstruction, weightDecay: 0, sparsity, meanActivation };
}

/** The gradient of the header, the pseudo-derivatives for θ included. */
export function jumpReluGradients(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig) {
  const { inputSize: n, hiddenSize: h } = shape;
  const m = rows;
  const theta = thresholdOf(p);
  const lambda = loss.l0Coefficient ?? 0;
  const epsilon = loss.bandwidth ?? 1;
  const { meanActivation, ...terms } = jumpReluLoss(p, x, rows, shape, loss);
  const { pre: z, hidden: a, output } = jumpReluForward(p, x, rows, shape);

  const d = new Float64Array(m * n);
  for (let q = 0; q < m * n; q++) d[q] = (2 / m) * (output[q]! - x[q]!);
  const gW2 = gemmReference('tn', a, d, h, m, n);
  const deltaA = gemmReference('nt', d, p.W2, m, n, h);
  const deltaZ = new Float64Array(m * h);
  const gTheta = new Float64Array(h);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < h; j++) {
      const q = i * h + j;
      deltaZ[q] = z[q]! > theta[j]! ? deltaA[q]! : 0;
      gTheta[j]! += (-(theta[j]! / epsilon) * deltaA[q]! - lambda / (m * epsilon)) * rectangle((z[q]! - theta[j]!) / epsilon);
    }
  }
  const centred = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let c = 0; c < n; c++) centred[i * n + c] = x[i * n + c]! - p.b2[c]!;
  const gW1 = gemmReference('tn', centred, deltaZ, n, m, h);
  const gb1 = new Float64Array(h);
  for (let i = 0; i < m; i++) for (let j = 0; j < h; j++) gb1[j]! += deltaZ[i * h + j]!;
  const gb2 = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let c = 0; c < n; c++) gb2[c]! += d[i * n + c]!;
  for (let c = 0; c < n; c++) for (let j = 0; j < h; j++) gb2[c]! -= p.W1[c * h + j]! * gb1[j]!;
  const gradients: Parameters64 = { W1: gW1, b1: gb1, W2: gW2, b2: gb2, theta: gTheta };
  return { terms, meanActivation, gradients };
}

/**
 * λ at each of the first `steps` training steps with a warm-up of W = warmupSteps steps, as
 * SAELens' CoefficientScheduler hands it to its training steps (sae_lens/training/optim.py, read
 * by sae_trainer.py before the step, then advanced by scheduler.step()):
 *   current_value = 0 (W > 0) or λ;  after step t: current_value = λ·(t + 1)/W while t < W, else λ
 * so step t trains with λ·t/W for t < W and λ after. Simulated, not solved, so the closed form of
 * src/model/schedule.ts (lossAt) is checked against the scheduler itself.
 */
export function warmedUpL0Coefficients(lambda: number, warmupSteps: number, steps: number): number[] {
  let current = warmupSteps > 0 ? 0 : lambda;
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    out.push(current);
    current = t < warmupSteps ? (lambda * (t + 1)) / warmupSteps : lambda;
  }
  return out;
}
