import { describe, expect, it } from 'vitest';
import { formatJsonRows, locateJsonError, parseJsonData, parseJsonText } from '../../src/data/json.js';
import { DataError } from '../../src/errors.js';

function jsonError(text: string, source = 'd.json'): DataError {
  try {
    parseJsonData(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

describe('parseJsonData', () => {
  it('should read an array of rows', () => {
    const m = parseJsonData('[[1, 2], [3, 4.5]]', 'd.json');
    expect([m.rows, m.cols]).toEqual([2, 2]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4.5]);
  });

  it('should read {"data": rows}', () => {
    const m = parseJsonData('{"name": "x", "data": [[0.25], [0.5]]}', 'd.json');
    expect([m.rows, m.cols]).toEqual([2, 1]);
  });

  it('should name row and column of a bad value', () => {
    const error = jsonError('[[1, 2], [3, "4"]]');
    expect(error.location).toEqual({ source: 'd.json', row: 2, column: 2 });
  });

  it('should name the "data" field when the rows are inside it', () => {
    expect(jsonError('{"data": [[1, 2], [3]]}').message).toMatch(/^d\.json \(field "data"\), row 2, column 2: /);
  });

  it('should reject other shapes', () => {
    expect(jsonError('{"rows": []}').message).toMatch(/expected an array of rows or an object/);
    expect(jsonError('3').message).toMatch(/expected an array of rows or an object/);
    expect(jsonError('[]').message).toMatch(/no data/);
    expect(jsonError('[1, 2, 3]').location).toEqual({ source: 'd.json', row: 1 });
  });

  it.each([
    ['[[1, 2], [3, 4}', 1, 15, /expected "," or "]"/],
    ['[[1, 2],\n [3, ', 2, 6, /unexpected end of input/],
    ['[[1, NaN]]', 1, 6, /unexpected character "N"/],
    ['[[1, 2]]\n[[3]]', 2, 1, /after the end of the JSON value/],
    ['{"data" [[1]]}', 1, 9, /expected ":"/],
    ['[[01]]', 1, 4, /expected "," or "]"/],
    ['', 1, 1, /unexpected end of input/],
  ])('should locate the syntax error in %j', (text, line, column, problem) => {
    const error = jsonError(text);
    expect(error.message).toMatch(new RegExp(`^d\\.json: invalid JSON at line ${line}, column ${column}: `));
    expect(error.message).toMatch(problem);
  });

  it('should agree with JSON.parse on valid text', () => {
    for (const text of ['{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"]}', ' [ ] ', '"s"']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(locateJsonError(text).problem).toBe('invalid JSON');
    }
  });

  it('parseJsonText should parse any JSON value', () => {
    expect(parseJsonText('{"a": 1}', 'm.json')).toEqual({ a: 1 });
  });
});

describe('formatJsonRows', () => {
  it('should write an array of rows that parses back', () => {
    const m = { rows: 2, cols: 2, data: new Float32Array([0.1, 0.2, 0.3, 1]) };
    const text = formatJsonRows(m);
    expect(JSON.parse(text)).toEqual([
      [0.1, 0.2],
      [0.3, 1],
    ]);
    expect(parseJsonData(text, 'x').data).toEqual(m.data);
  });
});
