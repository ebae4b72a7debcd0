/** The bump allocator over wasm linear memory (src/backends/assemblyscript/arena.ts). */
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/backends/assemblyscript/arena.js';

const PAGE = 65536;

function newArena(pages = 1, base = 100): Arena {
  return new Arena(new WebAssembly.Memory({ initial: pages }), base);
}

describe('Arena', () => {
  it('should align the base and every block to 16 bytes', () => {
    const arena = newArena(1, 100);
    expect(arena.base).toBe(112);
    const a = arena.allocatePersistent(3);
    const b = arena.allocatePersistent(20);
    const c = arena.allocateScratch(1);
    const d = arena.allocateScratch(0);
    expect([a, b, c, d].map((x) => x % 16)).toEqual([0, 0, 0, 0]);
    expect(b).toBe(a + 16);
    expect(c).toBe(b + 32);
    expect(d).toBe(c + 16);
    expect(arena.persistentBytes).toBe(48);
  });

  it('should reset scratch blocks to a mark, or all of them', () => {
    const arena = newArena();
    arena.allocatePersistent(64);
    const first = arena.allocateScratch(32);
    const mark = arena.scratchMark();
    const second = arena.allocateScratch(32);
    arena.resetScratch(mark);
    expect(arena.allocateScratch(32)).toBe(second);
    arena.resetScratch();
    expect(arena.allocateScratch(32)).toBe(first);
    expect(() => arena.resetScratch((arena.base - 16) as never)).toThrow(RangeError);
  });

  it('should refuse persistent blocks while scratch blocks are live', () => {
    const arena = newArena();
    arena.allocateScratch(16);
    expect(() => arena.allocatePersistent(16)).toThrow(/scratch blocks are live/);
    arena.resetScratch();
    expect(() => arena.allocatePersistent(16)).not.toThrow();
  });

  it('should release persistent blocks above a mark', () => {
    const arena = newArena();
    const params = arena.allocatePersistent(100);
    const mark = arena.persistentMark();
    const data = arena.allocatePersistent(1000);
    arena.allocateScratch(10);
    arena.releasePersistent(mark);
    expect(arena.allocatePersistent(50)).toBe(data);
    expect(params).toBe(arena.base);
    expect(() => arena.releasePersistent(arena.base + 8)).toThrow(RangeError);
  });

  it('should grow memory as needed, and views made after growing see the data', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const arena = new Arena(memory, 0);
    const small = arena.allocatePersistent(16);
    arena.f32(small, 4).set([1, 2, 3, 4]);
    const oldBuffer = memory.buffer;
    const big = arena.allocateScratch(3 * PAGE + 5);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 3 * PAGE + 5);
    expect(oldBuffer.byteLength).toBe(0); // the old view is detached by grow
    expect(Array.from(arena.f32(small, 4))).toEqual([1, 2, 3, 4]);
    arena.f32(big, 1)[0] = 7;
    expect(arena.f32(big, 1)[0]).toBe(7);
    expect(arena.used).toBe(big + 3 * PAGE + 16);
  });

  it('should reject bad sizes and report a failed grow', () => {
    const arena = new Arena(new WebAssembly.Memory({ initial: 1, maximum: 2 }), 0);
    expect(() => arena.allocateScratch(-1)).toThrow(RangeError);
    expect(() => arena.allocateScratch(1.5)).toThrow(RangeError);
    expect(() => arena.allocateScratch(5 * PAGE)).toThrow(/cannot grow/);
    expect(() => new Arena(new WebAssembly.Memory({ initial: 1 }), -4)).toThrow(RangeError);
  });
});
