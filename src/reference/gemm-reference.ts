/** The plain float64 matrix product the references are built from (slow and obvious on purpose). */

/** C = op(A)·op(B) in float64, for the three forms the model needs. */
export function gemmReference(
  kind: 'nn' | 'tn' | 'nt',
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = 0;
      for (let p = 0; p < K; p++) {
        // nn: A [M×K], B [K×N]; tn: A stored [K×M]; nt: B stored [N×K].
        const aip = kind === 'tn' ? a[p * M + i]! : a[i * K + p]!;
        const bpj = kind === 'nt' ? b[j * K + p]! : b[p * N + j]!;
        sum += aip * bpj;
      }
      c[i * N + j] = sum;
    }
  }
  return c;
}
