/**
 * matryoshka on the AssemblyScript kernels: batchtopk's composition (../batchtopk/assemblyscript.ts)
 * with the prefix losses (src/reference/batchtopk-reference.ts has the formulas). Each group g is a
 * column block of the codes and a row block of W_dec: with A_g the block (copied out, copy_block)
 *   x̂^(g) = x̂^(g−1) + A_g·W_dec[g]  (x̂^(0) = b_dec)      d^(g) = (2/(G²·m))·(x̂^(g) − x)
 *   D_g = d^(g) + D_{g+1}                                  gW_dec[g] = A_gᵀ·D_g, δa[:, g] = D_g·W_dec[g]ᵀ
 * every product through the block's index of non-zero codes (assembly/sparse-gemm.ts), so the
 * groups together cost what one full product does.
 */
import type { AsContext, BaseLossConfig } from '../contract.js';
import { afterBatchStep, batchCodes, thresholdCodes } from '../batchtopk/assemblyscript.js';
import { linearAssemblyScript, nonzeroIndex, sparseTnWork } from '../linear/assemblyscript.js';
import { auxK } from '../topk/assemblyscript.js';
import { groupRanges } from './groups.js';

const F32 = 4;

function prefixReconstruction(ctx: AsContext, x: number, m: number, loss: BaseLossConfig, a: number, dZ: number): number {
  const k = ctx.kernels;
  const { n, h, params, grads } = ctx;
  const groups = groupRanges(loss.groupSizes, h);
  const G = groups.length;
  const scale = 2 / (G * G * m);
  // x̂^(g) and d^(g), from the first group on
  const running = ctx.scratch(m * n * F32);
  const out = ctx.f32(running, m * n);
  const bias = ctx.f32(params.b2, n);
  for (let i = 0; i < m; i++) out.set(bias, i * n);
  const blocks = groups.map(({ start, end }) => {
    const width = end - start;
    const block = ctx.scratch(m * width * F32);
    k.copy_block(a + start * F32, h, block, width, m, width);
    return { start, width, block, index: nonzeroIndex(ctx, block, m, width) };
  });
  const partial = ctx.scratch(m * n * F32);
  const acc = ctx.scratch(n * F32);
  const deltas: number[] = [];
  let squared = 0;
  for (const { start, width, block, index } of blocks) {
    k.sparse_gemm_nn(block, index, params.W2 + start * n * F32, partial, acc, m, width, n);
    k.add_scaled(running, partial, m * n, 1);
    const d = ctx.scratch(m * n * F32);
    squared += k.linear_output_delta(running, x, d, m * n, scale);
    deltas.push(d);
  }
  // D_g = d^(g) + D_{g+1}, in place from the last group down; then each group's gradients
  for (let g = G - 2; g >= 0; g--) k.add_scaled(deltas[g]!, deltas[g + 1]!, m * n, 1);
  const work = sparseTnWork(ctx, h, m, n);
  blocks.forEach(({ start, width, block, index }, g) => {
    k.sparse_gemm_tn(block, index, deltas[g]!, grads.W2 + start * n * F32, work, width, m, n);
    const deltaA = ctx.scratch(m * width * F32);
    // δa only where the block's codes are non-zero (code_delta zeroes the rest)
    k.masked_gemm_nt(deltas[g]!, params.W2 + start * n * F32, deltaA, index, m, n, width);
    k.copy_block(deltaA, width, dZ + start * F32, h, m, width);
  });
  k.column_sum(deltas[0]!, grads.b2, m, n);
  return squared / (G * G * m);
}

export const matryoshkaAssemblyScript = linearAssemblyScript({
  sparse: true,
  codes: thresholdCodes,
  trainingCodes: batchCodes,
  reconstruction: prefixReconstruction,
  auxiliary: auxK,
  afterUpdate: afterBatchStep,
});
