/**
 * CSV text with a column of labels named in its header (the API's `?labelColumn=`, as the CLI's
 * `--label-column` reads a file: src/data/file-sources.ts): the label cells are set aside as text,
 * the other cells are the numbers, by parseCsv's rules. Free of Node imports (the Worker uses it).
 */
import { DataError } from '../errors.js';
import { blankLineError, isBlank, isCsvHeader, parseCsvCells, splitCsvLine, type CsvData } from './csv.js';

export interface LabelledCsvData extends CsvData {
  /** Row i's label: its cell of the label column, as written (a quoted cell without its quotes). */
  readonly labels: string[];
}

/**
 * Parses CSV text whose header row names `labelColumn`. A DataError names `source`, line and
 * column: no header row, no such column, the label column alone, a row without as many cells as
 * the header, or a bad number.
 */
export function parseCsvWithLabelColumn(text: string, source: string, labelColumn: string): LabelledCsvData {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let start = 0;
  while (start < lines.length && isBlank(lines[start]!)) start++;
  let end = lines.length;
  while (end > start && isBlank(lines[end - 1]!)) end--;
  if (start === end) throw new DataError('no data: the file is empty', { source });
  const headerCells = splitCsvLine(lines[start]!, source, start + 1);
  if (!isCsvHeader(headerCells)) {
    throw new DataError(`the CSV has no header row, so no column named ${JSON.stringify(labelColumn)} for the labels`, { source, row: start + 1 });
  }
  const names = headerCells.map((cell) => cell.text.trim());
  const labelIndex = names.indexOf(labelColumn);
  if (labelIndex < 0) {
    const shown = names.slice(0, 20).map((name) => JSON.stringify(name)).join(', ');
    throw new DataError(`there is no column named ${JSON.stringify(labelColumn)} for the labels (the header names ${shown}${names.length > 20 ? ', …' : ''})`, { source, row: start + 1 });
  }
  if (names.length < 2) throw new DataError(`the label column ${JSON.stringify(labelColumn)} is the only column: there are no numbers left`, { source, row: start + 1 });
  if (start + 1 === end) throw new DataError('no data: the file has a header row but no data rows', { source, row: start + 1 });

  const cols = names.length - 1;
  const rows = end - start - 1;
  const data = new Float32Array(rows * cols);
  const labels: string[] = [];
  for (let index = start + 1; index < end; index++) {
    const lineNumber = index + 1;
    const line = lines[index]!;
    if (isBlank(line)) throw blankLineError(source, lineNumber);
    const cells = splitCsvLine(line, source, lineNumber);
    if (cells.length !== cols + 1) throw new DataError(`expected ${cols + 1} cells (with the label), got ${cells.length}`, { source, row: lineNumber });
    labels.push(cells[labelIndex]!.text);
    parseCsvCells(cells.filter((_, c) => c !== labelIndex), cols, data, (index - start - 1) * cols, source, lineNumber);
  }
  return { rows, cols, data, header: names.filter((_, c) => c !== labelIndex), firstLine: start + 2, labels };
}
