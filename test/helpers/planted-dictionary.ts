/**
 * A planted dictionary with labelled rows (the feature statistics' tests and CLI check): rows that
 * are sums of `s` atoms of a random unit dictionary [atoms×n] with weights in [1, 2), plus noise
 * of ±0.01 per value, as test/model/architectures.test.ts plants them; each row's label names its
 * atoms ("a3 a7 a12", in increasing order).
 */
import { mulberry32 } from './random.js';

export interface PlantedData {
  data: number[][];
  dictionary: number[][];
  /** Per row, the atoms it holds (increasing). */
  atomsOf: number[][];
  labels: string[];
}

export function plantedDictionary(seed: number, rows: number, n: number, atoms: number, s: number): PlantedData {
  const rng = mulberry32(seed);
  const dictionary: number[][] = [];
  for (let a = 0; a < atoms; a++) {
    const v = Array.from({ length: n }, () => rng() * 2 - 1);
    const norm = Math.hypot(...v);
    dictionary.push(v.map((x) => x / norm));
  }
  const data: number[][] = [];
  const atomsOf: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const row = Array.from({ length: n }, () => (rng() * 2 - 1) * 0.01);
    const chosen = new Set<number>();
    while (chosen.size < s) chosen.add(Math.floor(rng() * atoms));
    for (const a of chosen) {
      const w = 1 + rng();
      for (let c = 0; c < n; c++) row[c]! += w * dictionary[a]![c]!;
    }
    data.push(row);
    atomsOf.push([...chosen].sort((a, b) => a - b));
  }
  return { data, dictionary, atomsOf, labels: atomsOf.map((held) => held.map((a) => `a${a}`).join(' ')) };
}

/** The index of the decoder row (W2 [h×n]) with the highest cosine to `atom`. */
export function nearestDecoderRow(W2: Float32Array, h: number, n: number, atom: readonly number[]): number {
  let best = -1;
  let bestCos = -Infinity;
  for (let j = 0; j < h; j++) {
    let dot = 0;
    let norm = 0;
    for (let c = 0; c < n; c++) {
      dot += W2[j * n + c]! * atom[c]!;
      norm += W2[j * n + c]! ** 2;
    }
    const cos = norm === 0 ? -Infinity : dot / Math.sqrt(norm);
    if (cos > bestCos) [best, bestCos] = [j, cos];
  }
  return best;
}
