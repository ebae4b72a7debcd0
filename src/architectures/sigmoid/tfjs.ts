/**
 * The sigmoid model as tfjs-core ops: the explicit formulas of docs/SPEC.md section 2 (no autodiff):
 *   δ2 = r(Y−X)⊙Y⊙(1−Y);  gW2 = Aᵀδ2 + αW2;  gb2 = colsum(δ2)
 *   q = clip(colmean(A), KL_CLAMP, 1−KL_CLAMP);  klGrad = β·(1/m)·(−ρ/q + (1−ρ)/(1−q))
 *   δ1 = (δ2·W2ᵀ + klGrad)⊙A⊙(1−A);  gW1 = Xᵀδ1 + αW1;  gb1 = colsum(δ1)
 */
import type * as Tf from '@tensorflow/tfjs-core';

import type { BaseLossConfig, TfjsBatchGradients, TfjsContext, TfjsKernels } from '../contract.js';
import { KL_CLAMP } from './formulas.js';

export const sigmoidTfjs: TfjsKernels = {
  /** a = σ(X·W1 + b1), one fused kernel. */
  encode({ tf, params }, x) {
    return tf.fused.matMul({ a: x, b: params.W1 as Tf.Tensor2D, bias: params.b1, activation: 'sigmoid' }) as Tf.Tensor2D;
  },

  /** y = σ(a·W2 + b2), one fused kernel. */
  decode({ tf, params }, a) {
    return tf.fused.matMul({ a, b: params.W2 as Tf.Tensor2D, bias: params.b2, activation: 'sigmoid' }) as Tf.Tensor2D;
  },

  batchGradients(ctx: TfjsContext, x: Tf.Tensor2D, m: number, loss: BaseLossConfig): TfjsBatchGradients {
    const { tf } = ctx;
    const { W1, W2 } = ctx.params;
    const rho = loss.sparsityTarget;
    const beta = loss.sparsityWeight;
    const alpha = loss.weightDecay;
    const r = loss.reduction === 'sum' ? 1 : 1 / m;

    const a = sigmoidTfjs.encode(ctx, x);
    const y = sigmoidTfjs.decode(ctx, a);
    const diff = tf.sub(y, x);

    // Products with a transposed operand use an explicit tf.transpose: tfjs-backend-wasm's
    // matMul with transposeA/transposeB set is ~10× slower than transpose + plain matMul.

    // Output layer.
    const delta2 = tf.mul(tf.mul(diff, r), tf.mul(y, tf.sub(1, y)));
    const gW2 = tf.add(tf.matMul(tf.transpose(a), delta2), tf.mul(W2, alpha));
    const gb2 = tf.sum(delta2, 0);

    // Sparsity penalty on the mean activation.
    const meanActivation = tf.mean(a, 0) as Tf.Tensor1D;
    const q = tf.clipByValue(meanActivation, KL_CLAMP, 1 - KL_CLAMP);
    const oneMinusQ = tf.sub(1, q);
    const klGrad = tf.mul(tf.add(tf.div(-rho, q), tf.div(1 - rho, oneMinusQ)), beta / m);

    // Hidden layer.
    const delta1 = tf.mul(tf.add(tf.matMul(delta2, tf.transpose(W2)), klGrad), tf.mul(a, tf.sub(1, a)));
    const gW1 = tf.add(tf.matMul(tf.transpose(x), delta1), tf.mul(W1, alpha));
    const gb1 = tf.sum(delta1, 0);

    // Loss terms.
    const reconstruction = tf.mul(tf.sum(tf.square(diff)), 0.5 * r);
    const weightDecay = tf.mul(tf.add(tf.sum(tf.square(W1)), tf.sum(tf.square(W2))), alpha / 2);
    const kl = tf.add(tf.mul(tf.log(tf.div(rho, q)), rho), tf.mul(tf.log(tf.div(1 - rho, oneMinusQ)), 1 - rho));
    const sparsity = tf.mul(tf.sum(kl), beta);

    return {
      terms: tf.stack([reconstruction, weightDecay, sparsity]) as Tf.Tensor1D,
      hidden: a,
      meanActivation,
      gradients: { W1: gW1, b1: gb1, W2: gW2, b2: gb2 },
    };
  },
};
