/**
 * The rows and labels of a POST /v1/datasets body (docs/API.md, Datasets): a JSON body's
 * `{ "data": rows, "labels": [...] }`, and the checks every set of labels sent whole passes: one
 * a row, each a string within MAX_LABEL_BYTES (422 naming the row), all within
 * MAX_DATASET_LABEL_BYTES (413).
 */
import { parseJsonText } from '../../data/json.js';
import { toMatrix, type Matrix } from '../../data/matrix.js';
import { DataError } from '../../errors.js';
import { limitExceeded, type Limits } from '../limits.js';
import { checkLabels, utf8Bytes } from './label-codec.js';

/** A JSON body: an array of rows, or `{ "data": rows }` with `"labels"` optional. */
export function parseJsonDataset(text: string): { matrix: Matrix; labels?: unknown } {
  const value = parseJsonText(text, 'body');
  if (Array.isArray(value)) return { matrix: toMatrix(value, 'body') };
  if (typeof value === 'object' && value !== null && 'data' in value) {
    const matrix = toMatrix((value as { data: unknown }).data, 'body (field "data")');
    return 'labels' in value ? { matrix, labels: (value as { labels: unknown }).labels } : { matrix };
  }
  throw new DataError('expected an array of rows or an object {"data": [rows], "labels": [strings]}', { source: 'body' });
}

/** Checks labels sent whole for `rows` rows (`source` names them in errors) and returns them. */
export function checkDatasetLabels(labels: unknown, rows: number, limits: Limits, source: string): string[] {
  if (!Array.isArray(labels)) throw new DataError('the labels must be an array of strings, one a row', { source });
  if (labels.length !== rows) throw new DataError(`there are ${labels.length} labels for ${rows} rows: send one label a row`, { source });
  checkLabels(labels, 0, limits.maxLabelBytes, source);
  // As stored: the JSON strings of every shard (within a few bytes a shard).
  const bytes = utf8Bytes(JSON.stringify(labels));
  if (bytes > limits.maxDatasetLabelBytes) throw limitExceeded('maxDatasetLabelBytes', limits, `The labels take ${bytes} bytes as stored, which`);
  return labels;
}
