/**
 * matryoshka as tfjs-core ops: batchtopk's (../batchtopk/tfjs.ts) with the prefix losses
 * (src/reference/batchtopk-reference.ts): x̂^(g) = x̂^(g−1) + a[:, g]·W_dec[g], d^(g) = (2/(G²·m))·(x̂^(g) − x),
 * D_g = Σ_{g' ≥ g} d^(g'), gW_dec[g] = a[:, g]ᵀ·D_g, δa[:, g] = D_g·W_dec[g]ᵀ.
 */
import type * as Tf from '@tensorflow/tfjs-core';

import { afterBatchStep, batchCodes, thresholdCodes } from '../batchtopk/tfjs.js';
import { linearTfjs, type LinearTfjsCodes } from '../linear/tfjs.js';
import { topkAuxK } from '../topk/tfjs.js';
import { groupRanges } from './groups.js';

const prefixReconstruction: NonNullable<LinearTfjsCodes['reconstruction']> = ({ tf, params, shape }, m, loss, x, a) => {
  const { inputSize: n, hiddenSize: h } = shape;
  const groups = groupRanges(loss.groupSizes, h);
  const G = groups.length;
  const blocks = groups.map(({ start, end }) => ({ codes: tf.slice(a, [0, start], [m, end - start]) as Tf.Tensor2D, atoms: tf.slice(params.W2, [start, 0], [end - start, n]) as Tf.Tensor2D }));
  let running: Tf.Tensor = tf.broadcastTo(params.b2, [m, n]);
  let term: Tf.Tensor = tf.scalar(0);
  const deltas = blocks.map(({ codes, atoms }) => {
    running = tf.add(running, tf.matMul(codes, atoms));
    const diff = tf.sub(running, x);
    term = tf.add(term, tf.sum(tf.square(diff)));
    return tf.mul(diff, 2 / (G * G * m));
  });
  for (let g = G - 2; g >= 0; g--) deltas[g] = tf.add(deltas[g]!, deltas[g + 1]!);
  return {
    gW2: tf.concat(blocks.map(({ codes }, g) => tf.matMul(tf.transpose(codes), deltas[g]!)), 0),
    deltaA: tf.concat(blocks.map(({ atoms }, g) => tf.matMul(deltas[g]!, tf.transpose(atoms))), 1),
    biasGradient: tf.sum(deltas[0]!, 0),
    term: tf.div(term, G * G * m),
  };
};

export const matryoshkaTfjs = linearTfjs({
  codes: thresholdCodes,
  trainingCodes: batchCodes,
  reconstruction: prefixReconstruction,
  auxiliary: topkAuxK,
  afterUpdate: afterBatchStep,
});
