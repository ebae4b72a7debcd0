/**
 * Data files as ShardSources (Node only), so the CLI trains on files larger than memory: one
 * pass counts rows and columns and takes the per-column min/max (checking every value as the
 * in-memory readers do, with the same messages), then each shard is read again from the file by
 * seeking to it. Binary files (.npy, raw float32) seek by arithmetic; a CSV file by the byte
 * offset of each shard's first row, recorded in the first pass.
 */
import type { FileHandle } from 'node:fs/promises';
import { DataError } from '../errors.js';
import { blankLineError, isBlank, isCsvHeader, parseCsvCells, splitCsvLine, type Cell } from './csv.js';
import { ColumnScan, type CellLocation } from './column-scan.js';
import { describeBadValue, FLOAT32_MAX } from './matrix.js';
import { shardRowCount, shardRowsFor, type ShardSource } from './shard-source.js';
import type { RowLabels } from './row-labels.js';

/** What the first pass over a file found, besides the shards themselves. */
export interface ScannedSource {
  readonly shards: ShardSource;
  /** Column names from a CSV header row, or null. */
  readonly header: readonly string[] | null;
  /** Row number (as errors count them) of data row 0: the CSV line number, or 1. */
  readonly firstRow: number;
  /** The first value outside [0, 1] in row order (what normalize "none" refuses), or null. */
  readonly outsideUnitRange: CellLocation | null;
  /** Each row's label, when a CSV file was opened with a label column (src/data/labels.ts). */
  readonly labels?: RowLabels;
}

/** Where the float values of a binary file are: `rows × cols` items of 4 or 8 bytes from `dataStart`. */
export interface BinaryLayout {
  rows: number;
  cols: number;
  itemSize: 4 | 8;
  dataStart: number;
}

/** A .npy body or a raw float32 file as shards, after a first pass that checks every value. */
export async function scanBinaryFile(handle: FileHandle, source: string, layout: BinaryLayout): Promise<ScannedSource> {
  const { rows, cols, itemSize, dataStart } = layout;
  const shardRows = shardRowsFor(cols);
  const geometry = { rows, shardRows };
  const readShard = async (index: number): Promise<Float32Array> => {
    const count = shardRowCount(geometry, index);
    const bytes = new Uint8Array(count * cols * itemSize);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, dataStart + index * shardRows * cols * itemSize);
    if (bytesRead !== bytes.length) throw new DataError(`the file ends early at shard ${index + 1} (did it change while training?)`, { source });
    // Little-endian float32 on a little-endian machine is the bytes themselves: no copy.
    const out = itemSize === 4 && LITTLE_ENDIAN ? new Float32Array(bytes.buffer) : decode(bytes, itemSize);
    const wide = itemSize === 8 ? new DataView(bytes.buffer) : null;
    for (let k = 0; k < out.length; k++) {
      // The check inline (the hot loop), the message only worked out for a bad value; a float64
      // is checked before its rounding to float32, as parseNpy does.
      const value = wide === null ? out[k]! : wide.getFloat64(8 * k, true);
      if (!(Math.abs(value) <= FLOAT32_MAX)) {
        throw new DataError(describeBadValue(value) ?? 'not a usable number', { source, row: index * shardRows + Math.floor(k / cols) + 1, column: (k % cols) + 1 });
      }
    }
    return out;
  };
  const shardCount = Math.ceil(rows / shardRows);
  const scan = new ColumnScan(cols);
  for (let i = 0; i < shardCount; i++) scan.add(await readShard(i), i * shardRows + 1);
  return {
    shards: { rows, cols, shardRows, shardCount, columnMin: scan.min, columnMax: scan.max, readShard },
    header: null,
    firstRow: 1,
    outsideUnitRange: scan.outside,
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian float32 or float64 items as float32. */
function decode(bytes: Uint8Array, itemSize: 4 | 8): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / itemSize);
  for (let k = 0; k < out.length; k++) out[k] = itemSize === 4 ? view.getFloat32(4 * k, true) : view.getFloat64(8 * k, true);
  return out;
}

const CHUNK_BYTES = 1 << 20;

/**
 * A CSV file (src/data/csv.ts's rules and messages) as shards. The first pass reads it line by
 * line in chunks, parses every row, and records the byte offset of each shard's first row, so a
 * shard is read again by seeking there and parsing its `shardRows` lines.
 */
export async function scanCsvFile(handle: FileHandle, source: string, labelColumn?: string): Promise<ScannedSource> {
  let cols = 0;
  /** The label column's index among the cells (−1: none): its cell is set aside, not parsed. */
  let labelIndex = -1;
  const numbersOf = (cells: Cell[]): Cell[] => (labelIndex < 0 ? cells : cells.filter((_, c) => c !== labelIndex));
  let header: string[] | null = null;
  let firstLine = 0;
  let rows = 0;
  let shardRows = 0;
  const offsets: number[] = [];
  let dataEnd = 0;
  let blankAfterData: number | null = null;
  let scan: ColumnScan | null = null;
  let shard: Float32Array | null = null;
  let shardFill = 0;

  const flush = () => {
    if (shard !== null && shardFill > 0) scan!.add(shard.subarray(0, shardFill * cols), firstLine + rows - shardFill);
    shardFill = 0;
  };
  const onLine = (line: string, lineNumber: number, start: number, end: number) => {
    if (isBlank(line)) {
      if (rows > 0 || header !== null) blankAfterData ??= lineNumber;
      return;
    }
    if (blankAfterData !== null) throw blankLineError(source, blankAfterData);
    let cells = splitCsvLine(line, source, lineNumber);
    if (rows === 0 && header === null && cols === 0) {
      cols = cells.length;
      if (isCsvHeader(cells)) {
        const names = cells.map((c) => c.text.trim());
        if (labelColumn !== undefined) {
          labelIndex = names.indexOf(labelColumn);
          if (labelIndex < 0) throw new DataError(`there is no column named ${JSON.stringify(labelColumn)} for the labels (the header names ${names.map((n) => JSON.stringify(n)).join(', ')})`, { source, row: lineNumber });
          if (cols < 2) throw new DataError(`the label column ${JSON.stringify(labelColumn)} is the only column: there are no numbers left`, { source, row: lineNumber });
          cols -= 1;
        }
        header = numbersOf(cells).map((c) => c.text);
        firstLine = lineNumber + 1;
        return;
      }
      if (labelColumn !== undefined) throw new DataError(`the file has no header row, so no column named ${JSON.stringify(labelColumn)} for the labels`, { source, row: lineNumber });
      firstLine = lineNumber;
    }
    if (labelIndex >= 0) {
      if (cells.length !== cols + 1) throw new DataError(`expected ${cols + 1} cells (with the label), got ${cells.length}`, { source, row: lineNumber });
      cells = numbersOf(cells);
    }
    if (shardRows === 0) {
      shardRows = shardRowsFor(cols);
      scan = new ColumnScan(cols);
      shard = new Float32Array(Math.min(shardRows, 65536) * cols);
    }
    if (rows % shardRows === 0) offsets.push(start);
    if (shardFill * cols === shard!.length) flush();
    parseCsvCells(cells, cols, shard!, shardFill * cols, source, lineNumber);
    shardFill += 1;
    rows += 1;
    dataEnd = end;
  };
  await forEachLine(handle, onLine);
  flush();
  if (rows === 0) {
    if (header !== null) throw new DataError('no data: the file has a header row but no data rows', { source, row: firstLine - 1 });
    throw new DataError('no data: the file is empty', { source });
  }

  const shardCount = offsets.length;
  const geometry = { rows, shardRows };
  const readShard = async (index: number): Promise<Float32Array> => {
    const start = offsets[index]!;
    const end = index + 1 < shardCount ? offsets[index + 1]! : dataEnd;
    const bytes = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
    if (bytesRead !== bytes.length) throw new DataError(`the file ends early at shard ${index + 1} (did it change while training?)`, { source });
    const lines = bytes.toString('utf8').split('\n');
    const count = shardRowCount(geometry, index);
    const out = new Float32Array(count * cols);
    const first = firstLine + index * shardRows;
    for (let r = 0; r < count; r++) {
      const line = lines[r]?.replace(/\r$/, '') ?? '';
      parseCsvCells(numbersOf(splitCsvLine(line, source, first + r)), cols, out, r * cols, source, first + r);
    }
    return out;
  };
  /** The label cells of shard `index`'s rows. */
  const shardLabels = async (index: number): Promise<string[]> => {
    const start = offsets[index]!;
    const end = index + 1 < shardCount ? offsets[index + 1]! : dataEnd;
    const bytes = Buffer.alloc(end - start);
    await handle.read(bytes, 0, bytes.length, start);
    const lines = bytes.toString('utf8').split('\n');
    const first = firstLine + index * shardRows;
    return Array.from({ length: shardRowCount(geometry, index) }, (_, r) => splitCsvLine(lines[r]?.replace(/\r$/, '') ?? '', source, first + r)[labelIndex]?.text ?? '');
  };
  const labels: RowLabels | undefined =
    labelIndex < 0
      ? undefined
      : {
          rows,
          async labelsOf(wanted) {
            const found = new Map<number, string>();
            let shard = -1;
            let texts: string[] = [];
            for (const row of [...wanted].sort((a, b) => a - b)) {
              if (Math.floor(row / shardRows) !== shard) {
                shard = Math.floor(row / shardRows);
                texts = await shardLabels(shard);
              }
              found.set(row, texts[row - shard * shardRows]!);
            }
            return found;
          },
        };
  const done = scan as ColumnScan | null;
  return {
    shards: { rows, cols, shardRows, shardCount, columnMin: done!.min, columnMax: done!.max, readShard },
    header,
    firstRow: firstLine,
    outsideUnitRange: done!.outside,
    ...(labels === undefined ? {} : { labels }),
  };
}

/**
 * Calls `onLine(text, lineNumber, startByte, endByte)` for each line of the file (\n or \r\n
 * ends, a UTF-8 byte-order mark skipped), reading it in chunks; `endByte` is past the line end.
 */
export async function forEachLine(handle: FileHandle, onLine: (text: string, lineNumber: number, start: number, end: number) => void): Promise<void> {
  const bom = Buffer.alloc(3);
  const { bytesRead: bomRead } = await handle.read(bom, 0, 3, 0);
  let position = bomRead === 3 && bom[0] === 0xef && bom[1] === 0xbb && bom[2] === 0xbf ? 3 : 0;
  let pending = Buffer.alloc(0);
  let pendingStart = position;
  let lineNumber = 0;
  for (;;) {
    const chunk = Buffer.alloc(CHUNK_BYTES);
    const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, position);
    position += bytesRead;
    const buffer = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let lineStart = 0;
    for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10, lineStart)) {
      const end = nl > lineStart && buffer[nl - 1] === 13 ? nl - 1 : nl;
      onLine(buffer.toString('utf8', lineStart, end), ++lineNumber, pendingStart + lineStart, pendingStart + nl + 1);
      lineStart = nl + 1;
    }
    if (bytesRead === 0) {
      if (lineStart < buffer.length) {
        const end = buffer[buffer.length - 1] === 13 ? buffer.length - 1 : buffer.length;
        onLine(buffer.toString('utf8', lineStart, end), ++lineNumber, pendingStart + lineStart, pendingStart + buffer.length);
      }
      return;
    }
    pending = Buffer.from(buffer.subarray(lineStart));
    pendingStart += lineStart;
  }
}
