/**
 * topk on the AssemblyScript kernels: the linear skeleton (../linear/assemblyscript.ts) with
 * a = max(z, 0) on each row's k largest z (top_k_codes; ties to the lower index), the products
 * with the codes through their index (k of h non-zero a row), the AuxK term, and unit-norm decoder
 * rows after every step (normalize_rows).
 */
import type { AsContext, BaseLossConfig } from '../contract.js';
import { linearAssemblyScript, nonzeroIndex, sparseTnWork } from '../linear/assemblyscript.js';

const F32 = 4;

/**
 * The AuxK term, when some unit is dead: ê = a_aux·W_dec from each row's auxK largest dead
 * pre-activations; d_aux = (2c/m)·(ê − e), e = x − x̂ held constant; gW_dec += a_auxᵀ·d_aux,
 * δz += (d_aux·W_decᵀ)·1[a_aux > 0]. Returns the term, (c/m)·Σ‖e − ê‖².
 */
export function auxK(ctx: AsContext, x: number, m: number, loss: BaseLossConfig, pre: number, y: number, dZ: number): number {
  const k = ctx.kernels;
  const { n, h, params, grads } = ctx;
  const mask = ctx.scratch(h);
  const dead = k.dead_mask(ctx.stepsSinceFired, mask, h, loss.deadSteps ?? 1);
  if (dead === 0) return 0;
  const c = loss.auxCoefficient ?? 0;
  const aAux = ctx.scratch(m * h * F32);
  const scratch = ctx.scratch(h * F32);
  k.top_k_codes(pre, mask, aAux, scratch, m, h, loss.auxK ?? 0);
  // at most auxK of h codes a row: the products go through their index (assembly/sparse-gemm.ts)
  const auxCodes = nonzeroIndex(ctx, aAux, m, h);
  const eHat = ctx.scratch(m * n * F32);
  k.sparse_gemm_nn(aAux, auxCodes, params.W2, eHat, ctx.scratch(n * F32), m, h, n);
  const dAux = ctx.scratch(m * n * F32);
  const auxError = k.aux_delta(eHat, x, y, dAux, m * n, (2 * c) / m);
  const decoderPart = ctx.scratch(h * n * F32);
  k.sparse_gemm_tn(aAux, auxCodes, dAux, decoderPart, sparseTnWork(ctx, h, m, n), h, m, n);
  k.add_scaled(grads.W2, decoderPart, h * n, 1);
  // d_aux·W_decᵀ only where a_aux > 0 (what masked_add takes)
  const codePart = ctx.scratch(m * h * F32);
  k.masked_gemm_nt(dAux, params.W2, codePart, auxCodes, m, n, h);
  k.masked_add(dZ, codePart, aAux, m * h);
  return (c / m) * auxError;
}

export const topkAssemblyScript = linearAssemblyScript({
  sparse: true,
  codes(ctx, pre, hidden, rows) {
    const scratch = ctx.scratch(ctx.h * F32);
    ctx.kernels.top_k_codes(pre, 0, hidden, scratch, rows, ctx.h, ctx.architecture.k);
  },
  auxiliary: auxK,
  afterUpdate(ctx) {
    ctx.kernels.normalize_rows(ctx.params.W2, ctx.h, ctx.n);
  },
});
