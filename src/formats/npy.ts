/**
 * NumPy's .npy format (see: numpy.lib.format) and .npz (a zip of .npy members, as np.savez and
 * np.savez_compressed write; Gemma Scope's params.npz), read into tensors of any shape:
 *
 *   \x93NUMPY | major minor | header length (u16 LE in v1, u32 LE in v2/v3) | header | data
 *   header:   {'descr': '<f4', 'fortran_order': False, 'shape': (rows, cols), }  spaces… \n
 *
 * The header parser here is also the data layer's (src/data/npy.ts reads 2-D float data sets
 * with it). Hand-written: the format is this prelude and raw bytes, and the one parser on the
 * registry (npyjs) reads the header by rewriting it into JSON and passes Fortran order,
 * big-endian data and trailing bytes through without a word, where a reader must name each
 * problem. Errors are TensorFileError naming the file and, in an .npz, the member.
 */
import { TensorFileError } from '../errors.js';
import { byteLength, isShape, type Dtype, type Tensor } from './tensor.js';
import { openZip } from './zip.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy's little-endian (or byte-order-free) type strings, by the dtype they hold. */
const DESCR_DTYPES: Readonly<Record<string, Dtype>> = {
  '|b1': 'BOOL',
  '|u1': 'U8',
  '|i1': 'I8',
  '<u2': 'U16',
  '<i2': 'I16',
  '<f2': 'F16',
  '<u4': 'U32',
  '<i4': 'I32',
  '<f4': 'F32',
  '<u8': 'U64',
  '<i8': 'I64',
  '<f8': 'F64',
};

/** True when `bytes` start with the .npy magic string. */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
}

/** What a .npy file's preamble and header say. */
export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Where the data starts (the preamble's and header's length). */
  dataStart: number;
}

/**
 * Reads the preamble and header of a .npy file of `fileLength` bytes from its first bytes
 * (`bytes`, at least the whole header); `fail` turns a problem into the caller's error.
 */
export function readNpyHeader(bytes: Uint8Array, fileLength: number, fail: (problem: string) => never): NpyHeader {
  if (!isNpy(bytes)) fail('not a .npy file (it does not start with the \\x93NUMPY magic string)');
  if (bytes.length < 10) fail('the .npy file ends inside its preamble');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) fail(`.npy format version ${major}.${bytes[7]} is not one this reader knows (1.0, 2.0, 3.0)`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) fail('the .npy file ends inside its header length');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > fileLength) fail(`the .npy header says it is ${headerLength} bytes long, past the end of the file (${fileLength} bytes)`);
  if (dataStart > bytes.length) fail(`the .npy header is longer (${headerLength} bytes) than this reader takes`);
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lengthBytes, dataStart));
  return { ...parseHeader(headerText, fail), dataStart };
}

/**
 * A .npy file as a tensor named `name`: any shape, the dtypes of DESCR_DTYPES, C order, data of
 * exactly the shape's size. The tensor's bytes are a view of the file's.
 */
export function readNpy(bytes: Uint8Array, name: string, source?: string): Tensor {
  const fail: (problem: string) => never = (problem) => {
    throw new TensorFileError(name, problem, source);
  };
  const { descr, fortranOrder, shape, dataStart } = readNpyHeader(bytes, bytes.length, fail);
  const dtype = DESCR_DTYPES[descr.replace(/^=/, '<')];
  if (dtype === undefined) {
    fail(
      descr.startsWith('>')
        ? `dtype '${descr}' is big-endian; save little-endian data (a.astype('<${descr.slice(1)}'))`
        : `dtype '${descr}' is not one this reader knows (${Object.keys(DESCR_DTYPES).join(', ')})`,
    );
  }
  if (fortranOrder) fail('the array is in Fortran (column-major) order; save it in C order (np.ascontiguousarray(a))');
  if (!isShape(shape)) fail(`shape (${String(shape)}) has a size beyond 2^53 − 1`);
  const expected = byteLength(dtype!, shape, bytes.length);
  const actual = bytes.length - dataStart;
  if (expected === null) fail(`shape (${shape.join(', ')}) of '${descr}' takes more bytes than the whole file (${bytes.length} bytes) holds`);
  if (actual < expected!) fail(`the data is cut short: shape (${shape.join(', ')}) of '${descr}' needs ${expected} bytes, the file has ${actual}`);
  if (actual > expected!) fail(`${actual - expected!} bytes follow the data of shape (${shape.join(', ')}) of '${descr}'`);
  return { name, dtype: dtype!, shape, bytes: bytes.subarray(dataStart) };
}

/**
 * An .npz file's arrays, by name (the member's name without `.npy`, as np.load's keys), in the
 * zip's order. Members that are not .npy files are left out, as np.load leaves them.
 */
export function readNpz(bytes: Uint8Array, source?: string): Map<string, Tensor> {
  const zip = openZip(bytes, source);
  const tensors = new Map<string, Tensor>();
  for (const member of zip.members.keys()) {
    if (!member.endsWith('.npy')) continue;
    const name = member.slice(0, -'.npy'.length);
    // Errors name the member as the zip does (`W_enc.npy`), so the file can be found in it.
    tensors.set(name, { ...readNpy(zip.read(member), member, source), name });
  }
  return tensors;
}

/**
 * Parses the header: a Python dict literal with exactly the keys descr (a string),
 * fortran_order (True/False) and shape (a tuple of whole numbers), as numpy writes and requires.
 */
function parseHeader(text: string, fail: (problem: string) => never): Omit<NpyHeader, 'dataStart'> {
  const bad = (what: string): never => fail(`the .npy header is malformed (${what}): ${JSON.stringify(text.trim().slice(0, 120))}`);
  let i = 0;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const expect = (char: string) => {
    skip();
    if (text[i] !== char) bad(`expected "${char}" at character ${i + 1}`);
    i++;
  };
  const string = (): string => {
    skip();
    const quote = text[i];
    if (quote !== "'" && quote !== '"') return bad(`expected a quoted string at character ${i + 1}`);
    const end = text.indexOf(quote, i + 1);
    if (end < 0) return bad('a string is not closed');
    const value = text.slice(i + 1, end);
    i = end + 1;
    return value;
  };
  const value = (): string | boolean | number[] => {
    skip();
    if (text.startsWith('True', i)) return (i += 4), true;
    if (text.startsWith('False', i)) return (i += 5), false;
    if (text[i] === '(') {
      i++;
      const items: number[] = [];
      for (;;) {
        skip();
        if (text[i] === ')') break;
        const digits = /^\d+/.exec(text.slice(i))?.[0];
        if (digits === undefined) return bad(`expected a whole number in shape at character ${i + 1}`);
        items.push(Number(digits));
        i += digits.length;
        skip();
        if (text[i] === ',') i++;
        else if (text[i] !== ')') return bad(`expected "," or ")" in shape at character ${i + 1}`);
      }
      i++;
      return items;
    }
    return string();
  };

  expect('{');
  const entries = new Map<string, string | boolean | number[]>();
  for (;;) {
    skip();
    if (text[i] === '}') break;
    const key = string();
    expect(':');
    if (entries.has(key)) bad(`the key '${key}' appears twice`);
    entries.set(key, value());
    skip();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') bad(`expected "," or "}" at character ${i + 1}`);
  }
  i++;
  skip();
  if (i !== text.length) bad('something follows the dict');

  const keys = [...entries.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') bad(`expected the keys descr, fortran_order and shape, got ${keys || 'none'}`);
  const descr = entries.get('descr');
  const fortranOrder = entries.get('fortran_order');
  const shape = entries.get('shape');
  if (typeof descr !== 'string') bad('descr is not a string (structured dtypes are not supported)');
  if (typeof fortranOrder !== 'boolean') bad('fortran_order is not True or False');
  if (!Array.isArray(shape)) bad('shape is not a tuple');
  return { descr: descr as string, fortranOrder: fortranOrder as boolean, shape: shape as number[] };
}
