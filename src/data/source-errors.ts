/**
 * Pointing the library's data errors at the data file's own rows (the model only knows matrix
 * rows; a CSV header shifts them by a line): for the CLI's commands and the sweep's trials alike.
 */
import { DataError } from '../errors.js';
import type { DataFile } from './read-file.js';

/**
 * Runs `work` (a model call on `data.matrix`); a DataError the model raises about the matrix
 * (labelled "data" or not at all) is re-raised naming the data file and its row numbering.
 */
export function withDataSource<T>(data: Pick<DataFile, 'source' | 'firstRow'>, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw relabel(error, data);
  }
}

/** withDataSource for asynchronous work (streamed training). */
/**
 * Runs `work`, naming `data`'s file in the DataErrors the library raises about the rows it calls
 * `label` ("data", the default, and errors that name no source; "validation" for fit's
 * validation set), with the row numbers as the file counts them.
 */
export async function withDataSourceAsync<T>(data: Pick<DataFile, 'source' | 'firstRow'>, work: () => Promise<T>, label = 'data'): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw relabel(error, data, label);
  }
}

function relabel(error: unknown, data: Pick<DataFile, 'source' | 'firstRow'>, label = 'data'): unknown {
  const named = error instanceof DataError && (error.location.source === label || (label === 'data' && error.location.source === undefined));
  if (named) {
    const { row, column } = error.location;
    return new DataError(error.reason, {
      source: data.source,
      row: row === undefined ? undefined : data.firstRow + row - 1,
      column,
    });
  }
  return error;
}
