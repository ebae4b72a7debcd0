/**
 * batchtopk as tfjs-core ops: the linear skeleton (../linear/tfjs.ts) with the batch's k·m largest
 * codes in training (topk's selection over the flattened batch, ties to the lower flat index),
 * r ⊙ 1[r > θ] at inference, topk's AuxK term, and after every step unit-norm decoder rows and
 * θ's running mean.
 */
import type * as Tf from '@tensorflow/tfjs-core';

import type { BaseLossConfig, TfjsContext } from '../contract.js';
import { linearTfjs, renormalizeDecoder } from '../linear/tfjs.js';
import { topCodes, topkAuxK } from '../topk/tfjs.js';
import { nextThreshold } from './threshold.js';

/** Inference: a = r ⊙ 1[r > θ], r = max(z, 0). */
export function thresholdCodes({ tf, params }: TfjsContext, pre: Tf.Tensor2D): Tf.Tensor2D {
  const r = tf.relu(pre);
  return tf.where(tf.greater(r, params.theta!), r, tf.zerosLike(r)) as Tf.Tensor2D;
}

/** Training: r on the batch's k·m largest. */
export function batchCodes({ tf, architecture }: TfjsContext, pre: Tf.Tensor2D): Tf.Tensor2D {
  const [m, h] = pre.shape;
  const flat = tf.reshape(tf.relu(pre), [1, m * h]) as Tf.Tensor2D;
  return tf.reshape(topCodes(tf, flat, Math.min(architecture.k * m, m * h), null), [m, h]) as Tf.Tensor2D;
}

/** After a step: unit-norm decoder rows, and θ's running mean from the step's codes. */
export function afterBatchStep(ctx: TfjsContext, step: { hidden: Tf.Tensor2D; rows: number; loss: BaseLossConfig }): void {
  const { tf, params } = ctx;
  renormalizeDecoder(ctx);
  const smallest = tf.min(tf.where(tf.greater(step.hidden, 0), step.hidden, tf.fill(step.hidden.shape, Infinity))).dataSync()[0]!;
  const next = nextThreshold(params.theta!.dataSync()[0]!, params.thetaSteps!.dataSync()[0]!, Number.isFinite(smallest) ? smallest : 0, step.loss);
  params.theta!.assign(tf.tensor1d([next.theta]));
  params.thetaSteps!.assign(tf.tensor1d([next.steps]));
}

export const batchTopKTfjs = linearTfjs({
  codes: thresholdCodes,
  trainingCodes: batchCodes,
  auxiliary: topkAuxK,
  afterUpdate: afterBatchStep,
});
