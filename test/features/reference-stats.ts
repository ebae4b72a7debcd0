/**
 * The feature statistics the slow, obvious way (the pin of src/features/feature-stats.ts): every
 * row's codes in memory, each feature's values in a list, sorted to take its top rows and its
 * interval samples, and the whole h × h cosine matrix for the neighbours.
 */
import { binOf, resolveFeatureStatsOptions, type FeatureStatsOptions, type FeatureStatsResult, type FeatureSummary } from '../../src/features/feature-stats.js';
import { sampleKey } from '../../src/features/ranked.js';

/** `codes` [rows×h] as the model's encode gives them, `W2` [h×n]. */
export function referenceStats(codes: Float32Array, rows: number, h: number, W2: Float32Array, n: number, threshold: number, partial: Partial<FeatureStatsOptions> = {}): FeatureStatsResult {
  const options = resolveFeatureStatsOptions(partial);
  const features: FeatureSummary[] = [];
  for (let j = 0; j < h; j++) {
    const values = Array.from({ length: rows }, (_, i) => codes[i * h + j]!);
    let sum = 0;
    for (const v of values) sum += v;
    const max = Math.max(...values);
    const active = values.map((value, row) => ({ row, value })).filter(({ value }) => value > threshold);
    const top = [...active].sort((a, b) => b.value - a.value || a.row - b.row).slice(0, options.top);
    const counts = new Array<number>(options.bins).fill(0);
    for (const { value } of active) counts[binOf(value, threshold, max, options.bins)]! += 1;
    const quantileSamples: FeatureSummary['quantileSamples'] = [];
    if (active.length > 0) {
      for (let q = options.intervals - 1; q >= 0; q--) {
        const inside = active.filter(({ value }) => binOf(value, threshold, max, options.intervals) === q);
        const drawn = [...inside]
          .sort((a, b) => sampleKey(options.seed, j, a.row) - sampleKey(options.seed, j, b.row) || a.row - b.row)
          .slice(0, options.perInterval)
          .sort((a, b) => a.row - b.row);
        const lower = threshold + ((max - threshold) * q) / options.intervals;
        const upper = q === options.intervals - 1 ? max : threshold + ((max - threshold) * (q + 1)) / options.intervals;
        quantileSamples.push({ lower, upper, count: inside.length, rows: drawn });
      }
    }
    const cosines = Array.from({ length: h }, (_, b) => ({ index: b, cosine: cosine(W2, n, j, b) })).filter(({ index }) => index !== j);
    const neighbours = options.neighbours === 0 ? [] : cosines.sort((a, b) => b.cosine - a.cosine || a.index - b.index).slice(0, options.neighbours);
    features.push({
      index: j,
      frequency: active.length / rows,
      meanActivation: sum / rows,
      maxActivation: max,
      histogram: { min: threshold, max: active.length > 0 ? max : threshold, counts: active.length > 0 ? counts : [] },
      top,
      quantileSamples,
      neighbours,
    });
  }
  return { rows, hiddenSize: h, activeThreshold: threshold, options, features };
}

function cosine(W2: Float32Array, n: number, a: number, b: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let c = 0; c < n; c++) {
    dot += W2[a * n + c]! * W2[b * n + c]!;
    na += W2[a * n + c]! ** 2;
    nb += W2[b * n + c]! ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / (Math.sqrt(na) * Math.sqrt(nb));
}
