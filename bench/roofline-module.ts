/**
 * The bench-only roofline build (assembly/bench/roofline.ts, asconfig.bench.json): the f32x4
 * multiply-add microkernels the GEMM figures are compared with, kept out of the production
 * kernels (build/kernels.wasm). One build per kernel variant, beside the kernels: the portable
 * one (build/bench-roofline.wasm, mul + add) and the relaxed one (build/bench-roofline-relaxed.wasm,
 * relaxed_madd), so each kernel build is compared with the limit of its own multiply-add.
 * Loading them from disk in Node: loadRoofline in roofline.bench.ts; workerd imports them.
 */
/** The exports of the roofline build. */
export interface RooflineExports {
  /** 12 independent f32x4 multiply-add chains, `iterations` rounds, m a constant (returns a lane sum). */
  simd_peak(iterations: number, seed: number): number;
  /** The same with m held in a variable (V8 versions compile the two far apart, see assembly/bench/roofline.ts). */
  simd_peak_variable(iterations: number, seed: number): number;
  /** Does nothing: the JS → wasm call overhead. */
  nop(): void;
}

/** An instance of a compiled roofline module, its exports checked. */
export function instantiateRoofline(module: WebAssembly.Module): RooflineExports {
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as RooflineExports;
  for (const name of ['simd_peak', 'simd_peak_variable', 'nop'] as const) {
    if (typeof exports[name] !== 'function') throw new Error(`the roofline build lacks "${name}"; rebuild it with npm run build:wasm:bench`);
  }
  return exports;
}
