/**
 * The shard layout of docs/SPEC.md §2.1 and the checks of a shard's bytes (src/api/datasets/
 * shard-codec.ts), in Node: the same code judges a part on arrival and a shard on read in workerd.
 */
import { describe, expect, it } from 'vitest';
import { checkShard, decodeShard, sha256Hex, shardByteLength, type ShardLayout } from '../../src/api/datasets/shard-codec.js';
import { shardCountFor, shardRowCount, shardRowsFor } from '../../src/data/shard-source.js';
import { DataError } from '../../src/errors.js';

function layout(rows: number, cols: number, type: ShardLayout['type'] = 'float32', scale = 1, offset = 0): ShardLayout {
  const shardRows = shardRowsFor(cols);
  return { rows, cols, type, scale, offset, shardRows, shardCount: shardCountFor(rows, shardRows) };
}

describe('shard layout', () => {
  it('should give shardRows = max(1, ⌊2²⁰ / cols⌋) and the last shard the rest', () => {
    expect([1, 64, 784, 1024, 3000, 2 ** 21].map(shardRowsFor)).toEqual([2 ** 20, 16384, 1337, 1024, 349, 1]);
    const l = layout(2100, 1024);
    expect(l.shardCount).toBe(3);
    expect([0, 1, 2].map((i) => shardRowCount(l, i))).toEqual([1024, 1024, 52]);
    expect(shardByteLength(l, 2)).toBe(52 * 1024 * 4);
    expect(shardByteLength(layout(2100, 1024, 'uint8'), 0)).toBe(1024 * 1024);
  });
});

describe('checkShard', () => {
  const small = layout(3, 2); // one shard of 3 rows

  it('should record rows, bytes, SHA-256 and the column min/max', async () => {
    const bytes = new Uint8Array(Float32Array.from([1, -2, 3, 4, -5, 0.5]).buffer);
    const { values, stats } = await checkShard(small, 0, bytes, 'part 0');
    expect(Array.from(values)).toEqual([1, -2, 3, 4, -5, 0.5]);
    expect(stats).toEqual({ rows: 3, bytes: 24, sha256: await sha256Hex(bytes), min: [-5, -2], max: [3, 4] });
    // The hex digest is the standard SHA-256 (FIPS 180-2's "abc" example).
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('should name the part, the dataset row and the column of a bad value, and a wrong length or number', async () => {
    const two = layout(1500, 1024); // shards of 1024 and 476 rows
    const values = new Float32Array(476 * 1024);
    values[3 * 1024 + 9] = Number.POSITIVE_INFINITY;
    const error = await checkShard(two, 1, new Uint8Array(values.buffer), 'part 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).location).toEqual({ source: 'part 1', row: 1024 + 3 + 1, column: 10 });
    expect((error as DataError).message).toBe('part 1, row 1028, column 10: Infinity is not a finite number');
    await expect(checkShard(two, 1, new Uint8Array(8), 'part 1')).rejects.toThrow(/part 1: has 8 bytes; it must have 1949696 \(476 rows × 1024 columns of float32\)/);
    await expect(checkShard(two, 2, new Uint8Array(8), 'part 2')).rejects.toThrow(/no part 2; this upload has parts 0 … 1/);
    await expect(checkShard(two, 0.5, new Uint8Array(8), 'part 0.5')).rejects.toThrow(DataError);
  });

  it('should read an unaligned float32 view and decode uint8 as b·scale + offset in float32', async () => {
    const buffer = new Uint8Array(25);
    buffer.set(new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6]).buffer), 1);
    expect(Array.from(decodeShard(small, buffer.subarray(1)))).toEqual([1, 2, 3, 4, 5, 6]);
    const bytes = Uint8Array.from([0, 255, 128, 1, 2, 3]);
    const { values, stats } = await checkShard(layout(3, 2, 'uint8', 1 / 255, -0.5), 0, bytes, 'part 0');
    expect(values).toEqual(Float32Array.from(bytes, (b) => b / 255 - 0.5));
    expect(stats.min).toEqual([Math.fround(-0.5), Math.fround(1 / 255 - 0.5)]);
    expect(stats.max).toEqual([Math.fround(128 / 255 - 0.5), Math.fround(1 - 0.5)]);
  });
});
