/**
 * The machine's f32x4 multiply-add limit, for the benchmark's roofline (bench/roofline.bench.ts).
 * This file is the entry of the bench-only build (asconfig.bench.json → build/bench-roofline.wasm
 * and build/bench-roofline-relaxed.wasm), so the production kernels do not carry it.
 *
 * Twelve independent chains c = c·m + a, no memory traffic: each iteration is 12 f32x4
 * multiply-adds = 96 flops. Twelve chains cover the mul→add latency of current x86 and ARM cores
 * (≈ 5–8 cycles at 2 mul+add pairs a cycle) and, with m and a, fit the 16 vector registers V8 uses.
 * m < 1 keeps the values bounded and normal.
 *
 * Two exports, the same loop but for where m comes from, because V8 versions compile them far
 * apart: with m a constant (binaryen puts its v128.const inside the loop), Node 20's V8 reaches the
 * limit and workerd's (1.20260426) runs at about half of it; with m in a variable, the other way
 * round (Node 20 ≈ 33 instead of 44 GFLOPS, workerd ≈ 47 instead of 27, 2026-11-26). The limit is
 * the faster of the two (bench/roofline.bench.ts).
 */
import { madd } from '../simd';

// @ts-ignore: decorator
@inline
function peakChains(iterations: i32, seed: f32, m: v128, a: v128): f32 {
  let c0 = f32x4.splat(seed), c1 = f32x4.splat(seed + 1), c2 = f32x4.splat(seed + 2), c3 = f32x4.splat(seed + 3);
  let c4 = f32x4.splat(seed + 4), c5 = f32x4.splat(seed + 5), c6 = f32x4.splat(seed + 6), c7 = f32x4.splat(seed + 7);
  let c8 = f32x4.splat(seed + 8), c9 = f32x4.splat(seed + 9), c10 = f32x4.splat(seed + 10), c11 = f32x4.splat(seed + 11);
  for (let i = 0; i < iterations; i++) {
    c0 = madd(c0, m, a); c1 = madd(c1, m, a); c2 = madd(c2, m, a); c3 = madd(c3, m, a);
    c4 = madd(c4, m, a); c5 = madd(c5, m, a); c6 = madd(c6, m, a); c7 = madd(c7, m, a);
    c8 = madd(c8, m, a); c9 = madd(c9, m, a); c10 = madd(c10, m, a); c11 = madd(c11, m, a);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7))),
    f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11)),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/** Runs `iterations` rounds of 12 independent f32x4 multiply-adds, m = 0.999 a constant; returns a lane sum (keeps the work alive). */
export function simd_peak(iterations: i32, seed: f32): f32 {
  return peakChains(iterations, seed, f32x4.splat(0.999), f32x4.splat(seed));
}

/** simd_peak with m = 1 − seed/500 (0.999 for seed 0.5) held in a variable. */
export function simd_peak_variable(iterations: i32, seed: f32): f32 {
  return peakChains(iterations, seed, f32x4.splat(1 - seed * 0.002), f32x4.splat(seed));
}

/** Does nothing: a cheap call for measuring the JS → wasm call overhead. */
export function nop(): void {}

/**
 * Reads `bytes` bytes from `ptr` (a multiple of 64) as v128, four independent xor chains: this
 * thread's streaming read bandwidth when the block is far larger than the caches (the floor of an
 * encode that reads each weight byte once: bench/encode-kernels.ts). Returns a lane so the reads
 * stay.
 */
export function stream_read(ptr: usize, bytes: usize): i32 {
  let a = i32x4.splat(0), b = i32x4.splat(0), c = i32x4.splat(0), d = i32x4.splat(0);
  const end = ptr + bytes;
  for (let p = ptr; p < end; p += 64) {
    a = v128.xor(a, v128.load(p));
    b = v128.xor(b, v128.load(p, 16));
    c = v128.xor(c, v128.load(p, 32));
    d = v128.xor(d, v128.load(p, 48));
  }
  return i32x4.extract_lane(v128.xor(v128.xor(a, b), v128.xor(c, d)), 0);
}
