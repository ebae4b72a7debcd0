/**
 * How deep JSON text nests, found by a scan of its characters, before anything parses it.
 *
 * V8's JSON.parse itself is iterative, but what comes after it is not: JSON.stringify, and every
 * check or copy that walks a value recursively, overflows the stack on a value nested some
 * thousands of levels deep (a RangeError, which the API would answer with a 500). Text that
 * nests deeper than its format ever needs is refused up front instead, naming where.
 * Runtime-neutral (the Worker uses it).
 */

export interface DeepNesting {
  /** The key of the root object under which the limit was passed; null for the root itself, or when the root is an array. */
  key: string | null;
  /** The character offset of the bracket that went past the limit. */
  offset: number;
}

/**
 * Where `text` first nests deeper than `maxDepth` arrays and objects (the root counts as 1), or
 * null when it never does. One pass, no recursion, no allocation but the root key's text: brackets
 * inside strings do not count. The text need not be valid JSON (JSON.parse judges that after).
 *
 * @example
 * findDeepNesting('{"a": [[1]]}', 2); // { key: 'a', offset: 7 }
 */
export function findDeepNesting(text: string, maxDepth: number): DeepNesting | null {
  let depth = 0;
  // The root object's key being read or last read: the field a refusal names.
  let key: string | null = null;
  let keyStart = -1;
  let inString = false;
  const objectRoot = rootIsObject(text);
  for (let k = 0; k < text.length; k++) {
    const ch = text.charCodeAt(k);
    if (inString) {
      if (ch === BACKSLASH) k++;
      else if (ch === QUOTE) {
        inString = false;
        if (keyStart >= 0) {
          key = text.slice(keyStart, k);
          keyStart = -1;
        }
      }
      continue;
    }
    if (ch === QUOTE) {
      inString = true;
      // A string at depth 1 that follows "{" or "," is a key of the root object.
      if (depth === 1 && objectRoot && followsKeyPosition(text, k)) keyStart = k + 1;
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      depth++;
      if (depth > maxDepth) return { key: depth === 1 ? null : key, offset: k };
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      depth--;
    }
  }
  return null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function rootIsObject(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const ch = text[k]!;
    if (ch === '{') return true;
    if (!' \t\n\r\uFEFF'.includes(ch)) return false;
  }
  return false;
}

/** Whether the quote at `at` opens a key: the last character before it (not blank) is "{" or ",". */
function followsKeyPosition(text: string, at: number): boolean {
  for (let k = at - 1; k >= 0; k--) {
    const ch = text[k]!;
    if (ch === '{' || ch === ',') return true;
    if (!' \t\n\r'.includes(ch)) return false;
  }
  return false;
}
