/**
 * The pasted or uploaded CSV, read by the project's own CSV rules (src/data/csv.ts, the parser
 * the CLI and the API use), so the page refuses what they refuse, naming the same line and column.
 */
import { parseCsv, type CsvData } from '../data/csv.js';
import { parseCsvWithLabelColumn, type LabelledCsvData } from '../data/csv-label-column.js';
import { formatFloat32, shortestFloat32 } from '../data/float32.js';

/** Parses CSV text; errors name `source`, line and column ("the CSV, row 5, column 2: …"). */
export function parsePasted(text: string, source = 'the CSV'): CsvData {
  return parseCsv(text, source);
}

/**
 * The page's data: with a label column named (the header's name of a column of labels, as the
 * API's `labelColumn`), its cells are set aside as each row's label and the rest are the numbers.
 */
export function parsePastedData(text: string, labelColumn: string): CsvData | LabelledCsvData {
  return labelColumn === '' ? parsePasted(text) : parseCsvWithLabelColumn(text, 'the CSV', labelColumn);
}

/** Each row's label, when the data has a label column. */
export function labelsOf(data: CsvData): string[] | undefined {
  return 'labels' in data ? (data as LabelledCsvData).labels : undefined;
}

/** What the data line under the text area says about it. */
export function describeData(data: CsvData, labelColumn = ''): string {
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const labels = labelsOf(data) ? `, labels from column ${JSON.stringify(labelColumn)}` : '';
  return `${plural(data.rows, 'row')} × ${plural(data.cols, 'column')}${data.header ? ', with a header row' : ''}${labels}`;
}

/**
 * The rows as a JSON body's `data`, each value the shortest decimal of its float32 (what the API
 * stores anyway), so 0.1 travels as 0.1, not 0.10000000149011612.
 */
export function rowsOf(data: CsvData): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < data.rows; i++) rows.push(Array.from(data.data.subarray(i * data.cols, (i + 1) * data.cols), shortestFloat32));
  return rows;
}

/** Row `i` as comma-separated text (the encode field's). */
export function rowText(data: CsvData, i: number): string {
  return Array.from(data.data.subarray(i * data.cols, (i + 1) * data.cols), formatFloat32).join(',');
}

/** The example data: 200 4×4 images, each a few random horizontal and vertical bars, so the filters learn bars. */
export function exampleCsv(): string {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const rows: string[] = [];
  for (let r = 0; r < 200; r++) {
    const pixels = new Array<number>(16).fill(0);
    for (let b = 0; b < 4; b++) {
      if (random() < 0.3) for (let x = 0; x < 4; x++) pixels[b * 4 + x] = 1;
      if (random() < 0.3) for (let y = 0; y < 4; y++) pixels[y * 4 + b] = 1;
    }
    rows.push(pixels.join(','));
  }
  return `${rows.join('\n')}\n`;
}
