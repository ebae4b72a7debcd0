/**
 * jumprelu on the AssemblyScript kernels: the linear skeleton (../linear/assemblyscript.ts) with
 * a = z ⊙ H(z − θ) (jump_codes) and its own mask: δz = δa ⊙ H(z − θ), θ's pseudo-derivatives and
 * the L0 count in one pass (jump_delta, assembly/jump-codes.ts).
 *
 * The products go through the codes' index when they are sparse enough, chosen at every call from
 * the density measured then (at initialisation about half the codes fire; a trained JumpReLU SAE
 * has an L0 of a few per cent of h): x̂ = a·W_dec and gW_dec = aᵀ·d over a's non-zeros;
 * δa = d·W_decᵀ only where jump_delta reads it, z > θ (δz; x gets no straight-through term) or z
 * in θ's window (gθ), listed by jump_index; gW_enc = (X − b_dec)ᵀ·δz over δz's non-zeros. The sparse
 * products give the dense ones' numbers bit for bit, so the choice changes only the time.
 */
import type { AsContext, BaseLossConfig } from '../contract.js';
import { linearAssemblyScript, type DensityCutoffs, type LinearAsCodes } from '../linear/assemblyscript.js';

/**
 * Density below which each product goes through the index. Measured, not guessed: bench/
 * jumprelu-density.bench.ts times each product dense and sparse at 256 × 768 → 6144 over densities
 * from 1/64 to 3/4 and writes where they cross (bench/results.json, suite 'jumprelu-density';
 * docs/BENCHMARKS.md). On a quiet 2-core machine (2026-12-08, load average ≈ 1.5) they crossed at
 * decode 0.122, decoderGradient 0.199, codeGradient 0.153, encoderGradient 0.118 (two earlier runs
 * on a loaded one: 0.088–0.099, 0.147–0.170, 0.116–0.147, 0.078–0.086); each cut-off here is the
 * quiet crossing rounded down (near a crossover the two paths take about the same time, so erring
 * towards dense costs little).
 */
export const JUMPRELU_DENSITY_CUTOFFS: DensityCutoffs = {
  decode: 0.12,
  decoderGradient: 0.19,
  codeGradient: 0.15,
  encoderGradient: 0.11,
};

/** The composition, with the products' cut-offs (tests force one path or the other with 0 and 2). */
export function jumpReluKernels(cutoffs: DensityCutoffs): LinearAsCodes {
  return {
    sparse: cutoffs,
    codes(ctx, pre, hidden, rows) {
      ctx.kernels.jump_codes(pre, ctx.params.theta!, hidden, rows, ctx.h);
    },
    maskIndex(ctx: AsContext, pre: number, m: number, loss: BaseLossConfig): number {
      const index = ctx.scratch((m + 1 + m * ctx.h) * 4);
      ctx.kernels.jump_index(pre, ctx.params.theta!, m, ctx.h, 1 / (loss.bandwidth ?? 1), index);
      return index;
    },
    mask(ctx, dZ, pre, _a, _add, m, loss) {
      const lambda = loss.l0Coefficient ?? 0;
      const epsilon = loss.bandwidth ?? 1;
      const active = ctx.kernels.jump_delta(dZ, pre, ctx.params.theta!, ctx.grads.theta!, m, ctx.h, 1 / epsilon, lambda / (m * epsilon));
      return (lambda * active) / m;
    },
  };
}

export const jumpReluAssemblyScript = linearAssemblyScript(jumpReluKernels(JUMPRELU_DENSITY_CUTOFFS));
