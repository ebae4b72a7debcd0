/**
 * A model's loss history, bounded (docs/MODEL-FORMAT.md "Histories"). Every retrain appends its
 * epochs, so without a bound a model's file grows without end and every read of it parses more
 * (issue 24, item 9). Up to MAX_HISTORY_POINTS epochs the history holds every epoch, as always;
 * past it, it is summarised: per stretch of epochs (MAX_HISTORY_POINTS / 6 equal stretches) the
 * first and last epoch and those of the lowest and highest training and validation loss are kept,
 * plus the epoch early stopping kept, and `historyEpochs` says which epoch each entry is. What the
 * loss curve draws (per pixel: first, lowest, highest, last) is the same from the summary, and the
 * lowest and highest loss of the whole history are always kept. Deterministic: the same history
 * gives the same summary, on every runtime.
 */

/** The most entries a model's history holds; past it, it is summarised. */
export const MAX_HISTORY_POINTS = 10_000;

/** Entries kept per stretch: first, last, lowest and highest loss, lowest and highest validation loss. */
const PER_STRETCH = 6;

export interface History {
  /** One training loss per entry. */
  lossHistory: number[];
  /** Aligned with lossHistory (null: that epoch was not validated); null when never validated. */
  validationHistory: (number | null)[] | null;
  /** The 1-based epoch of each entry, strictly increasing; null: entry k is epoch k + 1 (every epoch kept). */
  historyEpochs: number[] | null;
  /** The epoch whose weights early stopping kept (always one of the kept entries), or null. */
  bestEpoch: number | null;
}

/** The last epoch a history records (its epoch count). */
export function lastEpochOf(history: Pick<History, 'lossHistory' | 'historyEpochs'>): number {
  return history.historyEpochs?.at(-1) ?? history.lossHistory.length;
}

/** The history as it is kept: unchanged up to `max` entries, else summarised to at most `max`. */
export function summariseHistory(history: History, max = MAX_HISTORY_POINTS): History {
  const { lossHistory: loss, validationHistory: validation, bestEpoch } = history;
  const n = loss.length;
  if (n <= max) return history;
  const epochOf = (k: number) => history.historyEpochs?.[k] ?? k + 1;
  const first = epochOf(0);
  const span = epochOf(n - 1) - first + 1;
  const stretches = Math.max(1, Math.floor((max - 1) / PER_STRETCH));
  const keep = new Uint8Array(n);
  let k = 0;
  for (let s = 0; s < stretches && k < n; s++) {
    const end = s === stretches - 1 ? Number.POSITIVE_INFINITY : first + (span * (s + 1)) / stretches;
    const start = k;
    let lo = k;
    let hi = k;
    let validationLo = -1;
    let validationHi = -1;
    for (; k < n && epochOf(k) < end; k++) {
      if (loss[k]! < loss[lo]!) lo = k;
      if (loss[k]! > loss[hi]!) hi = k;
      const v = validation?.[k] ?? null;
      if (v === null) continue;
      if (validationLo < 0 || v < validation![validationLo]!) validationLo = k;
      if (validationHi < 0 || v > validation![validationHi]!) validationHi = k;
    }
    if (k === start) continue;
    for (const at of [start, k - 1, lo, hi, validationLo, validationHi]) if (at >= 0) keep[at] = 1;
  }
  if (bestEpoch !== null) {
    for (let j = 0; j < n; j++) if (epochOf(j) === bestEpoch) keep[j] = 1;
  }
  const kept: number[] = [];
  for (let j = 0; j < n; j++) if (keep[j]) kept.push(j);
  return {
    lossHistory: kept.map((j) => loss[j]!),
    validationHistory: validation ? kept.map((j) => validation[j] ?? null) : null,
    historyEpochs: kept.map(epochOf),
    bestEpoch,
  };
}

interface Reader {
  fail(field: string, problem: string): never;
  integer(value: unknown, field: string, min: number): number;
}

/**
 * A file's historyEpochs: absent (every epoch kept), or one whole epoch ≥ 1 per entry of
 * lossHistory, strictly increasing.
 */
export function readHistoryEpochs(read: Reader, value: unknown, entries: number): number[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length !== entries) {
    read.fail('historyEpochs', `must be an array of ${entries} epochs (one per entry of lossHistory), strictly increasing whole numbers ≥ 1`);
  }
  const epochs: number[] = [];
  for (let k = 0; k < entries; k++) {
    const epoch = read.integer(value[k], `historyEpochs[${k}]`, 1);
    if (k > 0 && epoch <= epochs[k - 1]!) read.fail(`historyEpochs[${k}]`, `must be greater than the epoch before it (${epochs[k - 1]}), got ${epoch}`);
    epochs.push(epoch);
  }
  return epochs;
}
