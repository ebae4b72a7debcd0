/**
 * batchtopk on the AssemblyScript kernels: the linear skeleton (../linear/assemblyscript.ts) with
 * the batch's k·m largest codes in training (batch_top_k_codes, a radix select: O(m·h), no sort),
 * r ⊙ 1[r > θ] at inference (relu, then jump_codes with θ for every unit), topk's AuxK term, and
 * after every step unit-norm decoder rows and θ's running mean (min_positive of the step's codes).
 */
import type { AsContext, BaseLossConfig } from '../contract.js';
import { linearAssemblyScript } from '../linear/assemblyscript.js';
import { auxK } from '../topk/assemblyscript.js';
import { nextThreshold } from './threshold.js';

const F32 = 4;

/** Inference: a = r ⊙ 1[r > θ], r = max(z, 0), one θ for every unit. */
export function thresholdCodes(ctx: AsContext, pre: number, hidden: number, rows: number): void {
  const thetas = ctx.scratch(ctx.h * F32);
  ctx.f32(thetas, ctx.h).fill(ctx.f32(ctx.params.theta!, 1)[0]!);
  ctx.kernels.relu(pre, hidden, rows * ctx.h);
  ctx.kernels.jump_codes(hidden, thetas, hidden, rows, ctx.h);
}

/** Training: r on the batch's k·rows largest. */
export function batchCodes(ctx: AsContext, pre: number, hidden: number, rows: number): void {
  ctx.kernels.batch_top_k_codes(pre, hidden, ctx.scratch(2048 * 4), rows * ctx.h, ctx.architecture.k * rows);
}

/** After a step: unit-norm decoder rows, and θ's running mean from the step's codes. */
export function afterBatchStep(ctx: AsContext, step: { hidden: number; rows: number; loss: BaseLossConfig }): void {
  ctx.kernels.normalize_rows(ctx.params.W2, ctx.h, ctx.n);
  const theta = ctx.f32(ctx.params.theta!, 1);
  const steps = ctx.f32(ctx.params.thetaSteps!, 1);
  const next = nextThreshold(theta[0]!, steps[0]!, ctx.kernels.min_positive(step.hidden, step.rows * ctx.h), step.loss);
  theta[0] = next.theta;
  steps[0] = next.steps;
}

export const batchTopKAssemblyScript = linearAssemblyScript({
  sparse: true,
  codes: thresholdCodes,
  trainingCodes: batchCodes,
  auxiliary: auxK,
  afterUpdate: afterBatchStep,
});
