/**
 * The products with topk's sparse codes (assembly/sparse-gemm.ts) against the dense gemm.ts
 * kernels they replace: the same bits, at shapes whose k runs over several of gemm.ts's passes
 * (KC = 256) and whose sizes leave f32x4 and tile tails, with rows of no, few and many non-zeros.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, randomArray, type Rng } from '../helpers/random.js';
import { createHarness, type KernelHarness } from './kernel-harness.js';

let harness: KernelHarness;
beforeAll(async () => {
  harness = await createHarness();
});

/** [M, K, N] */
const SHAPES: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [4, 8, 8], [9, 257, 6], [5, 300, 13], [17, 600, 33], [2, 513, 4]];

/** rows × cols with about `density` of the entries non-zero (positive, as codes are), row 0 empty. */
function sparseMatrix(rng: Rng, rows: number, cols: number, density: number): Float32Array {
  const a = new Float32Array(rows * cols);
  for (let q = cols; q < a.length; q++) if (rng() < density) a[q] = Math.fround(0.01 + rng());
  return a;
}

const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));

function indexOf(a: number, rows: number, cols: number): { index: number; count: number } {
  const index = harness.arena.allocateScratch((rows + 1 + rows * cols) * 4);
  return { index, count: harness.kernels.nonzero_index(a, rows, cols, index) };
}

describe('nonzero_index', () => {
  it('should list each row\'s non-zero columns in order (−0 is zero, NaN is not)', () => {
    const { kernels, arena, put } = harness;
    arena.resetScratch();
    const a = [0, 1, -0, 0, 2, 0, NaN, /* row 1 */ 0, 0, 0, 0, 0, 0, 0, /* row 2 */ -3, 0, 0, 0, 0, 0, 4];
    const index = arena.allocateScratch((3 + 1 + 21) * 4);
    expect(kernels.nonzero_index(put(a), 3, 7, index)).toBe(5);
    expect(Array.from(arena.u32(index, 4 + 5))).toEqual([0, 3, 3, 5, 1, 4, 6, 0, 6]);
  });
});

describe('sparse products', () => {
  for (const density of [0, 0.03, 0.3, 1]) {
    it(`should equal gemm_nn, gemm_tn and gemm_nt bit for bit (density ${density})`, () => {
      const { kernels, arena, put, alloc, get } = harness;
      SHAPES.forEach(([M, K, N], s) => {
        arena.resetScratch();
        const rng = mulberry32(200 + s + 17 * density);
        const label = `${M}×${K}×${N}`;

        // C = A·B, A [M×K] sparse
        const a = put(sparseMatrix(rng, M, K, density));
        const b = put(randomArray(rng, K * N, -1, 1));
        const dense = alloc(M * N);
        kernels.gemm_nn(a, b, dense, M, K, N);
        const sparse = alloc(M * N);
        kernels.sparse_gemm_nn(a, indexOf(a, M, K).index, b, sparse, alloc(N), M, K, N);
        expect(bits(get(sparse, M * N)), `nn ${label}`).toEqual(bits(get(dense, M * N)));

        // C = Aᵀ·B, A stored [K×M] sparse, B [K×N]
        const at = put(sparseMatrix(rng, K, M, density));
        const bt = put(randomArray(rng, K * N, -1, 1));
        kernels.gemm_tn(at, bt, dense, M, K, N);
        kernels.sparse_gemm_tn(at, indexOf(at, K, M).index, bt, sparse, alloc(M * N + 2 * M), M, K, N);
        expect(bits(get(sparse, M * N)), `tn ${label}`).toEqual(bits(get(dense, M * N)));

        // C = A·Bᵀ at the entries of a mask [M×N], 0 elsewhere
        const an = put(randomArray(rng, M * K, -1, 1));
        const bn = put(randomArray(rng, N * K, -1, 1));
        const maskValues = sparseMatrix(rng, M, N, density);
        kernels.gemm_nt(an, bn, dense, M, K, N);
        kernels.masked_gemm_nt(an, bn, sparse, indexOf(put(maskValues), M, N).index, M, K, N);
        const full = get(dense, M * N).map((v, q) => (maskValues[q] !== 0 ? v : 0));
        expect(bits(get(sparse, M * N)), `nt ${label}`).toEqual(bits(full));
      });
    });
  }

  it('transpose should move every float', () => {
    const { kernels, arena, put, alloc, get } = harness;
    for (const [rows, cols] of [[1, 1], [3, 17], [16, 16], [33, 5]] as const) {
      arena.resetScratch();
      const src = randomArray(mulberry32(rows * cols), rows * cols, -1, 1);
      const dst = alloc(rows * cols);
      kernels.transpose(put(src), dst, rows, cols);
      const expected = Array.from({ length: rows * cols }, (_, q) => src[(q % rows) * cols + Math.floor(q / rows)]!);
      expect(Array.from(get(dst, rows * cols))).toEqual(expected);
    }
  });
});
