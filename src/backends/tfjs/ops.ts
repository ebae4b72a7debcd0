/**
 * The tfjs-core ops an architecture's tfjs passes use (src/architectures/<name>/tfjs.ts), named
 * one by one: handing over the whole namespace would keep every op of tfjs-core in the Worker's
 * bundle (about 116 KiB more), where named properties let the bundler drop the rest.
 */
import * as tf from '@tensorflow/tfjs-core';

import type { TfNamespace } from '../../architectures/contract.js';

export const TF_OPS: TfNamespace = {
  abs: tf.abs,
  add: tf.add,
  broadcastTo: tf.broadcastTo,
  cast: tf.cast,
  clipByValue: tf.clipByValue,
  concat: tf.concat,
  cumsum: tf.cumsum,
  div: tf.div,
  equal: tf.equal,
  expandDims: tf.expandDims,
  fill: tf.fill,
  greater: tf.greater,
  less: tf.less,
  lessEqual: tf.lessEqual,
  log: tf.log,
  logicalAnd: tf.logicalAnd,
  logicalOr: tf.logicalOr,
  matMul: tf.matMul,
  mean: tf.mean,
  min: tf.min,
  mul: tf.mul,
  onesLike: tf.onesLike,
  relu: tf.relu,
  reshape: tf.reshape,
  scalar: tf.scalar,
  slice: tf.slice,
  sqrt: tf.sqrt,
  square: tf.square,
  stack: tf.stack,
  sub: tf.sub,
  sum: tf.sum,
  tensor1d: tf.tensor1d,
  topk: tf.topk,
  transpose: tf.transpose,
  where: tf.where,
  zerosLike: tf.zerosLike,
  fused: { matMul: tf.fused.matMul },
};
