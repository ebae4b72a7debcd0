/**
 * A restricted reader of Python pickles (see: CPython Lib/pickle.py and pickletools.py for the
 * opcodes): enough of the pickle machine to rebuild a state dict of tensors, and nothing that
 * can run code. Hand-written because no maintained npm package does this safely: the pickle
 * readers on the registry are unmaintained, or rebuild arbitrary classes, or leave the globals a
 * pickle names to the caller after the fact; a pickle IS a program (GLOBAL + REDUCE calls any
 * function it names), so the only safe reader is one whose every opcode and every global is on a
 * short list decided here, in the spirit of PyTorch's `torch.load(weights_only=True)`
 * (torch/_weights_only_unpickler.py).
 *
 * What it does:
 * - Opcodes: those protocols 2–5 use for None, booleans, ints, floats, strings, bytes, tuples,
 *   lists, dicts, the memo, GLOBAL/STACK_GLOBAL, REDUCE, BUILD and BINPERSID (torch's storages).
 *   Any other opcode (INST, OBJ, NEWOBJ, EXT*, the text forms of protocol 0, sets, buffers) is
 *   refused, naming it and its byte.
 * - Globals: only those in `options.globals`. A global is refused when it is named, at its
 *   GLOBAL opcode, before anything uses it; nothing is ever looked up or called. An allowed
 *   global is a tag: REDUCE on it calls the TypeScript function the caller gave for that name (a
 *   global without one may only be passed around as a value, like torch's storage types).
 * - BUILD only sets the attributes of a dict (OrderedDict's `__dict__`, e.g. a state dict's
 *   `_metadata`), kept aside; BUILD on anything else is refused.
 * - Bounds: every length is checked against the bytes left before it is read, so nothing larger
 *   than the pickle is ever allocated; memo indices are looked up, never used to size anything.
 */
import { TensorFileError } from '../errors.js';

/** A Python tuple (kept apart from lists: a REDUCE takes its arguments as a tuple). */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python dict or OrderedDict; keys are strings, numbers, booleans or None. */
export class PickleDict {
  readonly entries = new Map<PickleKey, PickleValue>();
  /** What BUILD set on it (an OrderedDict's instance attributes); not part of the mapping. */
  attributes: PickleDict | undefined;
}

/** An allowed global, as a value (e.g. torch.FloatStorage inside a storage's persistent id). */
export class PickleGlobal {
  constructor(readonly fullName: string) {}
}

/** A value the caller's REDUCE functions or persistent loader made (a tensor, a storage). */
export class PickleObject<T = unknown> {
  constructor(
    readonly kind: string,
    readonly value: T,
  ) {}
}

export type PickleKey = string | number | bigint | boolean | null;
export type PickleValue = PickleKey | Uint8Array | PickleValue[] | PickleTuple | PickleDict | PickleGlobal | PickleObject;

export interface PickleOptions {
  /**
   * The globals a pickle may name, by `module.name`. With a function, REDUCE on the global calls
   * it with the arguments' items; without, the global may only be used as a value.
   */
  globals: ReadonlyMap<string, ((args: readonly PickleValue[], fail: (problem: string) => never) => PickleValue) | null>;
  /** BINPERSID: the value a persistent id stands for; without it, BINPERSID is refused. */
  persistentLoad?: (pid: PickleValue, fail: (problem: string) => never) => PickleValue;
  /** What errors call the pickle (e.g. `archive/data.pkl`): the field of every TensorFileError. */
  field: string;
  /** The file, in errors. */
  source?: string;
}

/** Opcodes this reader refuses, by name, so the error says what the pickle tried. */
const REFUSED: Readonly<Record<number, string>> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x50: 'PERSID',
  0x49: 'INT',
  0x4c: 'LONG',
  0x46: 'FLOAT',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x67: 'GET',
  0x70: 'PUT',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x32: 'DUP',
};

/** Runs the restricted pickle machine over `bytes` and returns the pickled value. */
export function readPickle(bytes: Uint8Array, options: PickleOptions): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  let opcodeAt = 0;
  const fail: (problem: string) => never = (problem) => {
    throw new TensorFileError(options.field, `${problem} (at byte ${opcodeAt})`, options.source);
  };
  const need = (count: number | bigint, what: string): number => {
    if (BigInt(count) > BigInt(bytes.length - at)) fail(`${what} of ${count} bytes runs past the end of the pickle's ${bytes.length} bytes`);
    return Number(count);
  };
  const take = (count: number | bigint, what: string): Uint8Array => {
    const length = need(count, what);
    at += length;
    return bytes.subarray(at - length, at);
  };
  const u8 = () => take(1, 'an argument')[0]!;
  const u16 = () => (need(2, 'an argument'), (at += 2), view.getUint16(at - 2, true));
  const u32 = () => (need(4, 'an argument'), (at += 4), view.getUint32(at - 4, true));
  const u64 = () => (need(8, 'an argument'), (at += 8), view.getBigUint64(at - 8, true));
  const utf8 = (count: number | bigint) => {
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(take(count, 'a string'));
    } catch (error) {
      if (error instanceof TensorFileError) throw error;
      return fail('a string is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) fail('a GLOBAL name runs past the end of the pickle');
    const text = new TextDecoder('utf-8').decode(bytes.subarray(at, end));
    at = end + 1;
    return text;
  };

  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  const pop = (): PickleValue => (stack.length > (marks.at(-1) ?? 0) ? stack.pop()! : fail('the stack is empty'));
  const top = (): PickleValue => (stack.length > (marks.at(-1) ?? 0) ? stack[stack.length - 1]! : fail('the stack is empty'));
  const popMark = (): PickleValue[] => {
    const mark = marks.pop();
    if (mark === undefined) return fail('no MARK to pop to');
    return stack.splice(mark);
  };
  const key = (value: PickleValue): PickleKey => {
    if (value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value)) return value as PickleKey;
    return fail(`a dict key is a ${describe(value)}; only strings, numbers, booleans and None are read`);
  };
  const setItems = (target: PickleValue, items: PickleValue[]) => {
    if (!(target instanceof PickleDict)) fail(`SETITEM on a ${describe(target)}, not a dict`);
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let k = 0; k < items.length; k += 2) (target as PickleDict).entries.set(key(items[k]!), items[k + 1]!);
  };
  const appendItems = (target: PickleValue, items: PickleValue[]) => {
    if (!Array.isArray(target)) fail(`APPEND on a ${describe(target)}, not a list`);
    (target as PickleValue[]).push(...items);
  };
  const global = (module: string, name: string): PickleGlobal => {
    const fullName = `${module}.${name}`;
    if (!options.globals.has(fullName)) {
      fail(`global "${fullName}" is not allowed: a state dict of tensors names only ${[...options.globals.keys()].join(', ')}; nothing was run`);
    }
    return new PickleGlobal(fullName);
  };
  const asInt = (value: bigint): number | bigint => (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);

  for (;;) {
    opcodeAt = at;
    if (at >= bytes.length) fail('the pickle ends without its STOP opcode (truncated?)');
    const op = bytes[at++]!;
    switch (op) {
      case 0x80: {
        const protocol = u8();
        if (protocol > 5) fail(`pickle protocol ${protocol} is newer than 5`);
        break;
      }
      case 0x95: // FRAME: a length to prefetch; the whole pickle is in memory already
        need(u64(), 'a frame');
        break;
      case 0x2e: {
        // STOP
        if (marks.length > 0 || stack.length !== 1) fail(`STOP with ${stack.length} values on the stack and ${marks.length} marks`);
        return stack[0]!;
      }
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4, 'an argument');
        stack.push(view.getInt32(at, true));
        at += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4: a little-endian two's-complement integer of n bytes
        const n = op === 0x8a ? u8() : u32();
        const digits = take(n, 'a long integer');
        let value = 0n;
        for (let k = digits.length - 1; k >= 0; k--) value = (value << 8n) | BigInt(digits[k]!);
        if (n > 0 && digits[n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
        stack.push(asInt(value));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8, 'an argument');
        stack.push(view.getFloat64(at, false));
        at += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(u64()));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str, read as Latin-1 as Python 3 does with encoding='latin1')
        stack.push(latin1(take(u8(), 'a string')));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1(take(u32(), 'a string')));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8(), 'bytes').slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32(), 'bytes').slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64(), 'bytes').slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const count = op - 0x84;
        const items: PickleValue[] = [];
        for (let k = 0; k < count; k++) items.unshift(pop());
        stack.push(new PickleTuple(items));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x64: {
        // DICT
        const dict = new PickleDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const name = pop();
        setItems(top(), [name, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) fail(`memo entry ${index} is read before it is written`);
        stack.push(memo.get(index)!);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE: the callable's TypeScript stand-in, never anything the pickle names
        const args = pop();
        const callable = pop();
        if (!(callable instanceof PickleGlobal)) fail(`REDUCE on a ${describe(callable)}, not an allowed global`);
        if (!(args instanceof PickleTuple)) fail(`REDUCE of ${(callable as PickleGlobal).fullName} with a ${describe(args)}, not a tuple`);
        const fullName = (callable as PickleGlobal).fullName;
        const call = options.globals.get(fullName);
        if (!call) fail(`global "${fullName}" may be used as a value, not called`);
        stack.push(call!((args as PickleTuple).items, (problem) => fail(`${fullName}: ${problem}`)));
        break;
      }
      case 0x62: {
        // BUILD: only an OrderedDict's attributes
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict) || !(state instanceof PickleDict)) {
          fail(`BUILD of a ${describe(target)} with a ${describe(state)}; only a dict's attributes are set`);
        }
        (target as PickleDict).attributes = state as PickleDict;
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail('BINPERSID: this pickle may not refer to outside objects');
        stack.push(options.persistentLoad!(pid, (problem) => fail(`persistent id: ${problem}`)));
        break;
      }
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, '0')}${REFUSED[op] ? ` (${REFUSED[op]})` : ''} is not one a state dict of tensors uses`);
    }
  }
}

/** Latin-1 bytes as a string, by hand: not every runtime's TextDecoder knows 'latin1'. */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let at = 0; at < bytes.length; at += 8192) text += String.fromCharCode(...bytes.subarray(at, at + 8192));
  return text;
}

/** A value's kind, in errors. */
export function describe(value: PickleValue): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof PickleTuple) return 'tuple';
  if (value instanceof PickleDict) return 'dict';
  if (value instanceof PickleGlobal) return `global ${value.fullName}`;
  if (value instanceof PickleObject) return value.kind;
  return typeof value === 'bigint' ? 'int' : typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : typeof value === 'string' ? 'str' : 'bool';
}
