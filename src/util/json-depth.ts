/**
 * How deep JSON text nests, found by a scan of its characters, before anything parses it.
 *
 * V8's JSON.parse itself is iterative, but what comes after it is not: JSON.stringify, and every
 * check or copy that walks a value recursively, overflows the stack on a value nested some
 * thousands of levels deep (a RangeError, which the API would answer with a 500). Text that
 * nests deeper than its format ever needs is refused up front instead, naming where.
 * Runtime-neutral (the Worker uses it).
 */

/**
 * The deepest nesting of arrays and objects edge-sae reads in a file's JSON (a model file, a
 * safetensors header). The JSON model file needs 6 (the root, optimizerState, m, encoder, weights,
 * a row); a binary file's header 3 and its metadata values 1. The margin is for readers of later
 * versions, not for content.
 */
export const MAX_JSON_DEPTH = 32;

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
  // The root object's key last read: the field a refusal names.
  let key: string | null = null;
  const objectRoot = rootIsObject(text);
  // Jumps from one bracket or quote to the next, and through a string to its closing quote, with
  // native regular-expression scans: a character loop took ≈ 110 ms over the 8.7 MB header of a
  // binary file holding 200,000 history values, this ≈ 12 ms (most of such text is in strings).
  const structural = /["[\]{}]/g;
  const stringEnd = /["\\]/g;
  let k = 0;
  for (;;) {
    structural.lastIndex = k;
    const found = structural.exec(text);
    if (found === null) return null;
    k = found.index;
    const ch = text.charCodeAt(k);
    if (ch === QUOTE) {
      // A string at depth 1 that follows "{" or "," is a key of the root object.
      const isKey = depth === 1 && objectRoot && followsKeyPosition(text, k);
      let end = k + 1;
      for (;;) {
        stringEnd.lastIndex = end;
        const stop = stringEnd.exec(text);
        if (stop === null) return null; // unterminated: JSON.parse says so
        if (text.charCodeAt(stop.index) === BACKSLASH) {
          end = stop.index + 2;
          continue;
        }
        end = stop.index;
        break;
      }
      if (isKey) key = text.slice(k + 1, end);
      k = end + 1;
      continue;
    }
    if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      depth++;
      if (depth > maxDepth) return { key: depth === 1 ? null : key, offset: k };
    } else {
      depth--;
    }
    k++;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

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
