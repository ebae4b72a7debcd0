/**
 * The kernel module's exports: one family a file, re-exported here (see each file). The benchmark's
 * roofline microkernels are not among them: they are a bench-only build (assembly/bench/roofline.ts).
 */
export * from './gemm';
export * from './activations';
export * from './reductions';
export * from './loss';
export * from './optimizers';
export * from './memory';
export * from './sparse-codes';
export * from './sparse-gemm';
export * from './jump-codes';
export * from './encode-float';
export * from './encode-int8';
export * from './batch-top-k';
