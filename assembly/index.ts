/** The kernel module's exports: one family a file, re-exported here (see each file). */
export * from './gemm';
export * from './activations';
export * from './reductions';
export * from './loss';
export * from './optimizers';
export * from './memory';
export * from './roofline';
