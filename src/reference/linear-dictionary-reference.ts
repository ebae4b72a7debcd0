/**
 * What the float64 references of the dictionary-learning SAEs share (relu-reference.ts,
 * topk-reference.ts; jumprelu and gated read their encoder and decoder from here too). Like
 * sae-reference.ts it is slow and obvious on purpose: the oracle the kernels are checked against.
 *
 * The parameters keep the sigmoid model's layout, with these meanings:
 *   W_enc = W1 [n×h], b_enc = b1 [h], W_dec = W2 [h×n] (row j is unit j's dictionary atom),
 *   b_dec = b2 [n] (subtracted before encoding, added after decoding).
 *
 * Forward, on a batch X [m×n], with an architecture's codes a = codes(z):
 *   z = (X − b_dec)·W_enc + b_enc                                   pre-activations [m×h]
 *   x̂ = a·W_dec + b_dec                                             linear output [m×n]
 *   reconstruction = (1/m)·Σ_i ‖x_i − x̂_i‖²
 *
 * The gradient's skeleton (backpropagation written out; d_i = (2/m)·(x̂_i − x_i)):
 *   gW_dec = aᵀ·d        δa = d·W_decᵀ        δz = δa ⊙ (the codes' mask) (+ an architecture's terms)
 *   gW_enc = (X − b_dec)ᵀ·δz        gb_enc = Σ_i δz_i
 *   gb_dec = Σ_i d_i − W_enc·gb_enc   (b_dec enters twice: added to x̂, subtracted from x)
 */
import type { LayerShape, Parameters } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import type { Parameters64 } from './parameters64.js';

export type Params = Parameters | Parameters64;

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

/** e = x − x̂. */
export function residualOf(x: ArrayLike<number>, output: Float64Array): Float64Array {
  const e = new Float64Array(output.length);
  for (let q = 0; q < output.length; q++) e[q] = x[q]! - output[q]!;
  return e;
}

/** (1/m)·Σ_i ‖x_i − x̂_i‖². */
export function reconstructionOf(x: ArrayLike<number>, output: Float64Array, rows: number): number {
  let squaredError = 0;
  for (let q = 0; q < output.length; q++) squaredError += (x[q]! - output[q]!) ** 2;
  return squaredError / rows;
}

/** The mean of each column, ρ̂ of the codes. */
export function columnMeans(values: Float64Array, rows: number, cols: number): Float64Array {
  const means = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) means[j]! += values[i * cols + j]! / rows;
  return means;
}

/** d = (2/m)·(x̂ − x), [m×n]. */
export function outputDelta(x: ArrayLike<number>, output: Float64Array, m: number): Float64Array {
  const d = new Float64Array(output.length);
  for (let q = 0; q < output.length; q++) d[q] = (2 / m) * (output[q]! - x[q]!);
  return d;
}

/** The encoder's gradients and b_dec's from δz [m×h] and d [m×n], as the header writes them. */
export function encoderGradients(p: Params, x: ArrayLike<number>, m: number, shape: LayerShape, deltaZ: Float64Array, d: Float64Array): { W1: Float64Array; b1: Float64Array; b2: Float64Array } {
  const { inputSize: n, hiddenSize: h } = shape;
  const centred = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let col = 0; col < n; col++) centred[i * n + col] = x[i * n + col]! - p.b2[col]!;
  const gW1 = gemmReference('tn', centred, deltaZ, n, m, h);
  const gb1 = new Float64Array(h);
  for (let i = 0; i < m; i++) for (let j = 0; j < h; j++) gb1[j]! += deltaZ[i * h + j]!;
  const gb2 = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let col = 0; col < n; col++) gb2[col]! += d[i * n + col]!;
  for (let col = 0; col < n; col++) for (let j = 0; j < h; j++) gb2[col]! -= p.W1[col * h + j]! * gb1[j]!;
  return { W1: gW1, b1: gb1, b2: gb2 };
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
