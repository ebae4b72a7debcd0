/**
 * Reading a data file from disk (Node only; the parsers it calls are runtime-neutral).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../errors.js';
import { parseCsv } from './csv.js';
import { parseJsonData } from './json.js';
import type { Matrix } from './matrix.js';
import { isNpy, parseNpy } from './npy.js';

/** A data set read from a file, and how its rows are numbered in that file. */
export interface DataFile {
  readonly matrix: Matrix;
  /** The path as given (used in messages). */
  readonly source: string;
  readonly format: 'csv' | 'json' | 'npy';
  /** Column names from a CSV header row, or null. */
  readonly header: readonly string[] | null;
  /** Row number (as errors count them) of data row 0: the CSV line number, or 1 for JSON and .npy. */
  readonly firstRow: number;
}

/**
 * Reads and parses a data file: a file starting with the .npy magic string (or named `.npy`) as
 * NumPy's format, `.csv` as CSV, `.json` as JSON, anything else by its first character (`[` or
 * `{` means JSON). `-` reads standard input. Throws DataError naming the file (and the row and
 * column of bad data); an unreadable file is a DataError too.
 */
export function readDataFile(file: string): DataFile {
  const source = file === '-' ? 'stdin' : file;
  const bytes = readBytes(file, source);
  if (isNpy(bytes) || path.extname(file).toLowerCase() === '.npy') {
    return { matrix: parseNpy(bytes, source), source, format: 'npy', header: null, firstRow: 1 };
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const format = detectFormat(file, text);
  if (format === 'json') {
    return { matrix: parseJsonData(text, source), source, format, header: null, firstRow: 1 };
  }
  const csv = parseCsv(text, source);
  return {
    matrix: { rows: csv.rows, cols: csv.cols, data: csv.data },
    source,
    format,
    header: csv.header,
    firstRow: csv.firstLine,
  };
}

/** Reads a UTF-8 text file, turning a missing or unreadable file into an InputError. */
export function readText(file: string, source = file): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new DataError(`cannot read the file: ${describeFsError(error)}`, { source });
  }
}

function detectFormat(file: string, text: string): 'csv' | 'json' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  const first = /\S/.exec(text.replace(/^\uFEFF/, ''))?.[0];
  return first === '[' || first === '{' ? 'json' : 'csv';
}

/** Reads a file's bytes (a model file of either form), turning a missing or unreadable file into an InputError. */
export function readBytes(file: string, source = file): Uint8Array {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (error) {
    throw new DataError(`cannot read the file: ${describeFsError(error)}`, { source });
  }
}

/** A short reason for a file-system error ("no such file", "is a directory", ...). */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
