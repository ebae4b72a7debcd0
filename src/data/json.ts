/**
 * JSON data: an array of rows, or `{"data": [...]}`. Free of Node imports (the Worker uses it).
 * A syntax error names the line and column of the text, since JSON.parse's own message does not
 * always say where the problem is.
 */
import { DataError } from '../errors.js';
import { formatFloat32 } from './csv.js';
import { toMatrix, type Matrix } from './matrix.js';

/**
 * Parses JSON data text into a matrix. Rows and columns in errors are 1-based indices into the
 * array of rows.
 *
 * @example
 * parseJsonData('{"data": [[0, 1], [1, 0]]}', 'data.json'); // rows 2, cols 2
 */
export function parseJsonData(text: string, source = 'json'): Matrix {
  const value = parseJsonText(text, source);
  if (Array.isArray(value)) return toMatrix(value, source);
  if (typeof value === 'object' && value !== null && 'data' in value) {
    return toMatrix((value as { data: unknown }).data, `${source} (field "data")`);
  }
  throw new DataError('expected an array of rows or an object {"data": [rows]}', { source });
}

/** A JSON array of rows, numbers written as their shortest float32 decimals. */
export function formatJsonRows(matrix: Matrix): string {
  const lines: string[] = [];
  for (let i = 0; i < matrix.rows; i++) {
    const row = matrix.data.subarray(i * matrix.cols, (i + 1) * matrix.cols);
    lines.push(`[${Array.from(row, formatFloat32).join(',')}]`);
  }
  return `[\n${lines.join(',\n')}\n]\n`;
}

/**
 * JSON.parse, with a DataError naming `source`, line and column on a syntax error.
 *
 * @example
 * parseJsonText('[1, 2', 'model.json'); // throws "model.json: invalid JSON at line 1, column 6: unexpected end of input"
 */
export function parseJsonText(text: string, source = 'json'): unknown {
  const body = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(body);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const { offset, problem } = locateJsonError(body);
    const { line, column } = lineAndColumn(body, offset);
    throw new DataError(`invalid JSON at line ${line}, column ${column}: ${problem}`, { source });
  }
}

/** 1-based line and column of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Finds the first syntax error in text that JSON.parse rejected. Only runs on the error path; a
 * strict recursive-descent scan of the JSON grammar that stops at the first bad character.
 */
export function locateJsonError(text: string): { offset: number; problem: string } {
  let pos = 0;
  const fail = (problem: string): never => {
    throw new JsonScanError(pos, problem);
  };
  const describe = (): string => (pos >= text.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(text[pos])}`);
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const expect = (ch: string, what: string): void => {
    skipSpace();
    if (text[pos] !== ch) fail(`${describe()}, expected ${what}`);
    pos++;
  };
  const scanString = (): void => {
    pos++; // opening quote
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const ch = text[pos]!;
      if (ch === '"') {
        pos++;
        return;
      }
      if (ch === '\\') {
        const next = text[pos + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('bad \\u escape in string');
          pos += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
          pos += 2;
        } else {
          fail('bad escape in string');
        }
      } else if (ch < ' ') {
        fail('control character in string');
      } else {
        pos++;
      }
    }
  };
  const scanValue = (): void => {
    skipSpace();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail(`${describe()}, expected a property name in double quotes`);
        scanString();
        expect(':', '":"');
        scanValue();
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return;
        }
        fail(`${describe()}, expected "," or "}"`);
      }
    } else if (ch === '[') {
      pos++;
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return;
      }
      for (;;) {
        scanValue();
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return;
        }
        fail(`${describe()}, expected "," or "]"`);
      }
    } else if (ch === '"') {
      scanString();
    } else {
      LITERAL.lastIndex = pos;
      const literal = LITERAL.exec(text);
      if (!literal) fail(`${describe()}, expected a value`);
      else pos += literal[0].length;
    }
  };
  try {
    scanValue();
    skipSpace();
    if (pos < text.length) fail(`${describe()} after the end of the JSON value`);
    return { offset: pos, problem: 'invalid JSON' };
  } catch (error) {
    if (error instanceof JsonScanError) return { offset: error.offset, problem: error.message };
    throw error;
  }
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class JsonScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}
