/**
 * The float64 reference of `topk` (Gao et al. 2024, "Scaling and evaluating sparse autoencoders":
 * TopK codes, the AuxK loss, unit-norm decoder rows), on the dictionary of
 * linear-dictionary-reference.ts:
 *
 *   a_ij = max(z_ij, 0) if j is among row i's k largest z (ties to the lower index), else 0
 *   sparsity = c·(1/m)·Σ_i ‖e_i − ê_i‖²                        c = auxCoefficient (AuxK)
 *     with e = x − x̂ held constant (no gradient flows through it), D the dead units (passed in:
 *     they come from past steps, not from these parameters), and
 *     ê = a_aux·W_dec (no bias), a_aux_ij = max(z_ij, 0) for j among row i's min(auxK, |D|)
 *     largest z over D (ties to the lower index), else 0. The term is 0 when D is empty.
 *
 * Gradients (d_i = (2/m)·(x̂_i − x_i)):
 *   δz = (d·W_decᵀ) ⊙ 1[a > 0]  (a unit not kept, or not positive, passes nothing)
 *   AuxK: d_aux = (2c/m)·(ê − e); δz += (d_aux·W_decᵀ) ⊙ 1[a_aux > 0]; gW_dec = aᵀ·d + a_auxᵀ·d_aux
 *   gW_enc, gb_enc, gb_dec: the shared skeleton (encoderGradients).
 *
 * After every training step each decoder row is scaled to unit norm (renormalizeDecoder); that is
 * part of the step, not of the loss, so the gradient check does not see it.
 */
import type { LayerShape, LossConfig, LossTerms } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import { columnMeans, decoderNorms, encoderGradients, linearDecode, outputDelta, preActivations, reconstructionOf, residualOf, topMask, type LinearLossState, type Params } from './linear-dictionary-reference.js';
import type { Parameters64 } from './parameters64.js';

/** a = max(z, 0) where z is among its row's k largest, else 0. */
export function topkCodes(z: Float64Array, rows: number, h: number, k: number): Float64Array {
  const keep = topMask(z, rows, h, k);
  const a = new Float64Array(rows * h);
  for (let q = 0; q < rows * h; q++) a[q] = keep[q] && z[q]! > 0 ? z[q]! : 0;
  return a;
}

/** Pre-activations, codes and outputs. */
export function topkForward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, k: number) {
  const pre = preActivations(p, x, rows, shape);
  const hidden = topkCodes(pre, rows, shape.hiddenSize, k);
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

/** The loss terms of the header and ρ̂ (the mean code of each unit). */
export function topkLoss(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState = {}) {
  const { inputSize: n, hiddenSize: h } = shape;
  const { pre, hidden, output } = topkForward(p, x, rows, shape, loss.k ?? 0);
  const reconstruction = reconstructionOf(x, output, rows);
  let sparsity = 0;
  if (state.dead && state.dead.some((d) => d !== 0)) {
    const e = state.residual ?? residualOf(x, output);
    const reconstructionOfE = linearDecode(p, auxCodes(pre, rows, h, loss.auxK ?? 0, state.dead), rows, shape, false);
    let auxError = 0;
    for (let q = 0; q < rows * n; q++) auxError += (e[q]! - reconstructionOfE[q]!) ** 2;
    sparsity = ((loss.auxCoefficient ?? 0) * auxError) / rows;
  }
  const terms: LossTerms = { loss: reconstruction + sparsity, reconstruction, weightDecay: 0, sparsity };
  return { ...terms, meanActivation: columnMeans(hidden, rows, h) };
}

/** The analytic gradient of topkLoss, as the header writes it. */
export function topkGradients(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape, loss: LossConfig, state: LinearLossState = {}) {
  const { inputSize: n, hiddenSize: h } = shape;
  const m = rows;
  const { meanActivation, ...terms } = topkLoss(p, x, rows, shape, loss, state);
  const { pre, hidden: a, output } = topkForward(p, x, rows, shape, loss.k ?? 0);
  const d = outputDelta(x, output, m);
  const gW2 = gemmReference('tn', a, d, h, m, n);
  const deltaZ = gemmReference('nt', d, p.W2, m, n, h);
  for (let q = 0; q < m * h; q++) if (!(a[q]! > 0)) deltaZ[q] = 0;
  if (state.dead && state.dead.some((dead) => dead !== 0)) {
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
  const { W1, b1, b2 } = encoderGradients(p, x, m, shape, deltaZ, d);
  const gradients: Parameters64 = { W1, b1, W2: gW2, b2 };
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

/** 1 where a unit has not fired on any row of the last `deadSteps` steps. */
export function deadMask(stepsSinceFired: Uint32Array, deadSteps: number): Uint8Array {
  return Uint8Array.from(stepsSinceFired, (count) => (count >= deadSteps ? 1 : 0));
}
