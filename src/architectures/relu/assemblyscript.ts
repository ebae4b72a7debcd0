/**
 * relu on the AssemblyScript kernels: the linear skeleton (../linear/assemblyscript.ts) with
 * a = max(z, 0) and the L1 penalty weighted by the decoder row norms ν_j = ‖W_dec[j,:]‖:
 *   δa += (λ/m)·ν_j on every row;  gW_dec[j,:] += (λ/m)·(Σ_i a_ij)/ν_j·W_dec[j,:]   (l1_decoder_gradient)
 */
import { linearAssemblyScript } from '../linear/assemblyscript.js';

const F32 = 4;

export const reluAssemblyScript = linearAssemblyScript({
  sparse: false,
  fusedRelu: true,
  codes(ctx, pre, hidden, rows) {
    ctx.kernels.relu(pre, hidden, rows * ctx.h);
  },
  penalty(ctx, m, loss, a, add) {
    const k = ctx.kernels;
    const { n, h, params, grads } = ctx;
    const scale = loss.sparsityWeight / m;
    const norms = ctx.scratch(h * F32);
    const codeSum = ctx.scratch(h * F32);
    k.row_norms(params.W2, norms, h, n);
    k.add_scaled(add, norms, h, scale);
    k.column_sum(a, codeSum, m, h);
    return scale * k.l1_decoder_gradient(grads.W2, params.W2, codeSum, norms, h, n, scale);
  },
});
