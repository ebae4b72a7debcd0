/**
 * jumprelu as tfjs-core ops: the linear skeleton (../linear/tfjs.ts) with a = z ⊙ H(z − θ), and
 * its mask: δz = δa ⊙ H(z − θ), gθ_j = Σ_i [ −(θ_j/ε)·δa_ij − λ/(m·ε) ]·K((z_ij − θ_j)/ε), the L0 term.
 */
import type * as Tf from '@tensorflow/tfjs-core';

import { linearTfjs } from '../linear/tfjs.js';

export const jumpReluTfjs = linearTfjs({
  codes: ({ tf, params }, pre) => tf.where(tf.greater(pre, params.theta!), pre, tf.zerosLike(pre)) as Tf.Tensor2D,
  mask({ tf, params }, m, loss, pre, deltaA) {
    const theta = params.theta!;
    const lambda = loss.l0Coefficient ?? 0;
    const epsilon = loss.bandwidth ?? 1;
    const above = tf.cast(tf.greater(pre, theta), 'float32');
    const inKernel = tf.cast(tf.less(tf.abs(tf.div(tf.sub(pre, theta), epsilon)), 0.5), 'float32');
    const term = tf.sub(tf.mul(tf.mul(theta, -1 / epsilon), deltaA), lambda / (m * epsilon));
    return {
      deltaZ: tf.mul(deltaA, above),
      gradients: { theta: tf.sum(tf.mul(term, inKernel), 0) },
      sparsity: tf.mul(tf.sum(above), lambda / m),
    };
  },
});
