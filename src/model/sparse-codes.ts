/**
 * Sparse codes: each row's largest features (`top`), or those above a value (`threshold`), kept as
 * compressed rows (CSR: `offsets[i]..offsets[i+1]` index `indices` and `values` for row i).
 *
 * Order within a row: value descending, ties by feature index ascending — the same order whatever
 * the backend, so answers compare equal across runs. With both `top` and `threshold`, a row holds
 * the K largest of the features strictly above the threshold (so at most K). `top` alone holds
 * exactly K features, zeros included when fewer than K are active (add `threshold: 0` to drop them).
 *
 * Selection does not sort a row: an expected-O(h) partial selection (quickselect on the row's
 * indices with a seeded pivot) puts the K largest first, and only those K are sorted (K log K).
 */
import { DataError } from '../errors.js';
import type { Matrix } from '../data/matrix.js';

export interface SparseCodes {
  rows: number;
  /** h: the number of features a row's indices range over. */
  cols: number;
  /** rows + 1 entries; row i is entries offsets[i] .. offsets[i+1] − 1. */
  offsets: Uint32Array;
  indices: Uint32Array;
  values: Float32Array;
}

/** One row of a sparse answer, as JSON carries it. */
export interface FeatureList {
  indices: number[];
  values: number[];
}

export interface SparseSelection {
  /** Keep each row's K largest features (an integer from 1 to h). */
  top?: number | undefined;
  /** Keep the features whose value is strictly above this. */
  threshold?: number | undefined;
}

/** Checks a selection against h; throws DataError naming the field (`top`, `threshold`). */
export function checkSelection(selection: SparseSelection, hiddenSize: number): void {
  const { top, threshold } = selection;
  if (top === undefined && threshold === undefined) throw new DataError('give top (a whole number of features) or threshold (a number), or both', { source: 'top' });
  if (top !== undefined && (!Number.isInteger(top) || top < 1 || top > hiddenSize)) {
    throw new DataError(`top must be a whole number from 1 to the model's ${hiddenSize} hidden units; got ${String(top)}`, { source: 'top' });
  }
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isFinite(threshold))) {
    throw new DataError(`threshold must be a finite number; got ${String(threshold)}`, { source: 'threshold' });
  }
}

/** True when feature a ranks before feature b: larger value first, then smaller index. */
function before(values: Float32Array, base: number, a: number, b: number): boolean {
  const va = values[base + a]!;
  const vb = values[base + b]!;
  return va > vb || (va === vb && a < b);
}

/**
 * Reorders `order[lo..hi]` (feature indices of the row at `base`) so its first `k` are the k
 * highest-ranked, in no particular order. Quickselect (Hoare-style partition around a pseudo-random
 * pivot): expected O(hi − lo); ranks are a total order (value, then index), so there are no ties.
 */
function selectLargest(values: Float32Array, base: number, order: Uint32Array, lo: number, hi: number, k: number, seed: { s: number }): void {
  let left = lo;
  let right = hi;
  const target = lo + k - 1; // the last position that must hold one of the k largest
  while (right > left) {
    seed.s = (seed.s * 1103515245 + 12345) >>> 0;
    const p = left + (seed.s % (right - left + 1));
    const pivot = order[p]!;
    order[p] = order[right]!;
    order[right] = pivot;
    let store = left;
    for (let i = left; i < right; i++) {
      const candidate = order[i]!;
      if (before(values, base, candidate, pivot)) {
        order[i] = order[store]!;
        order[store] = candidate;
        store++;
      }
    }
    order[right] = order[store]!;
    order[store] = pivot;
    if (store === target) return;
    if (store < target) left = store + 1;
    else right = store - 1;
  }
}

/** Each row's selected features (see the file's comment for the order and the rules). */
export function selectSparse(codes: Matrix, selection: SparseSelection): SparseCodes {
  const { rows, cols: h, data } = codes;
  checkSelection(selection, h);
  const top = selection.top ?? h;
  const threshold = selection.threshold;
  const offsets = new Uint32Array(rows + 1);
  const chosen: number[] = [];
  const order = new Uint32Array(h);
  const seed = { s: 0x9e3779b9 };
  for (let i = 0; i < rows; i++) {
    const base = i * h;
    let count = 0;
    // Candidates: every feature, or those above the threshold (kept in index order).
    for (let j = 0; j < h; j++) if (threshold === undefined || data[base + j]! > threshold) order[count++] = j;
    const k = Math.min(top, count);
    if (k > 0 && k < count) selectLargest(data, base, order, 0, count - 1, k, seed);
    const picked = Array.from(order.subarray(0, k)).sort((a, b) => (before(data, base, a, b) ? -1 : 1));
    for (const j of picked) chosen.push(j);
    offsets[i + 1] = offsets[i]! + k;
  }
  const indices = Uint32Array.from(chosen);
  const values = new Float32Array(indices.length);
  for (let i = 0; i < rows; i++) {
    for (let e = offsets[i]!; e < offsets[i + 1]!; e++) values[e] = data[i * h + indices[e]!]!;
  }
  return { rows, cols: h, offsets, indices, values };
}

/** The JSON form: one `{ indices, values }` per row. */
export function toFeatureLists(sparse: SparseCodes): FeatureList[] {
  const lists: FeatureList[] = [];
  for (let i = 0; i < sparse.rows; i++) {
    const from = sparse.offsets[i]!;
    const to = sparse.offsets[i + 1]!;
    lists.push({ indices: Array.from(sparse.indices.subarray(from, to)), values: Array.from(sparse.values.subarray(from, to)) });
  }
  return lists;
}

/**
 * Sparse codes from the JSON form, checked against h: each row an object with `indices` (whole
 * numbers in [0, h), each at most once) and `values` (finite numbers, as many). Order is free.
 * Throws DataError naming the row and field (`features[2].indices[5]`).
 */
export function fromFeatureLists(lists: unknown, hiddenSize: number, source = 'features'): SparseCodes {
  if (!Array.isArray(lists) || lists.length === 0) throw new DataError(`${source} must be a non-empty array of { indices, values } rows`, { source });
  const offsets = new Uint32Array(lists.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const seen = new Map<number, number>();
  lists.forEach((row: unknown, i) => {
    const where = `${source}[${i}]`;
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new DataError(`${where} must be an object { indices, values }`, { source: where });
    const { indices: rowIndices, values: rowValues } = row as Record<string, unknown>;
    if (!Array.isArray(rowIndices) || !Array.isArray(rowValues)) throw new DataError(`${where} must have arrays "indices" and "values"`, { source: where });
    if (rowIndices.length !== rowValues.length) {
      throw new DataError(`${where} has ${rowIndices.length} indices but ${rowValues.length} values`, { source: where });
    }
    seen.clear();
    rowIndices.forEach((j: unknown, e) => {
      if (typeof j !== 'number' || !Number.isInteger(j) || j < 0 || j >= hiddenSize) {
        throw new DataError(`${where}.indices[${e}] must be a whole number from 0 to ${hiddenSize - 1} (the model has ${hiddenSize} hidden units); got ${String(j)}`, { source: `${where}.indices[${e}]` });
      }
      if (seen.has(j)) throw new DataError(`${where}.indices[${e}] repeats feature ${j} (first at indices[${seen.get(j)}])`, { source: `${where}.indices[${e}]` });
      seen.set(j, e);
      const v = rowValues[e];
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 3.4028234663852886e38) {
        throw new DataError(`${where}.values[${e}] must be a finite float32 number; got ${String(v)}`, { source: `${where}.values[${e}]` });
      }
      indices.push(j);
      values.push(v);
    });
    offsets[i + 1] = indices.length;
  });
  return { rows: lists.length, cols: hiddenSize, offsets, indices: Uint32Array.from(indices), values: Float32Array.from(values) };
}

/**
 * Decodes sparse rows with only the decoder rows they use: out_i = b2 + Σ_e values[e]·W2[indices[e]],
 * in the model's scale (the caller applies the output activation and the inverse scaling). Decoder
 * rows are fed one at a time (`add`), in any order, each once: so a caller can stream them from
 * storage and hold one at a time. Sums are float64, so the order rows arrive in does not change them.
 */
export class SparseDecoder {
  private readonly sums: Float64Array;
  /** For each active feature, the entries (positions in indices/values) that use it. */
  private readonly uses = new Map<number, number[]>();
  private readonly rowOf: Uint32Array;

  constructor(
    private readonly sparse: SparseCodes,
    private readonly inputSize: number,
    bias: Float32Array,
  ) {
    const n = inputSize;
    this.sums = new Float64Array(sparse.rows * n);
    for (let i = 0; i < sparse.rows; i++) for (let c = 0; c < n; c++) this.sums[i * n + c] = bias[c]!;
    this.rowOf = new Uint32Array(sparse.indices.length);
    for (let i = 0; i < sparse.rows; i++) {
      for (let e = sparse.offsets[i]!; e < sparse.offsets[i + 1]!; e++) {
        this.rowOf[e] = i;
        const j = sparse.indices[e]!;
        const list = this.uses.get(j);
        if (list) list.push(e);
        else this.uses.set(j, [e]);
      }
    }
  }

  /** The distinct features whose decoder rows are needed, ascending. */
  get features(): number[] {
    return [...this.uses.keys()].sort((a, b) => a - b);
  }

  /** Adds decoder row j (n numbers) to every row that uses feature j. */
  add(j: number, w: Float32Array): void {
    const n = this.inputSize;
    for (const e of this.uses.get(j) ?? []) {
      const v = this.sparse.values[e]!;
      const base = this.rowOf[e]! * n;
      for (let c = 0; c < n; c++) this.sums[base + c]! += v * w[c]!;
    }
  }

  /** The decoded rows (rows × n, the model's scale, before any output activation). */
  finish(): Float32Array {
    return Float32Array.from(this.sums);
  }
}
