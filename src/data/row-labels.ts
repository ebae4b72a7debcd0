/**
 * Row labels, runtime-neutral (the Worker's features jobs use them too): one label or text per
 * data row, read lazily — a result asks only for the labels of the rows it shows.
 */
export interface RowLabels {
  /** Rows labelled (must equal the data's rows). */
  readonly rows: number;
  /** The labels of `rows` (0-based row indices). */
  labelsOf(rows: readonly number[]): Promise<Map<number, string>>;
}

/** Labels held in memory (the library, the API's labels sent with a features job). */
export function labelsFromArray(labels: readonly string[]): RowLabels {
  return { rows: labels.length, labelsOf: async (rows) => new Map(rows.map((r) => [r, labels[r] ?? ''])) };
}
