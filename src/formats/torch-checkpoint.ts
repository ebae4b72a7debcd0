/**
 * PyTorch's zip checkpoints, as `torch.save` writes them (PyTorch ≥ 1.6; dictionary_learning's
 * ae.pt, OpenAI sparse_autoencoder's .pt files), read into named tensors without running code:
 *
 *   NAME/data.pkl       the pickled object: here a state dict, {name: tensor or plain value}
 *   NAME/data/K         the raw little-endian bytes of storage K, named by the pickle's
 *                       persistent ids ('storage', torch.FloatStorage, 'K', 'cpu', numel)
 *   NAME/byteorder      "little" (absent before PyTorch 2.0: little), NAME/version, …
 *
 * The pickle is read by src/formats/pickle.ts with the globals a state dict uses and no others:
 * collections.OrderedDict, torch._utils._rebuild_tensor_v2 (a tensor: storage, offset, size,
 * stride), torch._utils._rebuild_parameter(_with_state) (an nn.Parameter, read as its tensor)
 * and the storage types (torch.FloatStorage …, values only). Anything else the pickle names
 * (`posix.system`, `builtins.eval`, a class to rebuild) is refused by name before it could be
 * used, and nothing the pickle names is ever called. Every size is bounded by the file's: a
 * storage's bytes must be a zip member of exactly numel × the dtype's size, a tensor's elements
 * must lie inside its storage (its offset and strides checked), and no tensor may take more
 * bytes than the file (a zero-stride view of one float claiming a billion is refused).
 *
 * The legacy format (PyTorch < 1.6, a bare pickle stream) is refused with what to do about it.
 */
import { TensorFileError } from '../errors.js';
import { describe, PickleDict, PickleGlobal, PickleObject, PickleTuple, readPickle, type PickleValue } from './pickle.js';
import { byteLength, DTYPE_BYTES, isShape, type Dtype, type Tensor } from './tensor.js';
import { isZip, openZip, type ZipArchive } from './zip.js';

/** torch's legacy storage types (still what torch.save writes for a tensor's storage), by dtype. */
const STORAGE_DTYPES: Readonly<Record<string, Dtype>> = {
  'torch.FloatStorage': 'F32',
  'torch.HalfStorage': 'F16',
  'torch.BFloat16Storage': 'BF16',
  'torch.DoubleStorage': 'F64',
  'torch.LongStorage': 'I64',
  'torch.IntStorage': 'I32',
  'torch.ShortStorage': 'I16',
  'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8',
  'torch.BoolStorage': 'BOOL',
};

/** A state dict's plain values (strings, numbers, …, lists of them) by dotted key. */
export type PlainValue = string | number | bigint | boolean | null | PlainValue[];

export interface TorchCheckpoint {
  /** The tensors by state-dict key (nested dicts joined with "."), in the pickle's order. */
  tensors: Map<string, Tensor>;
  /** The other entries (OpenAI's `activation: "TopK"`, `activation_state_dict.k: 32`). */
  values: Map<string, PlainValue>;
}

interface Storage {
  dtype: Dtype;
  bytes: Uint8Array;
  key: string;
}

/** True when the bytes are a legacy (pre-zip) torch.save file: a pickle of torch's magic number. */
function isLegacyTorch(bytes: Uint8Array): boolean {
  // PROTO 2, LONG1 of 10 bytes: 0x1950a86a20f9469cfc6c, little-endian.
  const start = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  return start.every((b, k) => bytes[k] === b);
}

/** Reads a PyTorch zip checkpoint holding a state dict; throws TensorFileError naming the file and what is wrong. */
export function readTorchCheckpoint(bytes: Uint8Array, source?: string): TorchCheckpoint {
  const fail: (field: string, problem: string) => never = (field, problem) => {
    throw new TensorFileError(field, problem, source);
  };
  if (isLegacyTorch(bytes)) {
    fail('(format)', "is PyTorch's legacy checkpoint format (before 1.6), which is not read: load it in Python and save it again with torch.save (or as safetensors)");
  }
  if (!isZip(bytes)) fail('(format)', 'is not a PyTorch zip checkpoint (it does not start as a zip)');
  const zip = openZip(bytes, source);
  const pickles = [...zip.members.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    fail('(format)', pickles.length === 0 ? 'has no NAME/data.pkl member: not a PyTorch checkpoint' : `has ${pickles.length} data.pkl members (${pickles.join(', ')})`);
  }
  const pickleName = pickles[0]!;
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteorderName = `${prefix}byteorder`;
  if (zip.members.has(byteorderName)) {
    const order = new TextDecoder().decode(zip.read(byteorderName)).trim();
    if (order !== 'little') fail(byteorderName, `is ${JSON.stringify(order)}; only little-endian checkpoints are read`);
  }

  const storages = new Map<string, Storage>();
  const root = readPickle(zip.read(pickleName), {
    field: pickleName,
    source,
    globals: stateDictGlobals(bytes.length),
    persistentLoad: (pid, failHere) => new PickleObject('storage', loadStorage(zip, prefix, pid, storages, failHere)),
  });
  if (!(root instanceof PickleDict)) fail(pickleName, `holds a ${describe(root)}, not a state dict (a dict of tensors)`);

  const checkpoint: TorchCheckpoint = { tensors: new Map(), values: new Map() };
  const budget = { left: zip.members.get(pickleName)!.size };
  flatten(root as PickleDict, '', checkpoint, new Set(), budget, (problem) => fail(pickleName, problem));
  return checkpoint;
}

/** The globals a state dict's pickle may name, and the TypeScript that stands in for the callable ones. */
function stateDictGlobals(fileBytes: number): Map<string, ((args: readonly PickleValue[], fail: (problem: string) => never) => PickleValue) | null> {
  const globals = new Map<string, ((args: readonly PickleValue[], fail: (problem: string) => never) => PickleValue) | null>();
  globals.set('collections.OrderedDict', (args, fail) => {
    const dict = new PickleDict();
    if (args.length === 0) return dict;
    // OrderedDict([(key, value), …]), as older protocols write it
    if (args.length !== 1 || !Array.isArray(args[0])) fail('takes no arguments or one list of pairs');
    for (const pair of args[0] as PickleValue[]) {
      const items = pair instanceof PickleTuple ? pair.items : Array.isArray(pair) ? pair : null;
      if (items === null || items.length !== 2 || !isKey(items[0]!)) fail('takes pairs (key, value) with a string or number key');
      dict.entries.set(items![0] as string | number, items![1]!);
    }
    return dict;
  });
  globals.set('torch._utils._rebuild_tensor_v2', (args, fail) => new PickleObject('tensor', rebuildTensor(args, fileBytes, fail)));
  const parameter = (args: readonly PickleValue[], fail: (problem: string) => never): PickleValue => {
    const data = args[0];
    if (!(data instanceof PickleObject) || data.kind !== 'tensor') fail(`takes a tensor first, got a ${data === undefined ? 'nothing' : describe(data)}`);
    return data!;
  };
  globals.set('torch._utils._rebuild_parameter', parameter);
  globals.set('torch._utils._rebuild_parameter_with_state', parameter);
  for (const name of Object.keys(STORAGE_DTYPES)) globals.set(name, null);
  return globals;
}

function isKey(value: PickleValue): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/** ('storage', torch.XStorage, key, location, numel) → the bytes of NAME/data/key, checked against numel. */
function loadStorage(zip: ZipArchive, prefix: string, pid: PickleValue, storages: Map<string, Storage>, fail: (problem: string) => never): Storage {
  const items = pid instanceof PickleTuple ? pid.items : [];
  const [tag, type, key, , numel] = items;
  if (items.length !== 5 || tag !== 'storage') fail(`expected ('storage', type, key, location, numel), got a ${describe(pid)} of ${items.length} items`);
  if (!(type instanceof PickleGlobal) || !(type.fullName in STORAGE_DTYPES)) fail(`the storage type is a ${describe(type!)}, not one of ${Object.keys(STORAGE_DTYPES).join(', ')}`);
  if (typeof key !== 'string') fail(`the storage key is a ${describe(key!)}, not a string`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) fail(`the storage's element count ${String(numel)} is not a whole number`);
  const dtype = STORAGE_DTYPES[(type as PickleGlobal).fullName]!;
  const cached = storages.get(key as string);
  if (cached) {
    if (cached.dtype !== dtype) fail(`storage ${key as string} is read as ${cached.dtype} and as ${dtype}`);
    return cached;
  }
  const member = `${prefix}data/${key as string}`;
  if (!zip.members.has(member)) fail(`storage ${key as string} has no member ${member} in the zip`);
  const expected = (numel as number) * DTYPE_BYTES[dtype];
  // Checked against the directory before reading (a deflated member is inflated only if its size is right).
  if (zip.members.get(member)!.size !== expected) fail(`storage ${key as string} of ${numel as number} ${dtype} needs ${expected} bytes; ${member} has ${zip.members.get(member)!.size}`);
  const storage = { dtype, bytes: zip.read(member), key: key as string };
  storages.set(key as string, storage);
  return storage;
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensor(args: readonly PickleValue[], fileBytes: number, fail: (problem: string) => never): Omit<Tensor, 'name'> {
  if (args.length < 6 || args.length > 7) fail(`takes 6 or 7 arguments, got ${args.length}`);
  const [storageValue, offset, sizeValue, strideValue] = args;
  if (!(storageValue instanceof PickleObject) || storageValue.kind !== 'storage') fail(`takes a storage first, got a ${describe(storageValue!)}`);
  const storage = (storageValue as PickleObject<Storage>).value;
  const shape = sizeValue instanceof PickleTuple ? [...sizeValue.items] : null;
  const stride = strideValue instanceof PickleTuple ? [...strideValue.items] : null;
  if (!isShape(shape)) fail(`the size ${describe(sizeValue!)} is not a tuple of whole numbers`);
  if (!isShape(stride) || stride.length !== shape!.length) fail(`the stride is not a tuple of ${shape!.length} whole numbers`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) fail(`the storage offset ${String(offset)} is not a whole number`);
  const itemSize = DTYPE_BYTES[storage.dtype];
  const size = byteLength(storage.dtype, shape!, fileBytes);
  if (size === null) fail(`a tensor of size (${shape!.join(', ')}) of ${storage.dtype} takes more bytes than the whole file (${fileBytes})`);
  const count = size! / itemSize;
  const storageCount = storage.bytes.length / itemSize;
  if (count > 0) {
    // The last element it reads, exactly: offset + Σ (size − 1) × stride.
    let last = BigInt(offset as number);
    for (let d = 0; d < shape!.length; d++) last += BigInt(shape![d]! - 1) * BigInt(stride![d]!);
    if (last >= BigInt(storageCount)) fail(`size (${shape!.join(', ')}), stride (${stride!.join(', ')}) and offset ${offset as number} read element ${last} of storage ${storage.key}, which has ${storageCount}`);
  }
  // Contiguous (row-major strides, ignoring dimensions of size 1): a view of the storage.
  let expectedStride = 1;
  let contiguous = true;
  for (let d = shape!.length - 1; d >= 0; d--) {
    if (shape![d] !== 1 && stride![d] !== expectedStride) contiguous = false;
    expectedStride *= shape![d]!;
  }
  const begin = (offset as number) * itemSize;
  if (contiguous || count === 0) return { dtype: storage.dtype, shape: shape!, bytes: storage.bytes.subarray(begin, begin + size!) };
  // A strided view (a transposed weight saved as such): gathered into row-major order.
  const out = new Uint8Array(size!);
  const index = new Array<number>(shape!.length).fill(0);
  for (let k = 0; k < count; k++) {
    let element = offset as number;
    for (let d = 0; d < shape!.length; d++) element += index[d]! * stride![d]!;
    out.set(storage.bytes.subarray(element * itemSize, (element + 1) * itemSize), k * itemSize);
    for (let d = shape!.length - 1; d >= 0; d--) {
      if (++index[d]! < shape![d]!) break;
      index[d] = 0;
    }
  }
  return { dtype: storage.dtype, shape: shape!, bytes: out };
}

/**
 * The state dict's entries by dotted key: tensors into `tensors`, plain values into `values`.
 * Bounded: a dict reached twice on one path (a cycle through the memo) is refused, and the walk
 * visits at most as many values as the pickle has bytes (each value a pickle writes takes at
 * least one), so a value shared exponentially many times through the memo cannot blow it up.
 */
function flatten(dict: PickleDict, prefix: string, out: TorchCheckpoint, path: Set<PickleDict>, budget: { left: number }, fail: (problem: string) => never): void {
  if (path.has(dict)) fail(`the dict at ${JSON.stringify(prefix.slice(0, -1))} contains itself`);
  spend(budget, fail);
  path.add(dict);
  for (const [key, value] of dict.entries) {
    const name = `${prefix}${String(key)}`;
    if (value instanceof PickleDict) flatten(value, `${name}.`, out, path, budget, fail);
    else if (value instanceof PickleObject && value.kind === 'tensor') {
      spend(budget, fail);
      out.tensors.set(name, { name, ...(value as PickleObject<Omit<Tensor, 'name'>>).value });
    } else out.values.set(name, plain(value, name, budget, fail, 0));
  }
  path.delete(dict);
}

function spend(budget: { left: number }, fail: (problem: string) => never): void {
  if (--budget.left < 0) fail('holds more values than its bytes can write (a value shared many times through the memo?)');
}

function plain(value: PickleValue, name: string, budget: { left: number }, fail: (problem: string) => never, depth: number): PlainValue {
  spend(budget, fail);
  if (depth > 32) fail(`${name}: values nested more than 32 deep`);
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => plain(item, name, budget, fail, depth + 1));
  if (value instanceof PickleTuple) return value.items.map((item) => plain(item, name, budget, fail, depth + 1));
  return fail(`${name} is a ${describe(value)}, neither a tensor, a dict nor a plain value`);
}
