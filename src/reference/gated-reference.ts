/**
 * The float64 reference of the gated SAE (Rajamanoharan et al. 2024a, "Improving Dictionary
 * Learning with Gated Sparse Autoencoders"; SAELens' gated_sae.py, dictionary_learning's
 * GatedAutoEncoder), slow and obvious on purpose: the oracle its kernels are checked against
 * (src/architectures/gated/). Inference only: no loss, no gradient (edge-sae does not train gated).
 *
 * Parameters: W_enc = W1 [n×h], b_gate = b1 [h], r_mag [h], b_mag [h], W_dec = W2 [h×n], b_dec = b2 [n].
 *
 * On a batch X [m×n] (H(u) = 1 for u > 0, else 0), as SAELens' GatedSAE.encode writes it:
 *   x̃ = X − b_dec
 *   π_gate = x̃·W_enc + b_gate                    f_gate = H(π_gate)
 *   π_mag  = x̃·(W_enc ⊙ exp(r_mag)) + b_mag      (column j of W_enc scaled by exp(r_mag_j))
 *   a = f_gate ⊙ relu(π_mag)
 *   x̂ = a·W_dec + b_dec
 * The kernels compute π_mag as (x̃·W_enc) ⊙ exp(r_mag) + b_mag (dictionary_learning's order: one
 * product for both paths), equal in exact arithmetic; here it is the literal SAELens form.
 */
import type { LayerShape, Parameters } from '../backends/types.js';
import { gemmReference } from './gemm-reference.js';
import { linearDecode } from './linear-dictionary-reference.js';
import type { Parameters64 } from './parameters64.js';

type Params = Parameters | Parameters64;

function vectorOf(p: Params, name: 'r_mag' | 'b_mag'): ArrayLike<number> {
  const v = p[name];
  if (v === undefined) throw new Error(`gated reference: the parameters have no ${name}`);
  return v;
}

/** π_gate, π_mag, the codes a and the outputs x̂ of a batch. */
export function gatedForward(p: Params, x: ArrayLike<number>, rows: number, shape: LayerShape) {
  const { inputSize: n, hiddenSize: h } = shape;
  const rMag = vectorOf(p, 'r_mag');
  const bMag = vectorOf(p, 'b_mag');
  const centred = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) centred[i * n + c] = x[i * n + c]! - p.b2[c]!;
  const magnitudeWeights = new Float64Array(n * h);
  for (let c = 0; c < n; c++) for (let j = 0; j < h; j++) magnitudeWeights[c * h + j] = p.W1[c * h + j]! * Math.exp(rMag[j]!);
  const gate = gemmReference('nn', centred, p.W1, rows, n, h);
  const magnitude = gemmReference('nn', centred, magnitudeWeights, rows, n, h);
  const hidden = new Float64Array(rows * h);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < h; j++) {
      const q = i * h + j;
      gate[q]! += p.b1[j]!;
      magnitude[q]! += bMag[j]!;
      hidden[q] = gate[q]! > 0 ? Math.max(magnitude[q]!, 0) : 0;
    }
  }
  return { gate, magnitude, hidden, output: linearDecode(p, hidden, rows, shape) };
}
