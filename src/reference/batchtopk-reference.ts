/**
 * The float64 reference of batchtopk (Bussmann et al. 2024, "BatchTopK Sparse Autoencoders";
 * dictionary_learning's trainers/batch_top_k.py) and matryoshka (Bussmann et al. 2025, "Learning
 * Multi-Level Features with Matryoshka SAEs"; dictionary_learning's trainers/matryoshka_batch_top_k.py),
 * slow and obvious on purpose: the oracle their kernels are checked against
 * (src/architectures/batchtopk/, src/architectures/matryoshka/). BatchTopK is the Matryoshka SAE
 * with one group (G = 1), so one reference serves both.
 *
 * Parameters: W_enc = W1 [n×h], b_enc = b1 [h], W_dec = W2 [h×n], b_dec = b2 [n], and two
 * scalars of state that no gradient trains: θ = theta [1] (the inference threshold) and
 * thetaSteps [1] (training steps seen, for θ's warm-up).
 *
 * Training forward, on a batch X [m×n]:
 *   z = (X − b_dec)·W_enc + b_enc,  r = max(z, 0)
 *   S = the K = k·m largest r over all m·h entries of the batch (ties to the lower flat index i·h + j)
 *   a_ij = r_ij for (i, j) in S, else 0;  x̂ = a·W_dec + b_dec
 * Inference (encode, forward): a = r ⊙ 1[r > θ] (= z ⊙ 1[z > θ] for θ ≥ 0, which training keeps): a JumpReLU
 * with one threshold for every unit. Before θ's first update θ = 0 and encode gives ReLU codes.
 *
 * Loss, with groups g = 1..G of sizes s_g (Σ s_g = h), prefix ends P_g = s_1 + … + s_g, and
 * dictionary_learning's default weights w_g = 1/G:
 *   x̂^(g) = a[:, :P_g]·W_dec[:P_g, :] + b_dec        (prefix g reconstructs the input alone)
 *   reconstruction = (1/G)·Σ_g w_g·(1/m)·Σ_i ‖x_i − x̂^(g)_i‖²
 *     (dictionary_learning: the mean over the groups of the weighted prefix losses; G = 1 gives
 *     batchtopk's (1/m)·Σ_i ‖x_i − x̂_i‖²)
 *   sparsity = topk's AuxK on the full reconstruction: c·(1/m)·Σ_i ‖e_i − ê_i‖², e = x − x̂^(G)
 *     held constant, ê from each row's min(auxK, |D|) largest z over the dead units D
 *     (linear-sae-reference.ts, auxCodes)
 *
 * Gradients (the selection S is piecewise constant in the parameters; it is held fixed):
 *   d^(g) = (2·w_g/(G·m))·(x̂^(g) − x);  D_g = Σ_{g' ≥ g} d^(g')   (unit j of group g is in prefixes g..G)
 *   for j in group g:  gW_dec[j,:] = Σ_i a_ij·D_g,i   δa_ij = D_g,i·W_dec[j,:]ᵀ
 *   δz = δa ⊙ 1[a > 0]  (+ AuxK: (d_aux·W_decᵀ) ⊙ 1[a_aux > 0], gW_dec += a_auxᵀ·d_aux)
 *   gW_enc = (X − b_dec)ᵀ·δz   gb_enc = Σ_i δz_i   gb_dec = Σ_i D_1,i − W_enc·gb_enc
 *   gθ = 0, gthetaSteps = 0 (state, not trained by the optimizer: a zero gradient leaves them as
 *   they are under SGD and Adam alike).
 *
 * θ's update after a training step (thresholdAfterStep here; the backends share nextThreshold of
 * src/architectures/batchtopk/threshold.ts), with μ = the smallest positive code a of the step's batch (0
 * if none), c = thetaSteps, β = thresholdDecay, s = thresholdStart:
 *   c < s: θ unchanged (warm-up);  c = s: θ ← μ;  c > s: θ ← β·θ + (1 − β)·μ;  then c ← min(c + 1, s + 1)
 */
import type { LayerShape, LossConfig, LossTerms, Parameters } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import { auxCodes, linearDecode, preActivations, residualOf, type LinearLossState } from './linear-sae-reference.js';
import type { Parameters64 } from './parameters64.js';

type Params = Parameters | Parameters64;

/** The prefix ends P_g of `groupSizes` (absent: one group of h, batchtopk). */
export function prefixEnds(groupSizes: readonly number[] | undefined, h: number): number[] {
  const sizes = groupSizes && groupSizes.length > 0 ? groupSizes : [h];
  let end = 0;
  return sizes.map((s) => (end += s));
}

/** 1 where r = max(z, 0) is among the K = k·rows largest of the batch (ties to the lower flat index). */
export function batchTopMask(z: ArrayLike<number>, rows: number, h: number, k: number): Uint8Array {
  const count = rows * h;
  const order = Array.from({ length: count }, (_, q) => q);
  const r = (q: number) => Math.max(z[q]!, 0);
  order.sort((u, v) => r(v) - r(u) || u - v);
  const mask = new Uint8Array(count);
  for (const q of order.slice(0, Math.min(k * rows, count))) mask[q] = 1;
  return mask;
}

/** The training codes: r on the batch's K largest, 0 elsewhere. */
export function batchTopKCodes(z: ArrayLike<number>, rows: number, h: number, k: number): Float64Array {
  const keep = batchTopMask(z, rows, h, k);
  return Float64Array.from({ length: rows * h }, (_, q) => (keep[q] && z[q]! > 0 ? z[q]! : 0));
}

function thresholdOf(p: Params): number {
  const theta = p.theta;
  if (theta === undefined || theta.length !== 1) throw new Error('batchtopk reference: the parameters have no scalar theta');
  return theta[0]!;
}

/** Inference: a = z ⊙ 1[z > θ], and x̂. */
export function batchTopKForward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape) {
  const theta = thresholdOf(p);
  const pre = preActivations(p, x, rows, shape);
  // r = max(z, 0) first, as dictionary_learning: a θ below 0 (a file's) still gives no negative code
  const hidden = pre.map((v) => (Math.max(v, 0) > theta ? Math.max(v, 0) : 0));
  return { pre, hidden, output: linearDecode(p, hidden, rows, shape) };
}

/** Training forward: the batch's codes and every prefix's reconstruction x̂^(g). */
function trainingForward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig) {
  const { inputSize: n, hiddenSize: h } = shape;
  const pre = preActivations(p, x, rows, shape);
  const a = batchTopKCodes(pre, rows, h, loss.k ?? 0);
  const ends = prefixEnds(loss.groupSizes, h);
  const prefixes = ends.map((end) => {
    const out = new Float64Array(rows * n);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < n; c++) {
        let s = p.b2[c]!;
        for (let j = 0; j < end; j++) s += a[i * h + j]! * p.W2[j * n + c]!;
        out[i * n + c] = s;
      }
    }
    return out;
  });
  return { pre, a, ends, prefixes };
}

/** The training codes of a batch (what the dead-unit bookkeeping and θ's update read). */
export function batchTopKTrainingCodes(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig): Float64Array {
  return batchTopKCodes(preActivations(p, x, rows, shape), rows, shape.hiddenSize, loss.k ?? 0);
}

/** The loss terms of the header and ρ̂ (the mean training code of each unit). */
export function batchTopKLoss(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState = {}) {
  const { inputSize: n, hiddenSize: h } = shape;
  const { pre, a, ends, prefixes } = trainingForward(p, x, rows, shape, loss);
  const G = ends.length;
  let reconstruction = 0;
  for (const out of prefixes) {
    let squared = 0;
    for (let q = 0; q < rows * n; q++) squared += (x[q]! - out[q]!) ** 2;
    reconstruction += (1 / G) * (1 / G) * (squared / rows);
  }
  let sparsity = 0;
  if (state.dead && state.dead.some((d) => d !== 0)) {
    const e = state.residual ?? residualOf(x, prefixes[G - 1]!);
    const eHat = linearDecode(p, auxCodes(pre, rows, h, loss.auxK ?? 0, state.dead), rows, shape, false);
    let auxError = 0;
    for (let q = 0; q < rows * n; q++) auxError += (e[q]! - eHat[q]!) ** 2;
    sparsity = ((loss.auxCoefficient ?? 0) * auxError) / rows;
  }
  const meanActivation = new Float64Array(h);
  for (let i = 0; i < rows; i++) for (let j = 0; j < h; j++) meanActivation[j]! += a[i * h + j]! / rows;
  const terms: LossTerms = { loss: reconstruction + sparsity, reconstruction, weightDecay: 0, sparsity };
  return { ...terms, meanActivation };
}

/** The gradient of the header (θ's and the step counter's: 0). */
export function batchTopKGradients(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState = {}) {
  const { inputSize: n, hiddenSize: h } = shape;
  const m = rows;
  const { meanActivation, ...terms } = batchTopKLoss(p, x, rows, shape, loss, state);
  const { pre, a, ends, prefixes } = trainingForward(p, x, rows, shape, loss);
  const G = ends.length;
  // D_g = Σ_{g' ≥ g} d^(g'), built from the last group down
  const D: Float64Array[] = new Array<Float64Array>(G);
  let running = new Float64Array(m * n);
  for (let g = G - 1; g >= 0; g--) {
    const next = new Float64Array(m * n);
    for (let q = 0; q < m * n; q++) next[q] = running[q]! + ((2 * (1 / G)) / (G * m)) * (prefixes[g]![q]! - x[q]!);
    D[g] = running = next;
  }
  const gW2 = new Float64Array(h * n);
  const deltaZ = new Float64Array(m * h);
  let start = 0;
  ends.forEach((end, g) => {
    for (let j = start; j < end; j++) {
      for (let i = 0; i < m; i++) {
        let da = 0;
        for (let c = 0; c < n; c++) {
          gW2[j * n + c]! += a[i * h + j]! * D[g]![i * n + c]!;
          da += D[g]![i * n + c]! * p.W2[j * n + c]!;
        }
        deltaZ[i * h + j] = a[i * h + j]! > 0 ? da : 0;
      }
    }
    start = end;
  });

  if (state.dead && state.dead.some((d) => d !== 0)) {
    const c = loss.auxCoefficient ?? 0;
    const e = state.residual ?? residualOf(x, prefixes[G - 1]!);
    const aAux = auxCodes(pre, m, h, loss.auxK ?? 0, state.dead);
    const eHat = linearDecode(p, aAux, m, shape, false);
    const dAux = new Float64Array(m * n);
    for (let q = 0; q < m * n; q++) dAux[q] = ((2 * c) / m) * (eHat[q]! - e[q]!);
    const gAux = gemmReference('tn', aAux, dAux, h, m, n);
    for (let q = 0; q < h * n; q++) gW2[q]! += gAux[q]!;
    const deltaAux = gemmReference('nt', dAux, p.W2, m, n, h);
    for (let q = 0; q < m * h; q++) if (aAux[q]! > 0) deltaZ[q]! += deltaAux[q]!;
  }

  const centred = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let col = 0; col < n; col++) centred[i * n + col] = x[i * n + col]! - p.b2[col]!;
  const gW1 = gemmReference('tn', centred, deltaZ, n, m, h);
  const gb1 = new Float64Array(h);
  for (let i = 0; i < m; i++) for (let j = 0; j < h; j++) gb1[j]! += deltaZ[i * h + j]!;
  const gb2 = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let col = 0; col < n; col++) gb2[col]! += D[0]![i * n + col]!;
  for (let col = 0; col < n; col++) for (let j = 0; j < h; j++) gb2[col]! -= p.W1[col * h + j]! * gb1[j]!;
  const gradients: Parameters64 = { W1: gW1, b1: gb1, W2: gW2, b2: gb2, theta: new Float64Array(1), thetaSteps: new Float64Array(1) };
  return { terms, meanActivation, gradients };
}

/**
 * θ and the counter c after a training step whose codes were `hidden` (the header's rule): μ = the
 * smallest positive code (0 if none); c < s: θ kept; c = s: θ ← μ; c > s: θ ← β·θ + (1 − β)·μ;
 * c ← min(c + 1, s + 1). In float64 (the reference backend rounds the parameters to float32 after a step).
 */
export function thresholdAfterStep(theta: number, steps: number, hidden: ArrayLike<number>, loss: LossConfig): { theta: number; steps: number } {
  let smallest = Infinity;
  for (let q = 0; q < hidden.length; q++) if (hidden[q]! > 0 && hidden[q]! < smallest) smallest = hidden[q]!;
  const mu = Number.isFinite(smallest) ? smallest : 0;
  const start = loss.thresholdStart ?? 1000;
  const beta = loss.thresholdDecay ?? 0.999;
  const next = steps < start ? theta : steps === start ? mu : beta * theta + (1 - beta) * mu;
  return { theta: next, steps: Math.min(steps + 1, start + 1) };
}
