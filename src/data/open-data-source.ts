/**
 * Opens a data file for streamed training (Node only): `.npy`, raw float32 (`.f32`) and CSV files
 * are read shard by shard from disk (src/data/file-sources.ts), so their size is not limited by
 * memory; JSON and standard input cannot be read in parts and are read whole, as readDataFile
 * does, then cut into shards in memory. The format is picked as readDataFile picks it, plus
 * `.f32` by its extension (raw bytes have no signature to recognise them by).
 */
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DataError } from '../errors.js';
import { ColumnScan } from './column-scan.js';
import { scanBinaryFile, scanCsvFile, type ScannedSource } from './file-sources.js';
import { matrixShardSource } from './matrix-shard-source.js';
import { isNpy, parseNpyPrelude } from './npy.js';
import { describeFsError, readDataFile } from './read-file.js';

export interface OpenedDataSource extends ScannedSource {
  /** The path as given (used in messages). */
  readonly source: string;
  readonly format: 'csv' | 'json' | 'npy' | 'f32';
  /** Whether the rows are read from disk shard by shard (false: JSON and stdin, read whole). */
  readonly streamed: boolean;
  /** Closes the file. */
  close(): Promise<void>;
}

/** Bytes read to recognise a file and parse a .npy header (numpy's headers are far smaller). */
const PREFIX_BYTES = 1 << 16;

/** True when `file` names a raw float32 file (`.f32`), which needs its column count given. */
export function isRawFloat32(file: string): boolean {
  return path.extname(file).toLowerCase() === '.f32';
}

/**
 * Opens `file` ("-" is stdin) and makes the first pass over it. `cols` is the width of a raw
 * float32 file (required for `.f32`, ignored otherwise). Throws DataError naming the file (and
 * the row and column of a bad value).
 */
export async function openDataSource(file: string, cols?: number, options: { labelColumn?: string } = {}): Promise<OpenedDataSource> {
  const source = file === '-' ? 'stdin' : file;
  const { labelColumn } = options;
  const noLabelColumn = () => new DataError(`a label column (${JSON.stringify(labelColumn)}) needs a CSV file with a header row: give the labels as a file of lines instead (--labels)`, { source });
  if (file === '-') {
    if (labelColumn !== undefined) throw noLabelColumn();
    return inMemory(file);
  }
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new DataError(`cannot read the file: ${describeFsError(error)}`, { source });
  }
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(Math.min(size, PREFIX_BYTES));
    await handle.read(prefix, 0, prefix.length, 0);
    const ext = path.extname(file).toLowerCase();
    let scanned: ScannedSource;
    let format: OpenedDataSource['format'];
    if (isRawFloat32(file)) {
      if (cols === undefined || !Number.isInteger(cols) || cols < 1) throw new RangeError('a raw float32 file needs its column count');
      if (size === 0) throw new DataError('no data: the file is empty', { source });
      if (size % (4 * cols) !== 0) {
        throw new DataError(`the file has ${size} bytes, not a whole number of rows of ${cols} float32 values (${4 * cols} bytes a row)`, { source });
      }
      format = 'f32';
      scanned = await scanBinaryFile(handle, source, { rows: size / (4 * cols), cols, itemSize: 4, dataStart: 0 });
    } else if (isNpy(prefix) || ext === '.npy') {
      format = 'npy';
      scanned = await scanBinaryFile(handle, source, parseNpyPrelude(prefix, size, source));
    } else if (ext === '.json' || (ext !== '.csv' && looksLikeJson(prefix))) {
      if (labelColumn !== undefined) throw noLabelColumn();
      await handle.close();
      return inMemory(file);
    } else {
      format = 'csv';
      scanned = await scanCsvFile(handle, source, labelColumn);
    }
    if (labelColumn !== undefined && format !== 'csv') throw noLabelColumn();
    return { ...scanned, source, format, streamed: true, close: () => handle.close() };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** JSON (or stdin, of any format): read whole by readDataFile, then cut into shards in memory. */
function inMemory(file: string): OpenedDataSource {
  const data = readDataFile(file);
  const scan = new ColumnScan(data.matrix.cols);
  scan.add(data.matrix.data, data.firstRow);
  return {
    shards: matrixShardSource(data.matrix),
    header: data.header,
    firstRow: data.firstRow,
    outsideUnitRange: scan.outside,
    source: data.source,
    format: data.format,
    streamed: false,
    close: async () => undefined,
  };
}

function looksLikeJson(prefix: Uint8Array): boolean {
  const text = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength).toString('utf8').replace(/^\uFEFF/, '');
  const first = /\S/.exec(text)?.[0];
  return first === '[' || first === '{';
}
