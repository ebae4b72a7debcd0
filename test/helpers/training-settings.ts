/** The loss and optimizer settings the backend suites take their steps with. */
import type { LossConfig, OptimizerConfig } from '../../src/backends/types.js';

/** The tutorial's loss (ρ = β = α = 0.1) with sum reduction. */
export const SUM_LOSS: LossConfig = { sparsityTarget: 0.1, sparsityWeight: 0.1, weightDecay: 0.1, reduction: 'sum' };
/** The same loss with mean reduction. */
export const MEAN_LOSS: LossConfig = { ...SUM_LOSS, reduction: 'mean' };
/** Adam with ten times the default learning rate, so one step moves the weights visibly. */
export const ADAM: OptimizerConfig = { kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
export const SGD: OptimizerConfig = { kind: 'sgd', learningRate: 0.05 };
