/**
 * Each feature's nearest features by decoder cosine (Neuronpedia's and SAEDashboard's "similar
 * features"), computed a block of features at a time: a block of b decoder rows against all h,
 * b × h cosines at once, so a large dictionary never needs the h × h matrix. The decoder row of
 * feature j is W2[j, :] (the direction feature j adds to the reconstruction).
 */
import { offer, ranked, type Entry } from './ranked.js';

/** Each decoder row's Euclidean norm (float64 sums in index order); 0 for a zero row. */
export function rowNorms(w2: Float32Array, h: number, n: number): Float64Array {
  const norms = new Float64Array(h);
  for (let j = 0; j < h; j++) {
    let sum = 0;
    for (let c = 0; c < n; c++) sum += w2[j * n + c]! * w2[j * n + c]!;
    norms[j] = Math.sqrt(sum);
  }
  return norms;
}

/**
 * cos(W2[a], W2[b]): the float64 dot product in index order over the two norms; 0 when either
 * row is zero (a zero direction is near nothing).
 */
export function decoderCosine(w2: Float32Array, n: number, norms: Float64Array, a: number, b: number): number {
  if (norms[a] === 0 || norms[b] === 0) return 0;
  let dot = 0;
  for (let c = 0; c < n; c++) dot += w2[a * n + c]! * w2[b * n + c]!;
  return dot / (norms[a]! * norms[b]!);
}

/**
 * The `k` nearest other features of each feature in [first, last): highest cosine first (ties:
 * the smaller index), as [index, cosine] pairs.
 */
export function neighbourBlock(w2: Float32Array, h: number, n: number, norms: Float64Array, first: number, last: number, k: number): Entry[][] {
  const out: Entry[][] = [];
  for (let a = first; a < last; a++) {
    const heap: Entry[] = [];
    for (let b = 0; b < h; b++) if (b !== a) offer(heap, k, b, decoderCosine(w2, n, norms, a, b));
    out.push(ranked(heap));
  }
  return out;
}
