/**
 * CSV data: comma separated numbers, one row a line, with an optional header row. Free of Node
 * imports, so the Worker parses `text/csv` bodies with it too.
 *
 * Rows in errors are the 1-based line numbers of the file, columns the 1-based cell index, so a
 * message points at the exact cell a person has to fix.
 */
import { formatFloat32 } from './float32.js';
import { DataError } from '../errors.js';
import { FLOAT32_MAX, raggedRowError, type Matrix } from './matrix.js';

/** A parsed CSV file: the matrix, its header (if it had one) and where its rows sit in the file. */
export interface CsvData extends Matrix {
  readonly header: readonly string[] | null;
  /** 1-based line number of data row 0; data row i is on line `firstLine + i`. */
  readonly firstLine: number;
}

export interface Cell {
  readonly text: string;
  readonly quoted: boolean;
}

// A plain decimal number; Number() alone would also accept "", "0x1f", "0b1" and " ".
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * Parses CSV text into a matrix. The first non-blank line is a header when none of its cells is
 * a number (so a typo in the first data row is reported, not silently taken for a header). Blank
 * lines at the start and end are ignored; CRLF line ends, a UTF-8 byte-order mark, spaces around
 * values and double-quoted cells are accepted. Throws DataError naming `source`, line and column.
 * `header` true takes the first line for a header whatever it holds (a header of numbers, e.g.
 * years), false for data; 'auto' (the default) decides by the rule above.
 *
 * @example
 * parseCsv('a,b\n0.1,0.2\n0.3,0.4\n', 'data.csv'); // rows 2, cols 2, header ['a', 'b'], firstLine 2
 */
export function parseCsv(text: string, source = 'csv', header: boolean | 'auto' = 'auto'): CsvData {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let start = 0;
  while (start < lines.length && isBlank(lines[start]!)) start++;
  let end = lines.length;
  while (end > start && isBlank(lines[end - 1]!)) end--;
  if (start === end) throw new DataError('no data: the file is empty', { source });

  const firstCells = splitCsvLine(lines[start]!, source, start + 1);
  const names = (header === 'auto' ? isCsvHeader(firstCells) : header) ? firstCells.map((c) => c.text) : null;
  const firstDataIndex = names === null ? start : start + 1;
  if (firstDataIndex === end) {
    throw new DataError('no data: the file has a header row but no data rows', { source, row: start + 1 });
  }

  const cols = names?.length ?? firstCells.length;
  const rows = end - firstDataIndex;
  const data = new Float32Array(rows * cols);
  for (let index = firstDataIndex; index < end; index++) {
    const lineNumber = index + 1;
    const line = lines[index]!;
    if (isBlank(line)) throw blankLineError(source, lineNumber);
    const cells = index === start ? firstCells : splitCsvLine(line, source, lineNumber);
    parseCsvCells(cells, cols, data, (index - firstDataIndex) * cols, source, lineNumber);
  }
  return { rows, cols, data, header: names, firstLine: firstDataIndex + 1 };
}

/**
 * Formats a matrix as CSV, one row a line, with the shortest decimal that reads back as the same
 * float32 value. `header`, when given, becomes the first line.
 */
export function formatCsv(matrix: Matrix, header?: readonly string[]): string {
  const { rows, cols, data } = matrix;
  const lines: string[] = [];
  if (header) lines.push(header.map(quoteIfNeeded).join(','));
  const cells: string[] = new Array<string>(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) cells[j] = formatFloat32(data[i * cols + j]!);
    lines.push(cells.join(','));
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The error for a blank line with data rows after it (blank lines at the start and end are ignored). */
export function blankLineError(source: string, lineNumber: number): DataError {
  return new DataError('blank line between data rows: remove it or fill in the row', { source, row: lineNumber });
}

/**
 * Parses one data row's cells into `out` from `offset`: exactly `cols` numbers, or a DataError
 * naming the line and cell. (parseCsv's rule for each row; the CLI's streamed CSV reader, which
 * reads a file line by line, uses it too.)
 */
export function parseCsvCells(cells: readonly Cell[], cols: number, out: Float32Array, offset: number, source: string, lineNumber: number): void {
  if (cells.length !== cols) throw raggedRowError(cells.length, cols, { source, row: lineNumber });
  for (let j = 0; j < cols; j++) out[offset + j] = parseNumberCell(cells[j]!.text, { source, row: lineNumber, column: j + 1 });
}

function parseNumberCell(raw: string, where: { source: string; row: number; column: number }): number {
  const text = raw.trim();
  if (NUMBER.test(text)) {
    const value = Number(text);
    if (Number.isFinite(value) && Math.abs(value) <= FLOAT32_MAX) return value;
    throw new DataError(`value ${text} is beyond the float32 range (±${FLOAT32_MAX})`, where);
  }
  if (text === '') throw new DataError('empty cell, expected a number', where);
  if (NON_FINITE.test(text)) throw new DataError(`value ${text} is not a finite number`, where);
  const hint = /[;\t|]/.test(text) ? ' (edge-sae reads comma-separated values)' : '';
  throw new DataError(`expected a number, got ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}${hint}`, where);
}

/** True when the first non-blank line is a header: none of its cells is a number, and one is named. */
export function isCsvHeader(cells: readonly Cell[]): boolean {
  let named = false;
  for (const { text } of cells) {
    const t = text.trim();
    if (NUMBER.test(t) || NON_FINITE.test(t)) return false;
    if (t !== '') named = true;
  }
  return named;
}

/** Splits one line into cells; a cell may be "double quoted", with "" for a quote inside it. */
export function splitCsvLine(line: string, source: string, row: number): Cell[] {
  if (!line.includes('"')) return line.split(',').map((text) => ({ text, quoted: false }));
  const cells: Cell[] = [];
  let pos = 0;
  for (;;) {
    const column = cells.length + 1;
    let cursor = pos;
    while (line[cursor] === ' ' || line[cursor] === '\t') cursor++;
    if (line[cursor] === '"') {
      let text = '';
      cursor++;
      for (;;) {
        const close = line.indexOf('"', cursor);
        if (close === -1) throw new DataError('unterminated quoted cell (a quoted cell must end on its own line)', { source, row, column });
        text += line.slice(cursor, close);
        if (line[close + 1] === '"') {
          text += '"';
          cursor = close + 2;
        } else {
          cursor = close + 1;
          break;
        }
      }
      while (line[cursor] === ' ' || line[cursor] === '\t') cursor++;
      if (cursor < line.length && line[cursor] !== ',') {
        throw new DataError('unexpected text after a quoted cell', { source, row, column });
      }
      cells.push({ text, quoted: true });
      if (cursor >= line.length) return cells;
      pos = cursor + 1;
    } else {
      const comma = line.indexOf(',', pos);
      const text = comma === -1 ? line.slice(pos) : line.slice(pos, comma);
      if (text.includes('"')) throw new DataError('stray double quote inside an unquoted cell', { source, row, column });
      cells.push({ text, quoted: false });
      if (comma === -1) return cells;
      pos = comma + 1;
    }
  }
}

function quoteIfNeeded(text: string): string {
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function isBlank(line: string): boolean {
  return line.trim() === '';
}

export { formatFloat32 };
