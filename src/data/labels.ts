/**
 * Row labels: one label or text per data row (a digit's class, a sentence, the atoms a planted row
 * holds), kept beside the numbers so feature statistics can show what each top row is. Read
 * lazily: a result asks only for the labels of the rows it shows, so the labels of a file larger
 * than memory are never all held at once.
 *
 * Sources: a file of lines (`--labels FILE`, line i labels row i), a CSV column the user names
 * (`--label-column NAME`, src/data/file-sources.ts sets it aside from the numbers), or an array.
 */
import { open } from 'node:fs/promises';
import { DataError } from '../errors.js';
import { forEachLine } from './file-sources.js';
import { describeFsError } from './read-file.js';

import type { RowLabels } from './row-labels.js';

export { labelsFromArray, type RowLabels } from './row-labels.js';

/**
 * A file of labels, one line per row (\n or \r\n; a last line without its newline counts; a
 * trailing empty line does not). Counted on opening; each labelsOf reads the file again and keeps
 * only the lines asked for. Throws a DataError naming the file when it cannot be read.
 */
export async function openLabelFile(file: string): Promise<RowLabels> {
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw new DataError(`cannot read the labels file: ${describeFsError(error)}`, { source: file });
  });
  try {
    let rows = 0;
    await forEachLine(handle, () => void rows++);
    return {
      rows,
      async labelsOf(wanted) {
        const want = new Set(wanted);
        const found = new Map<number, string>();
        const again = await open(file, 'r');
        try {
          await forEachLine(again, (text, lineNumber) => {
            if (want.has(lineNumber - 1)) found.set(lineNumber - 1, text);
          });
        } finally {
          await again.close();
        }
        return found;
      },
    };
  } finally {
    await handle.close();
  }
}

/** A DataError unless `labels` label exactly `rows` rows. */
export function checkLabelRows(labels: RowLabels, rows: number, source: string): void {
  if (labels.rows !== rows) throw new DataError(`the labels have ${labels.rows} rows but the data has ${rows}`, { source });
}
