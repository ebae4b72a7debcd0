/**
 * batchtopk's inference threshold θ: the running mean over training batches of the smallest kept
 * code, as dictionary_learning's BatchTopKTrainer.update_threshold keeps it (an exponential moving
 * average with β = thresholdDecay, started after thresholdStart steps, its first value the first
 * batch's minimum). One function for every backend and the reference, so the three step it alike.
 *
 * θ and the step counter c are two one-value parameters (theta, thetaSteps) with a zero gradient:
 * they travel with the parameters through model files, checkpoints and resume, and no optimizer
 * moves them (SGD subtracts lr·0; Adam's moments of a zero gradient stay 0, so its update is 0).
 */
import type { BaseLossConfig } from '../contract.js';

export const THRESHOLD_DEFAULTS = { thresholdDecay: 0.999, thresholdStart: 1000 } as const;

/**
 * θ and c after a training step whose smallest positive code was `smallest` (0: none was positive):
 *   c < s: θ as it is;  c = s: θ ← μ;  c > s: θ ← β·θ + (1 − β)·μ;  c ← min(c + 1, s + 1)
 * (s = thresholdStart, β = thresholdDecay, μ = smallest). c stops at s + 1, so it stays exact in
 * float32 whatever the run's length. θ is rounded to float32 once, as it is stored.
 */
export function nextThreshold(theta: number, steps: number, smallest: number, loss: Pick<BaseLossConfig, 'thresholdDecay' | 'thresholdStart'>): { theta: number; steps: number } {
  const start = loss.thresholdStart ?? THRESHOLD_DEFAULTS.thresholdStart;
  const beta = loss.thresholdDecay ?? THRESHOLD_DEFAULTS.thresholdDecay;
  let next = theta;
  if (steps === start) next = smallest;
  else if (steps > start) next = beta * theta + (1 - beta) * smallest;
  return { theta: Math.fround(next), steps: Math.min(steps + 1, start + 1) };
}
