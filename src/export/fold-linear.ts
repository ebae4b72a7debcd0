/**
 * The relu model's layers as plain affine maps, for exports that have a Dense layer but no
 * "subtract b_dec first" step (TF.js layers). The model computes, with x' the scaled input
 * (x' = (x − m)·s for minmax, x' = x for "none"):
 *
 *   z = (x' − b_dec)·W_enc + b_enc          a = max(z, 0)
 *   x̂' = a·W_dec + b_dec                    x̂ = x̂'·r + m (r = max − min; "none": x̂ = x̂')
 *
 * so the encoder is x·K + c with K = s∘W_enc (or W_enc) and c = b_enc − (m·K + b_dec·W_enc), and
 * the decoder a·(W_dec∘r) + (b_dec·r + m). Each folded bias is summed in float64 and rounded to
 * float32 once, so it carries one rounding, not one per term.
 */
import type { LayerShape, Parameters } from '../backends/types.js';
import type { InputScaling } from './exportable.js';

export interface AffineLayer {
  /** [inputs × outputs], row-major (x·weight). */
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * The encoder z = x·weight + bias on the caller's input. `scaling` folds in when given (the caller
 * decides, as canFoldScaling says); null: the input arrives already scaled (a separate scaling
 * step before it), and only b_dec folds in. Safe for minmax models, whose b_dec is in the scaled
 * units of inputs in about [0, 1]; with normalize "none" b_dec may be far larger than the data's
 * spread, and the folded terms would cancel, so exporters keep it apart there.
 */
export function foldLinearEncoder(scaling: InputScaling | null, { W1, b1, b2 }: Pick<Parameters, 'W1' | 'b1' | 'b2'>, { inputSize: n, hiddenSize: h }: LayerShape): AffineLayer {
  const weight = scaling === null ? W1 : new Float32Array(n * h);
  const shift = new Float64Array(h);
  for (let j = 0; j < n; j++) {
    const s = scaling === null ? 1 : scaling.scale[j]!;
    const m = scaling === null ? 0 : scaling.offset[j]!;
    const centre = b2[j]!;
    for (let i = j * h, k = 0; k < h; i++, k++) {
      if (scaling !== null) weight[i] = s * W1[i]!;
      // The kernel as the layer holds it (rounded), so the offset it cancels is the one it adds.
      const w = weight[i]!;
      shift[k] = shift[k]! + m * w + centre * W1[i]!;
    }
  }
  const bias = new Float32Array(h);
  for (let k = 0; k < h; k++) bias[k] = b1[k]! - shift[k]!;
  return { weight, bias };
}

/**
 * The linear decoder with the way back to the caller's scale folded in: x̂_j = Σ_k a_k·W_dec[k,j]·r_j
 * + (b_dec[j]·r_j + m_j). `scaling` null (normalize "none"): W_dec and b_dec as they are.
 */
export function foldLinearDecoder(scaling: InputScaling | null, { W2, b2 }: Pick<Parameters, 'W2' | 'b2'>, { inputSize: n, hiddenSize: h }: LayerShape): AffineLayer {
  if (scaling === null) return { weight: W2, bias: b2 };
  const weight = new Float32Array(h * n);
  for (let k = 0; k < h; k++) for (let j = 0; j < n; j++) weight[k * n + j] = W2[k * n + j]! * scaling.range[j]!;
  const bias = new Float32Array(n);
  for (let j = 0; j < n; j++) bias[j] = b2[j]! * scaling.range[j]! + scaling.offset[j]!;
  return { weight, bias };
}
