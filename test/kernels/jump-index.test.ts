/**
 * jump_index (assembly/jump-codes.ts): the entries of δa that jump_delta reads (z > θ, or z in θ's
 * rectangle window), as a CSR index for masked_gemm_nt. Checked against the rule computed here in
 * float32, with values put on the window's edges and on θ itself, and by what it is for: δa from
 * the masked product through jump_delta gives δz, gθ and the count of the dense product bit for bit.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { mulberry32, randomArray } from '../helpers/random.js';
import { createHarness, type KernelHarness } from './kernel-harness.js';

let harness: KernelHarness;
beforeAll(async () => {
  harness = await createHarness();
});

const f = Math.fround;
const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));

/** The rule in float32, as jump_delta computes it: z > θ, or −½ < (z − θ)·(1/ε) < ½. */
function expectedIndex(z: Float32Array, theta: Float32Array, rows: number, cols: number, inverse: number): { offsets: number[]; columns: number[] } {
  const offsets: number[] = [0];
  const columns: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = z[i * cols + j]!;
      const t = theta[j]!;
      const u = f(f(v - t) * f(inverse));
      if (v > t || (u > -0.5 && u < 0.5)) columns.push(j);
    }
    offsets.push(columns.length);
  }
  return { offsets, columns };
}

/** z [rows×cols] around θ: uniform values, and some exactly on θ, on θ ± ε/2 and just inside, a NaN. */
function zAround(seed: number, theta: Float32Array, rows: number, cols: number, epsilon: number): Float32Array {
  const rng = mulberry32(seed);
  const z = randomArray(rng, rows * cols, -1, 1);
  for (let q = 0; q < z.length; q++) {
    const t = theta[q % cols]!;
    const pick = rng();
    if (pick < 0.08) z[q] = t;
    else if (pick < 0.16) z[q] = f(t + epsilon / 2);
    else if (pick < 0.24) z[q] = f(t - epsilon / 2);
    else if (pick < 0.3) z[q] = f(t - epsilon / 2.0001);
    else if (pick < 0.32) z[q] = NaN;
  }
  return z;
}

describe('jump_index', () => {
  for (const [rows, cols, epsilon] of [[1, 1, 0.3], [3, 7, 0.05], [5, 16, 0.3], [9, 37, 0.001], [4, 64, 2]] as const) {
    it(`should list the entries with z > θ or z in θ's window, in order (${rows}×${cols}, ε = ${epsilon})`, () => {
      const { kernels, arena, put } = harness;
      arena.resetScratch();
      const theta = randomArray(mulberry32(cols), cols, -0.2, 0.6);
      const z = zAround(rows * 100 + cols, theta, rows, cols, epsilon);
      const index = arena.allocateScratch((rows + 1 + rows * cols) * 4);
      const count = kernels.jump_index(put(z), put(theta), rows, cols, 1 / epsilon, index);
      const expected = expectedIndex(z, theta, rows, cols, 1 / epsilon);
      expect(count).toBe(expected.columns.length);
      expect(Array.from(arena.u32(index, rows + 1))).toEqual(expected.offsets);
      expect(Array.from(arena.u32(index + (rows + 1) * 4, count))).toEqual(expected.columns);
    });
  }

  it('should give jump_delta, through masked_gemm_nt, the dense product\'s δz, gθ and count bit for bit', () => {
    const { kernels, arena, put, alloc, get } = harness;
    // m rows, n inputs, h units; K = n over several of gemm.ts's passes of 256
    const [m, n, h, epsilon, lambda] = [13, 300, 21, 0.3, 0.2];
    arena.resetScratch();
    const rng = mulberry32(77);
    const theta = randomArray(rng, h, 0, 0.6);
    const zv = zAround(78, theta, m, h, epsilon).map((v) => (Number.isNaN(v) ? 0.1 : v));
    const [d, w] = [put(randomArray(rng, m * n, -1, 1)), put(randomArray(rng, h * n, -1, 1))];
    const [z, t] = [put(zv), put(theta)];
    const run = (masked: boolean) => {
      const dZ = alloc(m * h);
      if (masked) {
        const index = arena.allocateScratch((m + 1 + m * h) * 4);
        kernels.jump_index(z, t, m, h, 1 / epsilon, index);
        kernels.masked_gemm_nt(d, w, dZ, index, m, n, h);
      } else {
        kernels.gemm_nt(d, w, dZ, m, n, h);
      }
      const gTheta = alloc(h);
      const count = kernels.jump_delta(dZ, z, t, gTheta, m, h, 1 / epsilon, lambda / (m * epsilon));
      return { dZ: bits(get(dZ, m * h)), gTheta: bits(get(gTheta, h)), count };
    };
    const dense = run(false);
    const masked = run(true);
    expect(masked).toEqual(dense);
    // the data has window entries below θ (δz 0 there, gθ not): the index is more than the active codes
    const windowBelow = expectedIndex(zv, theta, m, h, 1 / epsilon).columns.length - dense.count;
    expect(windowBelow).toBeGreaterThan(0);
    expect(dense.count).toBeGreaterThan(0);
    expect(dense.count).toBeLessThan(m * h);
  });
});
