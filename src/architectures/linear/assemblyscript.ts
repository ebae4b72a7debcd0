/**
 * The dictionary-learning SAEs' shared skeleton on the AssemblyScript kernels
 * (assembly/sparse-codes.ts; src/reference/linear-dictionary-reference.ts, relu-reference.ts and topk-reference.ts have every formula):
 *
 *   centred = X − b_dec, z = centred·W_enc + b_enc, a = codes(z), x̂ = a·W_dec + b_dec
 *   d = (2/m)·(x̂ − x); gW_dec = aᵀ·d; δa = d·W_decᵀ (+ the penalty's part); δz = δa ⊙ 1[a > 0]
 *   (+ the auxiliary term's part); gW_enc = centredᵀ·δz; gb_enc = Σ_i δz_i; gb_dec = Σ_i d_i − W_enc·gb_enc
 *
 * An architecture fills in its codes, whether they are sparse enough for the products through
 * their index (assembly/sparse-gemm.ts, topk's k of h a row; relu's are dense enough for gemm.ts)
 * or whether that is chosen at run time from their measured density (jumprelu: about half its codes
 * fire at initialisation, a few per cent once trained), and the terms it adds to the loss: a
 * penalty on the codes (relu's L1) before the mask, an auxiliary term (topk's AuxK) after it.
 * The sparse products give the dense ones' numbers bit for bit (assembly/sparse-gemm.ts), so the
 * choice changes the time, never the result.
 */
import type { AsContext, AsKernels, BaseLossConfig, LossTerms } from '../contract.js';

const F32 = 4;

/** What an architecture puts into the skeleton. */
export interface LinearAsCodes {
  /** hidden [rows×h] ← the codes of the pre-activations z [rows×h]. */
  codes(ctx: AsContext, pre: number, hidden: number, rows: number): void;
  /** The codes a training step uses, when they are not `codes` (batchtopk: the batch's selection; `codes` is its inference). */
  trainingCodes?(ctx: AsContext, pre: number, hidden: number, rows: number): void;
  /**
   * true: few non-zeros a row, the products with the codes go through their index; false: dense
   * products (gemm.ts); DensityCutoffs: each product through the index when the density of its
   * sparse operand (non-zeros ÷ rows·h) is below its cut-off, measured at every call.
   */
  readonly sparse: boolean | DensityCutoffs;
  /**
   * The entries of δa [m×h] the mask reads, when they are not the codes' non-zeros (jumprelu: z > θ
   * or z in θ's window): a CSR index as nonzero_index's into new scratch, for the masked product
   * δa = d·W_decᵀ; returns its address. Only read when `sparse` is a DensityCutoffs.
   */
  maskIndex?(ctx: AsContext, pre: number, m: number, loss: BaseLossConfig): number;
  /** The codes are max(z, 0) (relu): the encode-only session fuses it into the product's kernel. */
  readonly fusedRelu?: boolean;
  /**
   * A penalty on the codes: adds its ∂/∂a (the same for every row) to `add` [h] and its part of
   * gW_dec to the gradient; returns the term.
   */
  penalty?(ctx: AsContext, m: number, loss: BaseLossConfig, a: number, add: number): number;
  /**
   * The mask that makes δz of δa (in place in dZ, [m×h]), with any gradient it gives the
   * architecture's own parameters; returns the loss term it adds. Absent: δz = (δa + add) ⊙ 1[a > 0]
   * (code_delta).
   */
  mask?(ctx: AsContext, dZ: number, pre: number, a: number, add: number, m: number, loss: BaseLossConfig): number;
  /**
   * The reconstruction's part of the gradient, when it is not (1/m)·Σ‖x − x̂‖² (matryoshka's prefix
   * losses): fills gW_dec, b_dec's direct part (Σ_i ∂/∂x̂_i) and δa at the codes' index into dZ;
   * returns the term. Absent: d = (2/m)·(x̂ − x), gW_dec = aᵀ·d, gb_dec = Σ_i d_i, δa = d·W_decᵀ.
   */
  reconstruction?(ctx: AsContext, x: number, m: number, loss: BaseLossConfig, a: number, dZ: number): number;
  /** A term added after the mask: adds to δz [m×h] and gW_dec; returns the term. */
  auxiliary?(ctx: AsContext, x: number, m: number, loss: BaseLossConfig, pre: number, y: number, dZ: number): number;
  afterUpdate?: AsKernels['afterUpdate'];
}

/**
 * The densities (non-zeros ÷ rows·h of the sparse operand) below which each product with the codes
 * goes through their index rather than gemm.ts, for an architecture whose codes' density is
 * known only at run time. Each is a cut-off measured, not guessed: where it is set says where.
 */
export interface DensityCutoffs {
  /** x̂ = a·W_dec (sparse_gemm_nn), over a's non-zeros. */
  readonly decode: number;
  /** gW_dec = aᵀ·d (sparse_gemm_tn), over a's non-zeros. */
  readonly decoderGradient: number;
  /** δa = d·W_decᵀ at the mask's entries only (masked_gemm_nt), over the entries the mask reads. */
  readonly codeGradient: number;
  /** gW_enc = (X − b_dec)ᵀ·δz (sparse_gemm_tn on δz, then transposed), over δz's non-zeros. */
  readonly encoderGradient: number;
}

/** The count of a CSR index over `rows` rows (stored after its offsets). */
export function indexCount(ctx: AsContext, index: number, rows: number): number {
  return ctx.u32(index + rows * 4, 1)[0]!;
}

/** nonzero_index of a [rows×cols] into new scratch; returns its address. */
export function nonzeroIndex(ctx: AsContext, a: number, rows: number, cols: number): number {
  const index = ctx.scratch((rows + 1 + rows * cols) * 4);
  ctx.kernels.nonzero_index(a, rows, cols, index);
  return index;
}

/** Scratch for sparse_gemm_tn producing [M×N] from K rows (only used when K > 256). */
export function sparseTnWork(ctx: AsContext, M: number, K: number, N: number): number {
  return K > 256 ? ctx.scratch(M * N * F32 + 2 * M * 4) : 0;
}

/** A zeroed scratch block of `count` floats. */
function zeroedScratch(ctx: AsContext, count: number): number {
  const address = ctx.scratch(count * F32);
  ctx.f32(address, count).fill(0);
  return address;
}

/** centred = X − b_dec and z = centred·W_enc + b_enc into new scratch blocks. */
function preActivations(ctx: AsContext, x: number, rows: number): { centred: number; pre: number } {
  const k = ctx.kernels;
  const { n, h, params } = ctx;
  const centred = ctx.scratch(rows * n * F32);
  ctx.f32(centred, rows * n).set(ctx.f32(x, rows * n));
  k.add_row_vector(centred, params.b2, rows, n, -1);
  const pre = ctx.scratch(rows * h * F32);
  k.gemm_nn(centred, params.W1, pre, rows, n, h);
  k.add_row_vector(pre, params.b1, rows, h, 1);
  return { centred, pre };
}

/** out = a·W_dec + b_dec. */
function denseDecode(ctx: AsContext, a: number, out: number, rows: number): void {
  ctx.kernels.gemm_nn(a, ctx.params.W2, out, rows, ctx.h, ctx.n);
  ctx.kernels.add_row_vector(out, ctx.params.b2, rows, ctx.n, 1);
}

export function linearAssemblyScript(codes: LinearAsCodes): AsKernels {
  /** The forward pass, with what the backward pass reads of it. */
  const forwardAt = (ctx: AsContext, x: number, rows: number, training = false) => {
    const k = ctx.kernels;
    const { n, h, params } = ctx;
    const { centred, pre } = preActivations(ctx, x, rows);
    const hidden = ctx.scratch(rows * h * F32);
    const output = ctx.scratch(rows * n * F32);
    (training ? (codes.trainingCodes ?? codes.codes) : codes.codes)(ctx, pre, hidden, rows);
    // the codes' index (when some product may go through it) and their density
    const index = codes.sparse === false ? 0 : nonzeroIndex(ctx, hidden, rows, h);
    const density = index === 0 ? 1 : indexCount(ctx, index, rows) / (rows * h);
    if (sparseAt(density, 'decode')) {
      k.sparse_gemm_nn(hidden, index, params.W2, output, ctx.scratch(n * F32), rows, h, n);
      k.add_row_vector(output, params.b2, rows, n, 1);
    } else {
      denseDecode(ctx, hidden, output, rows);
    }
    return { hidden, output, centred, pre, index, density };
  };

  /** Whether the product `which` goes through the index, its sparse operand at `density`. */
  const sparseAt = (density: number, which: keyof DensityCutoffs): boolean =>
    codes.sparse === true || (codes.sparse !== false && density < codes.sparse[which]);

  const backward = (ctx: AsContext, x: number, m: number, loss: BaseLossConfig): { terms: LossTerms; rhoHat: number; hidden: number } => {
    const k = ctx.kernels;
    const { n, h, params, grads } = ctx;
    const { hidden: a, output: y, centred, pre, index, density } = forwardAt(ctx, x, m, true);
    const dZ = ctx.scratch(m * h * F32);
    const add = zeroedScratch(ctx, h);

    let reconstruction: number;
    if (codes.reconstruction) {
      reconstruction = codes.reconstruction(ctx, x, m, loss, a, dZ);
    } else {
      // d = (2/m)·(x̂ − x); gW_dec = aᵀ·d; Σ_i d_i is b_dec's direct part
      const d = ctx.scratch(m * n * F32);
      reconstruction = k.linear_output_delta(y, x, d, m * n, 2 / m) / m;
      if (sparseAt(density, 'decoderGradient')) k.sparse_gemm_tn(a, index, d, grads.W2, sparseTnWork(ctx, h, m, n), h, m, n);
      else k.gemm_tn(a, d, grads.W2, h, m, n);
      k.column_sum(d, grads.b2, m, n);
      // sparse codes: d·W_decᵀ only where the mask reads it (code_delta: a > 0; zero elsewhere)
      // (the mask's entries include a's non-zeros: when those are past the cut-off, so is the mask)
      const maskIndex = typeof codes.sparse === 'boolean' || !codes.maskIndex ? index : sparseAt(density, 'codeGradient') ? codes.maskIndex(ctx, pre, m, loss) : 0;
      const maskDensity = maskIndex === 0 ? 1 : indexCount(ctx, maskIndex, m) / (m * h);
      if (sparseAt(maskDensity, 'codeGradient')) k.masked_gemm_nt(d, params.W2, dZ, maskIndex, m, n, h);
      else k.gemm_nt(d, params.W2, dZ, m, n, h);
    }

    let sparsity = codes.penalty ? codes.penalty(ctx, m, loss, a, add) : 0;
    // δz = (δa + add)·1[a > 0], or the architecture's own mask
    if (codes.mask) sparsity += codes.mask(ctx, dZ, pre, a, add, m, loss);
    else k.code_delta(dZ, a, add, m, h);
    if (codes.auxiliary) sparsity += codes.auxiliary(ctx, x, m, loss, pre, y, dZ);

    // gW_enc = (X − b_dec)ᵀ·δz; gb_enc = Σ_i δz_i; gb_dec −= W_enc·gb_enc
    const deltaIndex = codes.sparse === false ? 0 : nonzeroIndex(ctx, dZ, m, h);
    if (sparseAt(deltaIndex === 0 ? 1 : indexCount(ctx, deltaIndex, m) / (m * h), 'encoderGradient')) {
      // δz is non-zero only where a (or an auxiliary code) is: gW_encᵀ = δzᵀ·(X − b_dec) through δz's index, transposed
      const transposed = ctx.scratch(h * n * F32);
      k.sparse_gemm_tn(dZ, deltaIndex, centred, transposed, sparseTnWork(ctx, h, m, n), h, m, n);
      k.transpose(transposed, grads.W1, h, n);
    } else {
      k.gemm_tn(centred, dZ, grads.W1, n, m, h);
    }
    k.column_sum(dZ, grads.b1, m, h);
    const encoderPart = ctx.scratch(n * F32);
    k.gemm_nn(params.W1, grads.b1, encoderPart, n, h, 1);
    k.add_scaled(grads.b2, encoderPart, n, -1);

    const rhoHat = ctx.scratch(h * F32);
    k.column_mean(a, rhoHat, m, h);
    return { terms: { loss: reconstruction + sparsity, reconstruction, weightDecay: 0, sparsity }, rhoHat, hidden: a };
  };

  return {
    encoder: {
      centred: true,
      fusedRelu: codes.fusedRelu === true,
      ...(codes.fusedRelu === true
        ? {}
        : {
            activate(ctx: AsContext, pre: number, rows: number): number {
              const hidden = ctx.scratch(rows * ctx.h * F32);
              codes.codes(ctx, pre, hidden, rows);
              return hidden;
            },
          }),
    },
    encode(ctx, x, rows) {
      const { pre } = preActivations(ctx, x, rows);
      const hidden = ctx.scratch(rows * ctx.h * F32);
      codes.codes(ctx, pre, hidden, rows);
      return hidden;
    },
    forward(ctx, x, rows) {
      const { hidden, output } = forwardAt(ctx, x, rows);
      return { hidden, output };
    },
    decode: denseDecode,
    backward,
    ...(codes.afterUpdate ? { afterUpdate: codes.afterUpdate } : {}),
  };
}
