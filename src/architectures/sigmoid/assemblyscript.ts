/**
 * The sigmoid model on the AssemblyScript kernels (docs/SPEC.md section 2; the float64 reference
 * is src/reference/sae-reference.ts):
 *   a = σ(X·W1 + b1), y = σ(a·W2 + b2)                          gemm_nn_bias_sigmoid, twice
 *   δ2 = r·(y − x)·y·(1 − y); gb2 = Σ_rows δ2; gW2 = aᵀ·δ2        output_delta, column_sum, gemm_tn
 *   dA = (δ2·W2ᵀ + β·∂KL/∂a)·a·(1 − a); gb1 = Σ_rows dA; gW1 = Xᵀ·dA
 *   weight decay: gW += α·W, (α/2)·(‖W1‖² + ‖W2‖²)
 */
import type { AsContext, AsKernels, BaseLossConfig } from '../contract.js';
import { KL_CLAMP } from './formulas.js';

const F32 = 4;

export const sigmoidAssemblyScript: AsKernels = {
  // a = σ(x·W1 + b1): the product with b1 by the encode kernels, then σ in place (bias_sigmoid
  // with a zero bias, the same σ as gemm_nn_bias_sigmoid's)
  encoder: {
    centred: false,
    fusedRelu: false,
    activate(ctx, pre, rows) {
      const zero = ctx.scratch(ctx.h * F32);
      ctx.f32(zero, ctx.h).fill(0);
      ctx.kernels.bias_sigmoid(pre, zero, rows, ctx.h);
      return pre;
    },
  },
  encode(ctx, x, rows) {
    const hidden = ctx.scratch(rows * ctx.h * F32);
    ctx.kernels.gemm_nn_bias_sigmoid(x, ctx.params.W1, ctx.params.b1, hidden, rows, ctx.n, ctx.h);
    return hidden;
  },

  forward(ctx, x, rows) {
    const { n, h, params } = ctx;
    const hidden = ctx.scratch(rows * h * F32);
    const output = ctx.scratch(rows * n * F32);
    ctx.kernels.gemm_nn_bias_sigmoid(x, params.W1, params.b1, hidden, rows, n, h);
    ctx.kernels.gemm_nn_bias_sigmoid(hidden, params.W2, params.b2, output, rows, h, n);
    return { hidden, output };
  },

  decode(ctx, a, out, rows) {
    ctx.kernels.gemm_nn_bias_sigmoid(a, ctx.params.W2, ctx.params.b2, out, rows, ctx.h, ctx.n);
  },

  backward(ctx: AsContext, x: number, m: number, loss: BaseLossConfig) {
    const k = ctx.kernels;
    const { n, h, params, grads } = ctx;
    const r = loss.reduction === 'mean' ? 1 / m : 1;
    const alpha = loss.weightDecay;
    const beta = loss.sparsityWeight;

    const { hidden: a, output: y } = sigmoidAssemblyScript.forward(ctx, x, m);
    const delta2 = ctx.scratch(m * n * F32);
    const dA = ctx.scratch(m * h * F32);
    const rhoHat = ctx.scratch(h * F32);
    const klGrad = ctx.scratch(h * F32);

    // output layer: δ2 = r·(y − x)·y·(1 − y); gb2 = Σ_rows δ2; gW2 = aᵀ·δ2
    const squaredError = k.output_delta(y, x, delta2, m * n, r);
    k.column_sum(delta2, grads.b2, m, n);
    k.gemm_tn(a, delta2, grads.W2, h, m, n);
    // hidden layer: dA = (δ2·W2ᵀ + β·∂KL/∂a)·a·(1 − a); gb1 = Σ_rows dA; gW1 = Xᵀ·dA
    k.gemm_nt(delta2, params.W2, dA, m, n, h);
    k.column_mean(a, rhoHat, m, h);
    const kl = k.kl_gradient(rhoHat, klGrad, h, loss.sparsityTarget, beta, 1 / m, KL_CLAMP);
    k.hidden_delta(dA, a, klGrad, m, h);
    k.column_sum(dA, grads.b1, m, h);
    k.gemm_tn(x, dA, grads.W1, n, m, h);

    let decay = 0;
    if (alpha !== 0) {
      decay = (alpha / 2) * (k.sum_squares(params.W1, n * h) + k.sum_squares(params.W2, h * n));
      k.add_scaled(grads.W1, params.W1, n * h, alpha);
      k.add_scaled(grads.W2, params.W2, h * n, alpha);
    }
    const reconstruction = r * 0.5 * squaredError;
    const sparsity = beta * kl;
    return {
      terms: { loss: reconstruction + decay + sparsity, reconstruction, weightDecay: decay, sparsity },
      rhoHat,
      hidden: a,
    };
  },
};
