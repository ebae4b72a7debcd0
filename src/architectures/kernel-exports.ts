/**
 * The kernel module's exports (build/kernels.wasm, assembly/) as JavaScript calls them: the
 * vocabulary an architecture's AssemblyScript composition is written in. Instantiated and checked
 * by src/backends/assemblyscript/kernel-module.ts.
 */

/**
 * The raw exports of build/kernels.wasm (see assembly/). Addresses are byte offsets into
 * `memory`; counts and sizes are element counts.
 */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  gemm_nn(a: number, b: number, c: number, M: number, K: number, N: number): void;
  gemm_tn(a: number, b: number, c: number, M: number, K: number, N: number): void;
  gemm_nt(a: number, b: number, c: number, M: number, K: number, N: number): void;
  /** C = σ(A·B + bias), bias [N] added to every row. */
  gemm_nn_bias_sigmoid(a: number, b: number, bias: number, c: number, M: number, K: number, N: number): void;
  bias_sigmoid(z: number, bias: number, rows: number, cols: number): void;
  hidden_delta(dA: number, a: number, klGrad: number, rows: number, cols: number): void;
  column_sum(a: number, out: number, rows: number, cols: number): void;
  column_mean(a: number, out: number, rows: number, cols: number): void;
  sum_squares(p: number, count: number): number;
  output_delta(y: number, x: number, delta: number, count: number, scale: number): number;
  kl_gradient(rhoHat: number, out: number, cols: number, rho: number, beta: number, invM: number, qClamp: number): number;
  add_scaled(dst: number, src: number, count: number, alpha: number): void;
  adam_update(w: number, g: number, m: number, v: number, count: number, lrT: number, beta1: number, beta2: number, eps: number): void;
  sgd_update(w: number, g: number, count: number, lr: number): void;
  gather_rows(src: number, indices: number, dst: number, rows: number, cols: number): void;
  heap_base(): number;
  // relu and topk (assembly/sparse-codes.ts)
  add_row_vector(z: number, v: number, rows: number, cols: number, alpha: number): void;
  relu(z: number, a: number, count: number): void;
  /** allowed: a u8 mask address, or 0 for every unit. */
  top_k_codes(z: number, allowed: number, a: number, scratch: number, rows: number, cols: number, count: number): void;
  linear_output_delta(y: number, x: number, d: number, count: number, scale: number): number;
  aux_delta(eHat: number, x: number, y: number, dAux: number, count: number, scale: number): number;
  code_delta(dZ: number, a: number, add: number, rows: number, cols: number): void;
  masked_add(dst: number, src: number, a: number, count: number): void;
  row_norms(w: number, out: number, rows: number, cols: number): void;
  l1_decoder_gradient(g: number, w: number, codeSum: number, norms: number, rows: number, cols: number, scale: number): number;
  normalize_rows(w: number, rows: number, cols: number): void;
  update_steps_since_fired(a: number, steps: number, rows: number, cols: number): void;
  dead_mask(steps: number, mask: number, cols: number, deadSteps: number): number;
  // products with topk's sparse codes (assembly/sparse-gemm.ts): the dense products' bits
  nonzero_index(a: number, rows: number, cols: number, index: number): number;
  sparse_gemm_nn(a: number, index: number, b: number, c: number, acc: number, M: number, K: number, N: number): void;
  sparse_gemm_tn(a: number, index: number, b: number, c: number, work: number, M: number, K: number, N: number): void;
  masked_gemm_nt(a: number, b: number, c: number, index: number, M: number, K: number, N: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  // jumprelu (assembly/jump-codes.ts)
  jump_codes(z: number, theta: number, a: number, rows: number, cols: number): void;
  jump_delta(dZ: number, z: number, theta: number, gTheta: number, rows: number, cols: number, inverseBandwidth: number, l0: number): number;
  jump_index(z: number, theta: number, rows: number, cols: number, inverseBandwidth: number, index: number): number;
  // batchtopk and matryoshka (assembly/batch-top-k.ts)
  batch_top_k_codes(z: number, a: number, hist: number, count: number, keep: number): void;
  min_positive(a: number, count: number): number;
  copy_block(src: number, srcStride: number, dst: number, dstStride: number, rows: number, cols: number): void;
  // gated (assembly/gated-codes.ts)
  gated_codes(e: number, bGate: number, scale: number, bMag: number, a: number, rows: number, cols: number): void;
}
