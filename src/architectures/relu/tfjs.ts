/**
 * relu as tfjs-core ops: the linear skeleton (../linear/tfjs.ts) with a = max(z, 0) and the L1
 * penalty weighted by ν_j = ‖W_dec[j,:]‖: δa += (λ/m)·ν, gW_dec[j,:] += (λ/m)·(Σ_i a_ij)/ν_j·W_dec[j,:].
 */
import type * as Tf from '@tensorflow/tfjs-core';

import { linearTfjs } from '../linear/tfjs.js';

export const reluTfjs = linearTfjs({
  codes: ({ tf }, pre) => tf.relu(pre) as Tf.Tensor2D,
  penalty({ tf, params }, m, loss, a, deltaA, gW2) {
    const W2 = params.W2;
    const scale = loss.sparsityWeight / m;
    const norms = tf.sqrt(tf.sum(tf.square(W2), 1));
    const codeSum = tf.sum(a, 0);
    const delta = tf.add(deltaA, tf.mul(norms, scale));
    const perRow = tf.where(tf.greater(norms, 0), tf.div(codeSum, tf.where(tf.greater(norms, 0), norms, tf.onesLike(norms))), tf.zerosLike(norms));
    return {
      delta,
      gW2: tf.add(gW2, tf.mul(tf.expandDims(tf.mul(perRow, scale), 1), W2)),
      sparsity: tf.mul(tf.sum(tf.mul(codeSum, norms)), scale),
    };
  },
});
