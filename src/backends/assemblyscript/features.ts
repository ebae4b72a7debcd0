/**
 * Feature probes for the kernel builds, each cached: `WebAssembly.validate` of a tiny module that
 * uses the feature, so nothing is compiled or run.
 *
 * Two builds of assembly/ exist: build/kernels.wasm (SIMD128, runs on every engine with SIMD) and
 * build/kernels-relaxed.wasm (SIMD128 + relaxed SIMD: every multiply-add is f32x4.relaxed_madd,
 * which the engine may fuse; see assembly/simd.ts for what that changes in the results).
 */

/** (module (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0)))) */
const RELAXED_MADD_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section, one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]), // 3 × v128.const 0
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
]);

let relaxed: boolean | undefined;

/** Whether this engine has relaxed SIMD (workerd and Node 22+ do; Node 20 only with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  if (relaxed === undefined) {
    try {
      relaxed = WebAssembly.validate(RELAXED_MADD_MODULE);
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

export type KernelVariant = 'simd' | 'relaxed';

/**
 * Which build to load: the relaxed one when the engine has relaxed SIMD and the build is there,
 * unless `preference` says otherwise ('simd' forces the portable build).
 */
export function chooseKernelVariant(preference: KernelVariant | 'auto', relaxedAvailable: boolean): KernelVariant {
  if (preference === 'simd') return 'simd';
  if (preference === 'relaxed') return 'relaxed';
  return relaxedAvailable && relaxedSimdSupported() ? 'relaxed' : 'simd';
}
