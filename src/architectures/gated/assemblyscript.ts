/**
 * gated on the AssemblyScript kernels, inference only (no backward: the module is not trainable):
 *   centred = X − b_dec, e = centred·W_enc (gemm_nn), a = gated_codes(e, b_gate, exp(r_mag), b_mag)
 *   x̂ = a·W_dec + b_dec
 * exp(r_mag) is computed here, once a call, in float64 and rounded to float32 (what Math.fround
 * gives is what the ONNX export stores), so the kernel only multiplies.
 */
import type { AsContext, AsKernels } from '../contract.js';

const F32 = 4;

/** The codes of x [rows×n] into a new scratch block [rows×h]. */
function encode(ctx: AsContext, x: number, rows: number): number {
  const k = ctx.kernels;
  const { n, h, params } = ctx;
  const centred = ctx.scratch(rows * n * F32);
  ctx.f32(centred, rows * n).set(ctx.f32(x, rows * n));
  k.add_row_vector(centred, params.b2, rows, n, -1);
  const hidden = ctx.scratch(rows * h * F32);
  k.gemm_nn(centred, params.W1, hidden, rows, n, h);
  const scale = ctx.scratch(h * F32);
  ctx.f32(scale, h).set(magnitudeScale(ctx.f32(params.r_mag!, h)));
  k.gated_codes(hidden, params.b1, scale, params.b_mag!, hidden, rows, h);
  return hidden;
}

/** exp(r_mag) rounded to float32: the magnitude path's factor per unit. */
export function magnitudeScale(rMag: Float32Array): Float32Array {
  return rMag.map((r) => Math.exp(r));
}

function decode(ctx: AsContext, a: number, out: number, rows: number): void {
  ctx.kernels.gemm_nn(a, ctx.params.W2, out, rows, ctx.h, ctx.n);
  ctx.kernels.add_row_vector(out, ctx.params.b2, rows, ctx.n, 1);
}

export const gatedAssemblyScript: AsKernels = {
  // the encode-only session: e = (x − b_dec)·W_enc by the encode kernels (f32, bf16 or int8 W_enc,
  // no bias), then gated_codes with b_gate (b1, lent as a parameter) as `encode` runs it
  encoder: {
    centred: true,
    fusedRelu: false,
    unbiasedProduct: true,
    activate(ctx, pre, rows) {
      const scale = ctx.scratch(ctx.h * F32);
      ctx.f32(scale, ctx.h).set(magnitudeScale(ctx.f32(ctx.params.r_mag!, ctx.h)));
      ctx.kernels.gated_codes(pre, ctx.params.b1, scale, ctx.params.b_mag!, pre, rows, ctx.h);
      return pre;
    },
  },
  encode,
  forward(ctx, x, rows) {
    const hidden = encode(ctx, x, rows);
    const output = ctx.scratch(rows * ctx.n * F32);
    decode(ctx, hidden, output, rows);
    return { hidden, output };
  },
  decode,
};
