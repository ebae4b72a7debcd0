import { describe, expect, it } from 'vitest';
import { findDeepNesting } from '../../src/util/json-depth.js';

describe('findDeepNesting', () => {
  it('should find where the text first passes the depth, naming the root key', () => {
    expect(findDeepNesting('{"a": [[1]]}', 2)).toEqual({ key: 'a', offset: 7 });
    expect(findDeepNesting('{"a": [[1]]}', 3)).toBeNull();
    expect(findDeepNesting('{"a": 1, "b" : {"c": [1]}}', 2)).toEqual({ key: 'b', offset: 21 });
    expect(findDeepNesting('[[[1]]]', 2)).toEqual({ key: null, offset: 2 });
    expect(findDeepNesting('[1]', 0)).toEqual({ key: null, offset: 0 });
  });

  it('should not count brackets inside strings, escaped quotes included', () => {
    expect(findDeepNesting('{"a": "[[[[", "b": "\\"[[[[\\\\", "c": [1]}', 2)).toBeNull();
    expect(findDeepNesting('{"a\\"[": {"x": [1]}}', 2)).toEqual({ key: 'a\\"[', offset: 15 });
    // A key is a string after "{" or ","; a string value is not.
    expect(findDeepNesting('{"a": "value", "b": [[1]]}', 2)).toEqual({ key: 'b', offset: 21 });
  });

  it('should scan a million levels without recursion, and stop at the limit', () => {
    const deep = `{"metrics": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    expect(findDeepNesting(deep, 32)).toEqual({ key: 'metrics', offset: 12 + 31 });
  });

  it('should leave text that is not JSON to JSON.parse (unterminated string: no finding)', () => {
    expect(findDeepNesting('{"a": "[[[[', 1)).toBeNull();
    expect(findDeepNesting('', 1)).toBeNull();
  });
});
