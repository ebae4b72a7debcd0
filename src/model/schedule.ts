/**
 * The learning-rate schedule of a training run (issue 16): a linear warm-up over the first
 * `warmupSteps` steps, then the learning rate held, or decayed linearly or along a cosine from
 * `decayStart` (a fraction of the run's steps) down to `decayTo` × the learning rate at the last
 * step. A step's rate depends only on its index in the run and the run's length, so a run that
 * stops after any step and resumes (a job's checkpoint) continues the schedule exactly.
 *
 * For step t of a run of T steps (0-based), base rate η, W = warmupSteps, f = decayTo:
 *   t < W:               η·(t + 1)/W                      (never 0, as SAELens' warm-up)
 *   D = max(W, ⌊decayStart·T⌋);  p = clamp((t − D)/(T − 1 − D), 0, 1)   (t ≥ D; p = 1 when T − 1 ≤ D)
 *   constant:            η
 *   linear:              η·(1 − (1 − f)·p)
 *   cosine:              η·(f + (1 − f)·(1 + cos(π·p))/2)
 * A continued run (`--init`, retraining a stored model) is a new run: its schedule starts again.
 */
import type { LossConfig, OptimizerConfig } from '../backends/types.js';

export interface LearningRateSchedule {
  readonly warmupSteps: number;
  readonly decay: 'constant' | 'linear' | 'cosine';
  readonly decayStart: number;
  readonly decayTo: number;
}

/** The schedule that changes nothing: the learning rate of every step is the option's. */
export const CONSTANT_SCHEDULE: LearningRateSchedule = { warmupSteps: 0, decay: 'constant', decayStart: 0, decayTo: 1 };

/** The learning rate of step `step` (0-based) of a run of `totalSteps` steps. */
export function learningRateAt(base: number, schedule: LearningRateSchedule, step: number, totalSteps: number): number {
  const { warmupSteps: w, decay, decayStart, decayTo: f } = schedule;
  if (step < w) return (base * (step + 1)) / w;
  if (decay === 'constant') return base;
  const d = Math.max(w, Math.floor(decayStart * totalSteps));
  if (step < d) return base;
  const span = totalSteps - 1 - d;
  const p = span <= 0 ? 1 : Math.min(1, (step - d) / span);
  return decay === 'linear' ? base * (1 - (1 - f) * p) : base * (f + ((1 - f) * (1 + Math.cos(Math.PI * p))) / 2);
}

/** The optimizer of step `step`: `optimizer` itself when the schedule leaves its rate as it is. */
export function optimizerAt(optimizer: OptimizerConfig, schedule: LearningRateSchedule, step: number, totalSteps: number): OptimizerConfig {
  if (schedule.warmupSteps === 0 && schedule.decay === 'constant') return optimizer;
  const learningRate = learningRateAt(optimizer.learningRate, schedule, step, totalSteps);
  return learningRate === optimizer.learningRate ? optimizer : { ...optimizer, learningRate };
}

/**
 * The loss of step `step` (0-based, of the run): jumprelu's λ warms up linearly from 0 over the
 * first W = l0WarmupSteps steps, as SAELens' CoefficientScheduler (l0_warm_up_steps) gives it to
 * its training step: λ_t = λ·t/W for t < W (0 at the first step), λ after. Like the learning rate,
 * it depends only on the step's index, so a run resumed from a checkpoint continues it exactly.
 */
export function lossAt(loss: LossConfig, step: number): LossConfig {
  const w = loss.l0WarmupSteps ?? 0;
  if (w === 0 || step >= w || loss.l0Coefficient === undefined) return loss;
  return { ...loss, l0Coefficient: (loss.l0Coefficient * step) / w };
}
