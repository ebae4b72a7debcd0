/**
 * The scalar parts of the loss and the optimizer that every backend computes the same way, so
 * each is written once: the clamp of ρ̂ inside the KL term and Adam's step size at step t.
 * (The float64 reference in src/reference/ keeps its own copy on purpose: it is the independent
 * oracle the backends are checked against.)
 */
import type { OptimizerConfig } from './types.js';

/** ρ̂'s clamp inside the KL term: the sigmoid module's (src/architectures/sigmoid/formulas.ts), named here for the streamed metrics. */
export { KL_CLAMP } from '../architectures/sigmoid/formulas.js';

/**
 * Adam's step size for update number `t` (1 for the first), Keras / tfjs form:
 * lr_t = lr·√(1 − β2ᵗ)/(1 − β1ᵗ), in float64 (each backend rounds it where its kernels need).
 */
export function adamStepSize(optimizer: Extract<OptimizerConfig, { kind: 'adam' }>, t: number): number {
  const { learningRate, beta1, beta2 } = optimizer;
  return (learningRate * Math.sqrt(1 - Math.pow(beta2, t))) / (1 - Math.pow(beta1, t));
}
