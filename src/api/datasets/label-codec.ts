/**
 * The labels of one shard of a dataset (docs/JOBS.md, Labels): one label or text a row, kept
 * beside the shard's numbers (dataset-shards/{id}/{i}.labels.json) as a JSON array of strings,
 * so a label may hold any text (commas, quotes, a newline sent in JSON). Shared by POST
 * /v1/datasets (a CSV label column, JSON `labels`), the labels parts of an upload and the reads of
 * a features job, so labels are judged the same way wherever they come from.
 *
 * Bounds: each label at most MAX_LABEL_BYTES bytes of UTF-8 (422 naming its row), all of a
 * dataset's stored labels at most MAX_DATASET_LABEL_BYTES (413), so a label file can neither
 * flood a result nor the bucket.
 */
import { DataError } from '../../errors.js';
import { sha256Hex } from './shard-codec.js';

/** What a manifest records of one shard's labels. */
export interface LabelShardEntry {
  bytes: number;
  /** SHA-256 of the stored bytes, lower-case hex. */
  sha256: string;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * A DataError unless every entry of `labels` is a string of at most `maxBytes` UTF-8 bytes. Rows in
 * errors are 1-based dataset rows: labels[k] labels row firstRow + k (0-based).
 */
export function checkLabels(labels: readonly unknown[], firstRow: number, maxBytes: number, source: string): asserts labels is string[] {
  for (let k = 0; k < labels.length; k++) {
    const label = labels[k];
    const row = firstRow + k + 1;
    if (typeof label !== 'string') throw new DataError(`a label must be a string, got ${label === null ? 'null' : typeof label}`, { source, row });
    // A string of n UTF-16 units is at most 3n UTF-8 bytes: most labels need no encoding to pass.
    if (label.length * 3 > maxBytes) {
      const bytes = utf8Bytes(label);
      if (bytes > maxBytes) throw new DataError(`the label has ${bytes} bytes of UTF-8; a label may have at most ${maxBytes} (MAX_LABEL_BYTES)`, { source, row });
    }
  }
}

/** The stored form of a shard's labels. */
export function encodeLabelShard(labels: readonly string[]): Uint8Array {
  return encoder.encode(JSON.stringify(labels));
}

/** What the manifest records of a shard's stored labels. */
export async function labelShardEntry(bytes: Uint8Array): Promise<LabelShardEntry> {
  return { bytes: bytes.length, sha256: await sha256Hex(bytes) };
}

/**
 * The labels of a labels part: UTF-8 text, one line a row (\n or \r\n; a last line without its
 * newline counts, a final newline ends the last line). A DataError naming `source` unless it has
 * exactly `rows` lines. (A label sent this way cannot hold a newline; JSON `labels` can.)
 */
export function parseLabelLines(bytes: Uint8Array, rows: number, source: string): string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new DataError('is not valid UTF-8 text: send one label a line, as UTF-8', { source });
  }
  text = text.replace(/^\uFEFF/, '');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length !== rows) {
    throw new DataError(`has ${lines.length} line${lines.length === 1 ? '' : 's'}; it must have ${rows}, one label a row of its shard`, { source });
  }
  return lines;
}

/** A stored shard's labels (its bytes checked against the manifest by the caller): `rows` strings. */
export function decodeLabelShard(bytes: Uint8Array, rows: number, source: string): string[] {
  let labels: unknown;
  try {
    labels = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new DataError('its labels are not valid JSON: the stored labels are corrupt', { source });
  }
  if (!Array.isArray(labels) || labels.length !== rows || !labels.every((label) => typeof label === 'string')) {
    throw new DataError(`its labels are not ${rows} strings: the stored labels are corrupt`, { source });
  }
  return labels as string[];
}
