/**
 * The planted-dictionary data of the architectures' recovery tests (test/model/architectures.test.ts,
 * test/model/batchtopk.test.ts) and how well a model recovers its atoms.
 */
import type { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { mulberry32 } from './random.js';

/**
 * Rows that are sums of `s` atoms of a random unit dictionary [atoms×n] with weights in [1, 2),
 * plus noise of ±0.01 per value; returns the rows and the dictionary.
 */
export function plantedData(seed: number, rows: number, n: number, atoms: number, s: number) {
  const rng = mulberry32(seed);
  const dictionary: number[][] = [];
  for (let a = 0; a < atoms; a++) {
    const v = Array.from({ length: n }, () => rng() * 2 - 1);
    const norm = Math.hypot(...v);
    dictionary.push(v.map((x) => x / norm));
  }
  const data: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: n }, () => (rng() * 2 - 1) * 0.01);
    const chosen = new Set<number>();
    while (chosen.size < s) chosen.add(Math.floor(rng() * atoms));
    for (const a of chosen) {
      const w = 1 + rng();
      for (let c = 0; c < n; c++) row[c]! += w * dictionary[a]![c]!;
    }
    data.push(row);
  }
  return { data, dictionary };
}

/** Mean over true atoms of the best cosine similarity to a learned decoder row. */
export function recovery(model: SparseAutoencoder, dictionary: number[][]): number {
  const { W2 } = model.getParameters();
  const n = model.inputSize;
  const rows = Array.from({ length: model.hiddenSize }, (_, j) => Array.from(W2.subarray(j * n, (j + 1) * n)));
  let total = 0;
  for (const atom of dictionary) {
    let best = -1;
    for (const row of rows) {
      const norm = Math.hypot(...row);
      if (norm === 0) continue;
      best = Math.max(best, row.reduce((t, v, c) => t + v * atom[c]!, 0) / norm);
    }
    total += best;
  }
  return total / dictionary.length;
}
