/**
 * gated as tfjs-core ops, inference only (the formulas of src/reference/gated-reference.ts, in the
 * AssemblyScript composition's order: one product e = (x − b_dec)·W_enc shared by both paths):
 *   a = 1[e + b_gate > 0] ⊙ relu(e ⊙ exp(r_mag) + b_mag),  x̂ = a·W_dec + b_dec
 */
import type * as Tf from '@tensorflow/tfjs-core';

import type { TfjsKernels } from '../contract.js';

export const gatedTfjs: TfjsKernels = {
  encode({ tf, params }, x) {
    const e = tf.matMul(tf.sub(x, params.b2), params.W1 as Tf.Tensor2D);
    const open = tf.greater(tf.add(e, params.b1), 0);
    const magnitude = tf.relu(tf.add(tf.mul(e, tf.exp(params.r_mag!)), params.b_mag!));
    return tf.where(open, magnitude, tf.zerosLike(magnitude)) as Tf.Tensor2D;
  },
  decode: ({ tf, params }, a) => tf.fused.matMul({ a, b: params.W2 as Tf.Tensor2D, bias: params.b2 }) as Tf.Tensor2D,
};
