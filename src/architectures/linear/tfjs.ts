/**
 * The dictionary-learning SAEs' shared skeleton as tfjs-core ops (the formulas of
 * src/reference/linear-dictionary-reference.ts, relu-reference.ts, topk-reference.ts; the AssemblyScript skeleton is ./assemblyscript.ts):
 * an architecture fills in its codes and the terms it adds to the loss, before the mask (a
 * penalty on the codes) and after it (an auxiliary term).
 */
import type * as Tf from '@tensorflow/tfjs-core';

import { encoderCentred, type BaseLossConfig, type TfjsBatchGradients, type TfjsContext, type TfjsKernels } from '../contract.js';

/** What an architecture's term changes: δ (δa before the mask, δz after it), gW_dec, and the term itself. */
export interface LinearTfjsTerm {
  delta: Tf.Tensor;
  gW2: Tf.Tensor;
  sparsity: Tf.Tensor;
}

export interface LinearTfjsCodes {
  /** The codes of the pre-activations z. */
  codes(ctx: TfjsContext, pre: Tf.Tensor2D): Tf.Tensor2D;
  /** The codes a training step uses, when they are not `codes` (batchtopk: the batch's selection). */
  trainingCodes?(ctx: TfjsContext, pre: Tf.Tensor2D): Tf.Tensor2D;
  /** A penalty on the codes a: its parts of δa and gW_dec, and its value; null: none. */
  penalty?(ctx: TfjsContext, m: number, loss: BaseLossConfig, a: Tf.Tensor2D, deltaA: Tf.Tensor, gW2: Tf.Tensor): LinearTfjsTerm | null;
  /**
   * The mask that makes δz of δa, with the gradients it gives the architecture's own parameters
   * and the loss term it adds (null: none). Absent: δz = δa ⊙ 1[a > 0].
   */
  mask?(ctx: TfjsContext, m: number, loss: BaseLossConfig, pre: Tf.Tensor2D, deltaA: Tf.Tensor): { deltaZ: Tf.Tensor; gradients: Record<string, Tf.Tensor>; sparsity: Tf.Tensor | null };
  /**
   * The reconstruction's part of the gradient, when it is not (1/m)·Σ‖x − x̂‖² (matryoshka's prefix
   * losses): gW_dec, δa, b_dec's direct part (Σ_i ∂/∂x̂_i) and the term.
   */
  reconstruction?(ctx: TfjsContext, m: number, loss: BaseLossConfig, x: Tf.Tensor2D, a: Tf.Tensor2D): { gW2: Tf.Tensor; deltaA: Tf.Tensor; biasGradient: Tf.Tensor; term: Tf.Tensor };
  /** A term after the mask (diff = x̂ − x): its parts of δz and gW_dec, and its value; null: none. */
  auxiliary?(ctx: TfjsContext, m: number, loss: BaseLossConfig, pre: Tf.Tensor2D, diff: Tf.Tensor, deltaZ: Tf.Tensor, gW2: Tf.Tensor): LinearTfjsTerm | null;
  afterUpdate?: TfjsKernels['afterUpdate'];
}

/** W_dec[j,:] /= ‖W_dec[j,:]‖ (rows of norm 0 left alone). Call inside tidy. */
export function renormalizeDecoder({ tf, params }: TfjsContext): void {
  const W2 = params.W2;
  const norms = tf.sqrt(tf.sum(tf.square(W2), 1, true));
  W2.assign(tf.div(W2, tf.where(tf.greater(norms, 0), norms, tf.onesLike(norms))));
}

export function linearTfjs(codes: LinearTfjsCodes): TfjsKernels {
  /** centred = X − b_dec, z = centred·W_enc + b_enc, a = codes(z). */
  const linearEncode = (ctx: TfjsContext, x: Tf.Tensor2D, training = false) => {
    const { tf, params } = ctx;
    // a transcoder's b_dec [d_out] is not subtracted (SAELens' Transcoder.process_sae_in)
    const centred = encoderCentred(ctx.shape) ? (tf.sub(x, params.b2) as Tf.Tensor2D) : x;
    const pre = tf.fused.matMul({ a: centred, b: params.W1 as Tf.Tensor2D, bias: params.b1 }) as Tf.Tensor2D;
    return { centred, pre, a: (training ? (codes.trainingCodes ?? codes.codes) : codes.codes)(ctx, pre) };
  };

  /** x̂ = a·W2 + b2, one fused kernel. */
  const decode = ({ tf, params }: TfjsContext, a: Tf.Tensor2D) => tf.fused.matMul({ a, b: params.W2 as Tf.Tensor2D, bias: params.b2 }) as Tf.Tensor2D;

  const batchGradients = (ctx: TfjsContext, x: Tf.Tensor2D, m: number, loss: BaseLossConfig): TfjsBatchGradients => {
    const { tf, shape } = ctx;
    const { W1, W2 } = ctx.params;
    const { centred, pre, a } = linearEncode(ctx, x, true);
    const y = decode(ctx, a);
    const diff = tf.sub(y, x);
    // d = (2/m)·(x̂ − x); gW_dec = aᵀ·d; δa = d·W_decᵀ; b_dec's direct part Σ_i d_i
    let gW2: Tf.Tensor, deltaA: Tf.Tensor, biasGradient: Tf.Tensor, reconstruction: Tf.Tensor;
    if (codes.reconstruction) {
      ({ gW2, deltaA, biasGradient, term: reconstruction } = codes.reconstruction(ctx, m, loss, x, a));
    } else {
      const d = tf.mul(diff, 2 / m);
      gW2 = tf.matMul(tf.transpose(a), d);
      deltaA = tf.matMul(d, tf.transpose(W2));
      biasGradient = tf.sum(d, 0);
      reconstruction = tf.div(tf.sum(tf.square(diff)), m);
    }
    let sparsity: Tf.Tensor | null = null;
    const penalty = codes.penalty?.(ctx, m, loss, a, deltaA, gW2) ?? null;
    if (penalty !== null) ({ delta: deltaA, gW2, sparsity } = penalty);
    let deltaZ: Tf.Tensor;
    let own: Record<string, Tf.Tensor> = {};
    if (codes.mask) {
      const masked = codes.mask(ctx, m, loss, pre, deltaA);
      ({ deltaZ, gradients: own } = masked);
      if (masked.sparsity !== null) sparsity = sparsity === null ? masked.sparsity : tf.add(sparsity, masked.sparsity);
    } else {
      deltaZ = tf.mul(deltaA, tf.cast(tf.greater(a, 0), 'float32'));
    }
    const auxiliary = codes.auxiliary?.(ctx, m, loss, pre, diff, deltaZ, gW2) ?? null;
    if (auxiliary !== null) {
      ({ delta: deltaZ, gW2 } = auxiliary);
      sparsity = sparsity === null ? auxiliary.sparsity : tf.add(sparsity, auxiliary.sparsity);
    }
    // gW_enc = (X − b_dec)ᵀ·δz; gb_enc = Σ_i δz_i; gb_dec = Σ_i d_i − W_enc·gb_enc
    const gW1 = tf.matMul(tf.transpose(centred), deltaZ);
    const gb1 = tf.sum(deltaZ, 0);
    const gb2 = tf.sub(biasGradient, tf.reshape(tf.matMul(W1, tf.expandDims(gb1, 1)), [shape.inputSize]));
    return {
      terms: tf.stack([reconstruction, tf.scalar(0), sparsity ?? tf.scalar(0)]) as Tf.Tensor1D,
      hidden: a,
      meanActivation: tf.mean(a, 0) as Tf.Tensor1D,
      // a parameter no gradient trains (batchtopk's θ, its step counter) gets a zero one
      gradients: { ...Object.fromEntries(Object.entries(ctx.params).map(([name, v]) => [name, tf.zerosLike(v)])), W1: gW1, b1: gb1, W2: gW2, b2: gb2, ...own },
    };
  };

  return {
    encode: (ctx, x) => linearEncode(ctx, x).a,
    decode,
    batchGradients,
    ...(codes.afterUpdate ? { afterUpdate: codes.afterUpdate } : {}),
  };
}
