/**
 * How each kernel call splits across threads: by output tiles only (rows of C, blocks of 8
 * columns, runs of elements), never across a sum, so every output value is computed by one thread
 * exactly as the whole call computes it and the result is the single-thread result bit for bit, for
 * any thread count. Kernels that return a sum or reduce over rows (output_delta, column_sum,
 * sum_squares, nonzero_index, …) are not listed: they stay whole, on the main thread.
 *
 * A kernel gets threads by being declared here: its work (for the cut-off), and its parts — the
 * export each part calls (the kernel itself on offset addresses, or a `_part` export taking a
 * range) and that export's arguments. threaded-kernels.ts does the rest.
 *
 * Alignment: element runs split at multiples of 4 floats, so each part's SIMD body and scalar tail
 * cover the elements the whole call's do; columns of a product split at multiples of 8 (gemm.ts's
 * panels).
 */

/** What a split may ask of the session while it plans. */
export interface SplitContext {
  /** Threads the call may use (≥ 2). */
  readonly threads: number;
  /** A scratch block of `bytes` for one part (freed with the call's other scratch). */
  scratch(bytes: number): number;
  /** The u32 at `address` (a CSR index's count). */
  u32(address: number): number;
}

export interface KernelSplit {
  /**
   * 'product' (work in multiply-adds) or 'stream' (work in floats touched once): each has its
   * cut-off (threaded-kernels.ts).
   */
  readonly kind: 'product' | 'stream';
  work(args: readonly number[], ctx: SplitContext): number;
  /** The parts, as [export, arguments]; one part means run whole. */
  parts(args: readonly number[], ctx: SplitContext): { name: string; args: number[] }[];
}

const F32 = 4;

/** [start, end) ranges splitting `total` into at most `count` parts, inner bounds at multiples of `align`. */
export function ranges(total: number, count: number, align: number): [number, number][] {
  const units = Math.ceil(total / align);
  const parts = Math.max(1, Math.min(count, units));
  const out: [number, number][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const end = p === parts - 1 ? total : Math.min(total, Math.round((units * (p + 1)) / parts) * align);
    if (end > start) out.push([start, end]);
    start = end;
  }
  return out;
}

/** A kernel (ptrs…, count, scalars…) over `count` floats: each part the same export on offset pointers. */
function elementwise(name: string, pointers: number, countAt: number): KernelSplit {
  return {
    kind: 'stream',
    work: (args) => args[countAt]! * (pointers + 1),
    parts(args, ctx) {
      return ranges(args[countAt]!, ctx.threads, 4).map(([s, e]) => {
        const a = args.slice();
        for (let p = 0; p < pointers; p++) a[p] = args[p]! + s * F32;
        a[countAt] = e - s;
        return { name, args: a };
      });
    },
  };
}

/**
 * A kernel over the rows of [rows×cols] blocks: `rowPointers` are the argument positions of
 * addresses advanced by a row of cols floats, `itemPointers` by one float a row (row_norms' out).
 * `scratchFloats`: a per-part scratch argument (its position, and floats it needs).
 */
function rowwise(name: string, rowPointers: number[], rowsAt: number, colsAt: number, options: { itemPointers?: number[]; scratch?: { at: number; floats: (args: readonly number[]) => number }; align?: number } = {}): KernelSplit {
  return {
    kind: 'stream',
    work: (args) => args[rowsAt]! * args[colsAt]! * (rowPointers.length + 1),
    parts(args, ctx) {
      const cols = args[colsAt]!;
      return ranges(args[rowsAt]!, ctx.threads, options.align ?? 1).map(([s, e], i) => {
        const a = args.slice();
        for (const p of rowPointers) a[p] = args[p]! + s * cols * F32;
        for (const p of options.itemPointers ?? []) a[p] = args[p]! + s * F32;
        if (options.scratch) a[options.scratch.at] = i === 0 ? args[options.scratch.at]! : ctx.scratch(options.scratch.floats(args) * F32);
        a[rowsAt] = e - s;
        return { name, args: a };
      });
    },
  };
}

/**
 * The dense products (gemm.ts): C [M×N] in blocks of whole rows or of 8-column panels, through
 * gemm_part. Columns when A (M rows) is no larger than B (N columns) and there are panels enough:
 * then each thread packs only its own panels of B and reads all of A; else rows, each thread
 * reading its rows of A and packing all of B. (M ≤ N ⇔ |A| ≤ |B|, both sharing K.)
 */
function product(form: number, withBias: boolean): KernelSplit {
  // arguments: (a, b, [bias,] c, M, K, N)
  const at = withBias ? { a: 0, b: 1, bias: 2, c: 3, M: 4 } : { a: 0, b: 1, bias: -1, c: 2, M: 3 };
  return {
    kind: 'product',
    work: (args) => args[at.M]! * args[at.M + 1]! * args[at.M + 2]!,
    parts(args, ctx) {
      const M = args[at.M]!, K = args[at.M + 1]!, N = args[at.M + 2]!;
      const call = [form, args[at.a]!, args[at.b]!, at.bias >= 0 ? args[at.bias]! : 0, args[at.c]!, M, K, N];
      const byColumns = M <= N && Math.ceil(N / 8) >= ctx.threads;
      if (byColumns) return ranges(N, ctx.threads, 8).map(([j0, j1]) => ({ name: 'gemm_part', args: [...call, 0, M, j0, j1] }));
      return ranges(M, ctx.threads, 4).map(([i0, i1]) => ({ name: 'gemm_part', args: [...call, i0, i1, 0, N] }));
    },
  };
}

/** Row ranges of a `_part` export taking (…args, start, end); `perPartScratch` replaces an argument by a block of its own. */
function partRows(part: string, rowsAt: number, work: (args: readonly number[], ctx: SplitContext) => number, perPartScratch?: { at: number; bytes: (args: readonly number[]) => number }): KernelSplit {
  return {
    kind: 'product',
    work,
    parts(args, ctx) {
      return ranges(args[rowsAt]!, ctx.threads, 1).map(([s, e], i) => {
        const a = args.slice();
        if (perPartScratch && i > 0) a[perPartScratch.at] = ctx.scratch(perPartScratch.bytes(args));
        return { name: part, args: [...a, s, e] };
      });
    },
  };
}

/** The non-zeros a CSR index over `rows` rows lists (nonzero_index's count, stored after the offsets). */
const nonzeros = (ctx: SplitContext, index: number, rows: number): number => ctx.u32(index + rows * 4);

/**
 * The encode kernels (assembly/encode-float.ts, f32 and bf16 weights: (x, w, b, z, rows, n, h,
 * relu); assembly/encode-int8.ts's portable ones: (xu8, xi16, params, w, scale, off, b, z, rows, nq,
 * h, relu)): by panels of 16 columns of z, through their `_part` twins taking (…, p0, p1). By
 * columns, not rows: the weights are what streams from memory (75 MB at 768 → 24576 in f32), and
 * a split by rows would have every thread read all of them; by columns each reads its share.
 * `rowsAt`: the position of rows (n or nq and h follow it).
 */
function encodePanelsSplit(name: string, rowsAt: number): KernelSplit {
  return {
    kind: 'product',
    work: (args) => args[rowsAt]! * args[rowsAt + 1]! * args[rowsAt + 2]!,
    parts(args, ctx) {
      const panels = Math.ceil(args[rowsAt + 2]! / 16);
      return ranges(panels, ctx.threads, 1).map(([p0, p1]) => ({ name: `${name}_part`, args: [...args, p0, p1] }));
    },
  };
}

/**
 * A row-wise kernel that computes far more per element than a stream moves (a selection, a
 * transpose's scattered stores, a norm then a divide) on the products' cut-off, its work counted
 * in multiply-add equivalents: its declared work × `macsPerUnit`, the time a unit of it takes over
 * the time gemm_nn takes a multiply-add. Measured with bench/step-profile.ts (topk 768 → 6144,
 * batch 256, one thread, 2026-12-08, loaded machine: the ratios, not the times, are what count):
 * gemm_nn 0.19–0.26 ns a multiply-add; top_k_codes 13.8–14.9 ns a unit, transpose 14.5, normalize_rows
 * 2.7–3.2. On the streams' cut-off they never split at these sizes, though each costs a tenth of
 * the step.
 */
function asProduct(split: KernelSplit, macsPerUnit: number): KernelSplit {
  return { ...split, kind: 'product', work: (args, ctx) => split.work(args, ctx) * macsPerUnit };
}

/** Every kernel that runs on threads, by export name. */
export const KERNEL_SPLITS: Readonly<Record<string, KernelSplit>> = {
  gemm_nn: product(0, false),
  gemm_tn: product(1, false),
  gemm_nt: product(2, false),
  gemm_nn_bias_sigmoid: product(3, true),
  // (a, index, b, c, acc, M, K, N): rows of C; acc is N floats a part
  sparse_gemm_nn: partRows('sparse_gemm_nn_part', 5, (args, ctx) => nonzeros(ctx, args[1]!, args[5]!) * args[7]!, { at: 4, bytes: (args) => args[7]! * F32 }),
  // (a, index, b, c, work, M, K, N): rows of C (each part its own rows of work)
  sparse_gemm_tn: partRows('sparse_gemm_tn_part', 5, (args, ctx) => nonzeros(ctx, args[1]!, args[6]!) * args[7]!),
  // (a, b, c, index, M, K, N): rows of C
  masked_gemm_nt: partRows('masked_gemm_nt_part', 4, (args, ctx) => nonzeros(ctx, args[3]!, args[4]!) * args[5]!),
  // (src, dst, rows, cols): rows of src
  transpose: asProduct(partRows('transpose_part', 2, (args) => args[2]! * args[3]!), 64),
  // (z, allowed, a, scratch, rows, cols, count): rows, cols floats of scratch a part
  top_k_codes: asProduct(rowwise('top_k_codes', [0, 2], 4, 5, { scratch: { at: 3, floats: (args) => args[5]! } }), 64),
  relu: elementwise('relu', 2, 2),
  masked_add: elementwise('masked_add', 3, 3),
  add_scaled: elementwise('add_scaled', 2, 2),
  adam_update: elementwise('adam_update', 4, 4),
  sgd_update: elementwise('sgd_update', 2, 2),
  add_row_vector: rowwise('add_row_vector', [0], 2, 3),
  code_delta: rowwise('code_delta', [0, 1], 3, 4),
  bias_sigmoid: rowwise('bias_sigmoid', [0], 2, 3),
  hidden_delta: rowwise('hidden_delta', [0, 1], 3, 4),
  jump_codes: rowwise('jump_codes', [0, 2], 3, 4),
  row_norms: rowwise('row_norms', [0], 2, 3, { itemPointers: [1] }),
  normalize_rows: asProduct(rowwise('normalize_rows', [0], 1, 2), 12),
  // (src, indices, dst, rows, cols): rows of dst, their indices
  gather_rows: rowwise('gather_rows', [2], 3, 4, { itemPointers: [1] }),
  encode_f32_rows: encodePanelsSplit('encode_f32_rows', 4),
  encode_f32_gemm: encodePanelsSplit('encode_f32_gemm', 4),
  encode_bf16_rows: encodePanelsSplit('encode_bf16_rows', 4),
  encode_bf16_gemm: encodePanelsSplit('encode_bf16_gemm', 4),
  encode_i8_rows: encodePanelsSplit('encode_i8_rows', 8),
  encode_i8_gemm: encodePanelsSplit('encode_i8_gemm', 8),
};

/** The exports parts call (what a worker's instance must have): the `_part` exports and the kernels split on offset addresses. */
export const PART_EXPORTS: readonly string[] = [
  'gemm_part', 'sparse_gemm_nn_part', 'sparse_gemm_tn_part', 'masked_gemm_nt_part', 'transpose_part',
  'top_k_codes', 'relu', 'masked_add', 'add_scaled', 'adam_update', 'sgd_update', 'add_row_vector', 'code_delta',
  'bias_sigmoid', 'hidden_delta', 'jump_codes', 'row_norms', 'normalize_rows', 'gather_rows',
  'encode_f32_rows_part', 'encode_f32_gemm_part', 'encode_bf16_rows_part', 'encode_bf16_gemm_part',
  'encode_i8_rows_part', 'encode_i8_gemm_part',
];
