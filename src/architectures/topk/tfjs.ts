/**
 * topk as tfjs-core ops: the linear skeleton (../linear/tfjs.ts) with each row's k largest codes,
 * the AuxK term (ê = a_aux·W_dec, d_aux = (2c/m)·(ê − e) with e = x − x̂ constant) and unit-norm
 * decoder rows after every step.
 */
import type * as Tf from '@tensorflow/tfjs-core';

import type { TfNamespace } from '../contract.js';
import { linearTfjs, renormalizeDecoder, type LinearTfjsCodes } from '../linear/tfjs.js';

/**
 * max(z, 0) on each row's `count` largest z among the `allowed` units (all when null), 0
 * elsewhere, ties to the lower index whatever order tf.topk breaks them in: t = the count-th
 * largest value; keep every z > t and, in index order, as many z == t as the count still needs.
 * Call inside tidy.
 */
export function topCodes(tf: TfNamespace, z: Tf.Tensor2D, count: number, allowed: Tf.Tensor1D | null): Tf.Tensor2D {
  if (count === 0) return tf.zerosLike(z);
  const candidates = allowed === null ? z : tf.where(tf.broadcastTo(allowed, z.shape), z, tf.fill(z.shape, -Infinity));
  const { values } = tf.topk(candidates, count, true);
  const t = tf.slice(values, [0, count - 1], [-1, 1]);
  const above = tf.greater(candidates, t);
  const ties = tf.cast(tf.equal(candidates, t), 'float32');
  const needed = tf.sub(count, tf.sum(tf.cast(above, 'float32'), 1, true));
  const keptTies = tf.logicalAnd(tf.cast(ties, 'bool'), tf.lessEqual(tf.cumsum(ties, 1), needed));
  const kept = tf.logicalAnd(tf.logicalOr(above, keptTies), tf.greater(z, 0));
  return tf.where(kept, z, tf.zerosLike(z)) as Tf.Tensor2D;
}

/** The AuxK term over the dead units (batchtopk's too). */
export const topkAuxK: NonNullable<LinearTfjsCodes['auxiliary']> = ({ tf, params, stepsSinceFired }, m, loss, pre, diff, deltaZ, gW2) => {
  const deadSteps = loss.deadSteps ?? 1;
  const dead = Array.from(stepsSinceFired, (count) => (count >= deadSteps ? 1 : 0));
  if (!dead.some((v) => v === 1)) return null;
  const W2 = params.W2;
  // AuxK: ê = a_aux·W_dec, d_aux = (2c/m)·(ê − e) with e = x − x̂ constant
  const c = loss.auxCoefficient ?? 0;
  const deadCount = dead.reduce((s: number, v) => s + v, 0);
  const aAux = topCodes(tf, pre, Math.min(loss.auxK ?? 0, deadCount), tf.tensor1d(dead, 'bool'));
  const auxDiff = tf.add(tf.matMul(aAux, W2), diff); // ê − e = ê + (x̂ − x)
  const dAux = tf.mul(auxDiff, (2 * c) / m);
  return {
    gW2: tf.add(gW2, tf.matMul(tf.transpose(aAux), dAux)),
    delta: tf.add(deltaZ, tf.mul(tf.matMul(dAux, tf.transpose(W2)), tf.cast(tf.greater(aAux, 0), 'float32'))),
    sparsity: tf.mul(tf.sum(tf.square(auxDiff)), c / m),
  };
};

export const topkTfjs = linearTfjs({
  codes: ({ tf, architecture }, pre) => topCodes(tf, pre, architecture.k, null),
  auxiliary: topkAuxK,
  afterUpdate: renormalizeDecoder,
});
