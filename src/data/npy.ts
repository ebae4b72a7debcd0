/**
 * NumPy's .npy format (see: numpy.lib.format): a 2-D float32 or float64 array in C order, read
 * into a Matrix; a Matrix written as float32. Runtime-neutral (bytes in, bytes out).
 *
 *   \x93NUMPY | major minor | header length (u16 LE in v1, u32 LE in v2/v3) | header | data
 *   header:   {'descr': '<f4', 'fortran_order': False, 'shape': (rows, cols), }  spaces… \n
 *
 * The preamble and header are read by src/formats/npy.ts (which reads .npy tensors of any shape
 * and dtype); this module adds a data set's rules: 2-D, float32 or float64, finite values.
 */
import { DataError } from '../errors.js';
import { isNpy, readNpyHeader } from '../formats/npy.js';
import { float32LittleEndian } from './float32-bytes.js';
import { describeBadValue, type Matrix } from './matrix.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export { isNpy };

/**
 * Reads a .npy file holding a 2-D float32 or float64 little-endian C-order array. Throws a
 * DataError naming `source` and what is wrong: not .npy, an unknown version, a bad header,
 * another dtype, Fortran order, not 2-D, the data cut short or followed by extra bytes, and
 * (with row and column) a value that is NaN, infinite or beyond float32's range.
 */
export function parseNpy(bytes: Uint8Array, source?: string): Matrix {
  const { rows, cols, itemSize, dataStart } = parseNpyPrelude(bytes, bytes.length, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < rows * cols; k++) {
    const value = itemSize === 4 ? view.getFloat32(dataStart + 4 * k, true) : view.getFloat64(dataStart + 8 * k, true);
    const problem = describeBadValue(value);
    if (problem !== null) throw new DataError(problem, { source, row: Math.floor(k / cols) + 1, column: (k % cols) + 1 });
    data[k] = value;
  }
  return { rows, cols, data };
}

/** What a .npy file's preamble and header say: the shape, the item size and where the data starts. */
export interface NpyPrelude {
  rows: number;
  cols: number;
  /** 4 for '<f4', 8 for '<f8'. */
  itemSize: 4 | 8;
  dataStart: number;
}

/**
 * Reads the preamble and header of a .npy file of `fileLength` bytes from its first bytes
 * (`bytes`, at least the whole header; 64 KiB is always enough for numpy's headers), and checks
 * the length of the data that follows. Throws DataError as parseNpy does.
 */
export function parseNpyPrelude(bytes: Uint8Array, fileLength: number, source?: string): NpyPrelude {
  const fail = (problem: string): never => {
    throw new DataError(problem, { source });
  };
  const { descr, fortranOrder, shape, dataStart } = readNpyHeader(bytes, fileLength, fail);
  const itemSize = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (itemSize === 0) {
    const bigEndian = descr === '>f4' || descr === '>f8';
    fail(
      bigEndian
        ? `dtype '${descr}' is big-endian; save little-endian data (a.astype('<${descr.slice(1)}'))`
        : `dtype '${descr}' is not supported: expected float32 ('<f4') or float64 ('<f8')`,
    );
  }
  if (fortranOrder) fail('the array is in Fortran (column-major) order; save it in C order (np.ascontiguousarray(a))');
  if (shape.length !== 2) {
    fail(`the array has shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), ${shape.length}-D; expected 2-D (rows, columns)${shape.length === 1 ? ': reshape(-1, 1) for one column or reshape(1, -1) for one row' : ''}`);
  }
  const [rows, cols] = shape as [number, number];
  if (rows === 0 || cols === 0) fail(`no data: the array has shape (${rows}, ${cols})`);
  const expected = rows * cols * itemSize;
  const actual = fileLength - dataStart;
  if (actual < expected) fail(`the data is cut short: shape (${rows}, ${cols}) of '${descr}' needs ${expected} bytes, the file has ${actual}`);
  if (actual > expected) fail(`${actual - expected} bytes follow the data of shape (${rows}, ${cols}) of '${descr}'`);

  return { rows, cols, itemSize: itemSize as 4 | 8, dataStart };
}

/**
 * The matrix as a .npy file (format 1.0, '<f4', C order), byte for byte what np.save writes for
 * the same float32 array.
 */
export function formatNpy(matrix: Matrix): Uint8Array {
  const prelude = npyPrelude(matrix.rows, matrix.cols);
  const out = new Uint8Array(prelude.length + matrix.data.length * 4);
  out.set(prelude, 0);
  out.set(float32LittleEndian(matrix.data), prelude.length);
  return out;
}

/**
 * The bytes of a .npy file of `rows × cols` float32 before its data (magic, version, header), so
 * a writer can stream the data after it (GET /v1/datasets/{id}/download?format=npy).
 */
export function npyPrelude(rows: number, cols: number): Uint8Array {
  // As numpy.lib.format writes it: the dict, room for the row count to grow to 21 digits (for
  // in-place appends), then spaces and \n so the data starts on a 64-byte boundary.
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const grown = `${dict}${' '.repeat(Math.max(0, 21 - String(rows).length))}`;
  const header = `${grown}${' '.repeat(64 - ((10 + grown.length + 1) % 64))}\n`;
  const out = new Uint8Array(10 + header.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  return out;
}
