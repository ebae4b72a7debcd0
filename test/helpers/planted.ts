/**
 * The planted-dictionary data of the architectures' recovery tests (test/model/architectures.test.ts,
 * test/model/batchtopk.test.ts) and how well a model recovers its atoms.
 */
import type { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { plantedDictionary } from './planted-dictionary.js';

/**
 * Rows that are sums of `s` atoms of a random unit dictionary [atoms×n] with weights in [1, 2),
 * plus noise of ±0.01 per value; returns the rows and the dictionary (plantedDictionary's, without
 * its labels: the same draws).
 */
export function plantedData(seed: number, rows: number, n: number, atoms: number, s: number) {
  const { data, dictionary } = plantedDictionary(seed, rows, n, atoms, s);
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
