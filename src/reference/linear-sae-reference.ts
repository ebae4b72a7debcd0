/**
 * The float64 reference of the two dictionary-learning SAEs (docs/ARCHITECTURES.md): `relu`
 * (Anthropic, "Towards Monosemanticity" updates, 2024: ReLU codes, L1 weighted by decoder row
 * norms) and `topk` (Gao et al. 2024, "Scaling and evaluating sparse autoencoders": TopK codes,
 * the AuxK loss, unit-norm decoder rows). Like sae-reference.ts it is slow and obvious on purpose:
 * it is the oracle the kernels are checked against.
 *
 * The parameters keep the sigmoid model's layout, with these meanings:
 *   W_enc = W1 [n×h], b_enc = b1 [h], W_dec = W2 [h×n] (row j is unit j's dictionary atom),
 *   b_dec = b2 [n] (subtracted before encoding, added after decoding).
 *
 * Forward, on a batch X [m×n]:
 *   z = (X − b_dec)·W_enc + b_enc                                   pre-activations [m×h]
 *   relu: a = max(z, 0)
 *   topk: a_ij = max(z_ij, 0) if j is among row i's k largest z (ties to the lower index), else 0
 *   x̂ = a·W_dec + b_dec                                             linear output [m×n]
 *
 * Loss (mean over the m rows; no weight decay, the reduction option is the sigmoid model's):
 *   reconstruction = (1/m)·Σ_i ‖x_i − x̂_i‖²
 *   relu sparsity  = λ·(1/m)·Σ_i Σ_j a_ij·‖W_dec[j,:]‖₂              λ = sparsityWeight
 *   topk sparsity  = c·(1/m)·Σ_i ‖e_i − ê_i‖²                        c = auxCoefficient (AuxK)
 *     with e = x − x̂ held constant (no gradient flows through it), D the dead units (passed in:
 *     they come from past steps, not from these parameters), and
 *     ê = a_aux·W_dec (no bias), a_aux_ij = max(z_ij, 0) for j among row i's min(auxK, |D|)
 *     largest z over D (ties to the lower index), else 0. The term is 0 when D is empty.
 *
 * Gradients (backpropagation written out; d_i = (2/m)·(x̂_i − x_i), norms ν_j = ‖W_dec[j,:]‖₂):
 *   δa = d·W_decᵀ  (+ (λ/m)·ν_j on every row, relu)
 *   δz = δa ⊙ 1[a > 0]  (the ReLU and TopK masks: a unit not kept, or not positive, passes nothing)
 *   topk AuxK: d_aux = (2c/m)·(ê − e); δz += (d_aux·W_decᵀ) ⊙ 1[a_aux > 0]
 *   gW_dec = aᵀ·d  (+ a_auxᵀ·d_aux, topk)  (+ (λ/m)·(Σ_i a_ij)·W_dec[j,:]/ν_j on row j, relu; 0 at ν_j = 0)
 *   gW_enc = (X − b_dec)ᵀ·δz        gb_enc = Σ_i δz_i
 *   gb_dec = Σ_i d_i − W_enc·gb_enc   (b_dec enters twice: added to x̂, subtracted from x)
 *
 * After every topk training step each decoder row is scaled to unit norm (renormalizeDecoder);
 * that is part of the step, not of the loss, so the gradient check does not see it.
 */
import type { Architecture, LayerShape, LossConfig, LossTerms, Parameters } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import type { Parameters64 } from './parameters64.js';

type Params = Parameters | Parameters64;

/** What the AuxK term holds constant: it is not a function of the parameters. */
export interface LinearLossState {
  /** 1 where unit j is dead, [h]; absent: no unit is dead (the AuxK term is 0). */
  readonly dead?: Uint8Array | null;
  /** topk: the residual e = x − x̂ the AuxK term reconstructs, [m×n]; absent: e at these parameters. */
  readonly residual?: Float64Array | null;
}

/** ‖W_dec[j,:]‖₂ for every unit j. */
export function decoderNorms(p: Params, shape: LayerShape): Float64Array {
  const { inputSize: n, hiddenSize: h } = shape;
  const norms = new Float64Array(h);
  for (let j = 0; j < h; j++) {
    let s = 0;
    for (let c = 0; c < n; c++) s += p.W2[j * n + c]! ** 2;
    norms[j] = Math.sqrt(s);
  }
  return norms;
}

/**
 * 1 where unit j is among row i's `count` largest z over the units `allowed` (all when absent),
 * ties to the lower index; [rows×h].
 */
export function topMask(z: ArrayLike<number>, rows: number, h: number, count: number, allowed?: Uint8Array | null): Uint8Array {
  const mask = new Uint8Array(rows * h);
  for (let i = 0; i < rows; i++) {
    const units: number[] = [];
    for (let j = 0; j < h; j++) if (!allowed || allowed[j]) units.push(j);
    // a stable order: larger z first, then the lower index
    units.sort((u, v) => z[i * h + v]! - z[i * h + u]! || u - v);
    for (const j of units.slice(0, count)) mask[i * h + j] = 1;
  }
  return mask;
}

/** z = (X − b_dec)·W_enc + b_enc, [rows×h]. */
export function preActivations(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape): Float64Array {
  const { inputSize: n, hiddenSize: h } = shape;
  const centred = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) centred[i * n + c] = x[i * n + c]! - p.b2[c]!;
  const z = gemmReference('nn', centred, p.W1, rows, n, h);
  for (let i = 0; i < rows; i++) for (let j = 0; j < h; j++) z[i * h + j]! += p.b1[j]!;
  return z;
}

/** x̂ = a·W_dec + b_dec (bias: false leaves b_dec out, as ê does). */
export function linearDecode(p: Params, a: ArrayLike<number>, rows: number, shape: LayerShape, bias = true): Float64Array {
  const { inputSize: n, hiddenSize: h } = shape;
  const out = gemmReference('nn', a, p.W2, rows, h, n);
  if (bias) for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) out[i * n + c]! += p.b2[c]!;
  return out;
}

/** The codes a of pre-activations z: max(z, 0), and for topk only where kept. */
export function codes(z: Float64Array, rows: number, h: number, architecture: Architecture): Float64Array {
  const keep = architecture.architecture === 'topk' ? topMask(z, rows, h, architecture.k) : null;
  const a = new Float64Array(rows * h);
  for (let q = 0; q < rows * h; q++) a[q] = (keep === null || keep[q]) && z[q]! > 0 ? z[q]! : 0;
  return a;
}

/** Pre-activations, codes and outputs of the relu or topk model. */
export function linearForward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, architecture: Architecture) {
  const pre = preActivations(p, x, rows, shape);
  const hidden = codes(pre, rows, shape.hiddenSize, architecture);
  return { pre, hidden, output: linearDecode(p, hidden, rows, shape) };
}

/** The AuxK codes a_aux: max(z, 0) on each row's min(auxK, |D|) largest z among the dead units D. */
export function auxCodes(z: Float64Array, rows: number, h: number, auxK: number, dead: Uint8Array): Float64Array {
  let deadCount = 0;
  for (let j = 0; j < h; j++) deadCount += dead[j] ? 1 : 0;
  const keep = topMask(z, rows, h, Math.min(auxK, deadCount), dead);
  const a = new Float64Array(rows * h);
  for (let q = 0; q < rows * h; q++) a[q] = keep[q] && z[q]! > 0 ? z[q]! : 0;
  return a;
}

function columnMeans(values: Float64Array, rows: number, cols: number): Float64Array {
  const means = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) means[j]! += values[i * cols + j]! / rows;
  return means;
}

/** The loss terms of the header, term by term, and ρ̂ (the mean code of each unit). */
export function linearLoss(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState = {}) {
  const { inputSize: n, hiddenSize: h } = shape;
  const architecture = loss.architecture === 'topk' ? { architecture: 'topk' as const, k: loss.k ?? 0 } : { architecture: 'relu' as const, k: 0 };
  const { pre, hidden, output } = linearForward(p, x, rows, shape, architecture);
  let squaredError = 0;
  for (let q = 0; q < rows * n; q++) squaredError += (x[q]! - output[q]!) ** 2;
  const reconstruction = squaredError / rows;
  let sparsity = 0;
  if (architecture.architecture === 'relu') {
    const norms = decoderNorms(p, shape);
    let weighted = 0;
    for (let i = 0; i < rows; i++) for (let j = 0; j < h; j++) weighted += hidden[i * h + j]! * norms[j]!;
    sparsity = (loss.sparsityWeight * weighted) / rows;
  } else if (state.dead && state.dead.some((d) => d !== 0)) {
    const e = state.residual ?? residualOf(x, output);
    const reconstructionOfE = linearDecode(p, auxCodes(pre, rows, h, loss.auxK ?? 0, state.dead), rows, shape, false);
    let auxError = 0;
    for (let q = 0; q < rows * n; q++) auxError += (e[q]! - reconstructionOfE[q]!) ** 2;
    sparsity = ((loss.auxCoefficient ?? 0) * auxError) / rows;
  }
  const terms: LossTerms = { loss: reconstruction + sparsity, reconstruction, weightDecay: 0, sparsity };
  return { ...terms, meanActivation: columnMeans(hidden, rows, h) };
}

/** e = x − x̂. */
export function residualOf(x: ArrayLike<number>, output: Float64Array): Float64Array {
  const e = new Float64Array(output.length);
  for (let q = 0; q < output.length; q++) e[q] = x[q]! - output[q]!;
  return e;
}

/** The analytic gradient of linearLoss, as the header writes it. */
export function linearGradients(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState = {}) {
  const { inputSize: n, hiddenSize: h } = shape;
  const m = rows;
  const { meanActivation, ...terms } = linearLoss(p, x, rows, shape, loss, state);
  const architecture = loss.architecture === 'topk' ? { architecture: 'topk' as const, k: loss.k ?? 0 } : { architecture: 'relu' as const, k: 0 };
  const { pre, hidden: a, output } = linearForward(p, x, rows, shape, architecture);

  const d = new Float64Array(m * n);
  for (let q = 0; q < m * n; q++) d[q] = (2 / m) * (output[q]! - x[q]!);
  const gW2 = gemmReference('tn', a, d, h, m, n);
  const deltaZ = gemmReference('nt', d, p.W2, m, n, h);

  if (architecture.architecture === 'relu') {
    const lambda = loss.sparsityWeight;
    const norms = decoderNorms(p, shape);
    for (let i = 0; i < m; i++) for (let j = 0; j < h; j++) deltaZ[i * h + j]! += (lambda / m) * norms[j]!;
    for (let j = 0; j < h; j++) {
      if (norms[j] === 0) continue;
      let codeSum = 0;
      for (let i = 0; i < m; i++) codeSum += a[i * h + j]!;
      for (let c = 0; c < n; c++) gW2[j * n + c]! += ((lambda / m) * codeSum * p.W2[j * n + c]!) / norms[j]!;
    }
  }
  for (let q = 0; q < m * h; q++) if (!(a[q]! > 0)) deltaZ[q] = 0;

  if (architecture.architecture === 'topk' && state.dead && state.dead.some((d) => d !== 0)) {
    const c = loss.auxCoefficient ?? 0;
    const e = state.residual ?? residualOf(x, output);
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
  for (let i = 0; i < m; i++) for (let col = 0; col < n; col++) gb2[col]! += d[i * n + col]!;
  for (let col = 0; col < n; col++) for (let j = 0; j < h; j++) gb2[col]! -= p.W1[col * h + j]! * gb1[j]!;

  const gradients: Parameters64 = { W1: gW1, b1: gb1, W2: gW2, b2: gb2 };
  return { terms, meanActivation, gradients };
}

/** Scales each decoder row W_dec[j,:] to unit norm in place (a row of norm 0 is left as it is). */
export function renormalizeDecoder(p: Parameters64, shape: LayerShape): void {
  const { inputSize: n } = shape;
  const norms = decoderNorms(p, shape);
  norms.forEach((norm, j) => {
    if (norm > 0) for (let c = 0; c < n; c++) p.W2[j * n + c]! /= norm;
  });
}

/**
 * The dead-unit bookkeeping after a step: a unit that fired (a > 0) on any row of the batch
 * starts counting again from 0, every other unit counts one more step. Dead: count ≥ deadSteps.
 */
export function updateStepsSinceFired(stepsSinceFired: Uint32Array, hidden: ArrayLike<number>, rows: number, h: number): void {
  for (let j = 0; j < h; j++) {
    let fired = false;
    for (let i = 0; i < rows && !fired; i++) fired = hidden[i * h + j]! > 0;
    stepsSinceFired[j] = fired ? 0 : stepsSinceFired[j]! + 1;
  }
}

/** 1 where a unit has not fired on any row of the last `deadSteps` steps. */
export function deadMask(stepsSinceFired: Uint32Array, deadSteps: number): Uint8Array {
  return Uint8Array.from(stepsSinceFired, (count) => (count >= deadSteps ? 1 : 0));
}
