/**
 * jumprelu on the AssemblyScript kernels: the linear skeleton (../linear/assemblyscript.ts) with
 * a = z ⊙ H(z − θ) (jump_codes) and its own mask: δz = δa ⊙ H(z − θ), θ's pseudo-derivatives and
 * the L0 count in one pass (jump_delta, assembly/jump-codes.ts).
 */
import { linearAssemblyScript } from '../linear/assemblyscript.js';

export const jumpReluAssemblyScript = linearAssemblyScript({
  sparse: false,
  codes(ctx, pre, hidden, rows) {
    ctx.kernels.jump_codes(pre, ctx.params.theta!, hidden, rows, ctx.h);
  },
  mask(ctx, dZ, pre, _a, _add, m, loss) {
    const lambda = loss.l0Coefficient ?? 0;
    const epsilon = loss.bandwidth ?? 1;
    const active = ctx.kernels.jump_delta(dZ, pre, ctx.params.theta!, ctx.grads.theta!, m, ctx.h, 1 / epsilon, lambda / (m * epsilon));
    return (lambda * active) / m;
  },
});
