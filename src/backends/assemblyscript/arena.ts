/**
 * A bump allocator over a WebAssembly instance's linear memory.
 *
 * ```
 *  0        base                persistentTop              top          memory.buffer.byteLength
 *  │ static │ persistent region │ scratch region (marks)   │ free …      │
 * ```
 *
 * The persistent region holds what lives as long as the session (parameters, gradients, Adam m
 * and v, the training data); the scratch region holds what lives for one call (batch activations,
 * encode buffers) and is reset with a mark. Every block is 16-byte aligned. Memory grows with
 * `memory.grow` when a block does not fit; a typed-array view made before an allocation may be
 * detached after it, so views are made fresh (`f32`, `u32`) after allocating, never kept.
 */

const PAGE = 65536;
const ALIGN = 16;

function alignUp(value: number): number {
  return (value + (ALIGN - 1)) & ~(ALIGN - 1);
}

/** A mark of the scratch region, to hand back to `resetScratch`. */
export type ScratchMark = number & { readonly __brand: 'ScratchMark' };

export class Arena {
  readonly memory: WebAssembly.Memory;
  /** First byte the arena may use (the module's heap base, aligned). */
  readonly base: number;
  private persistentTop: number;
  private top: number;

  constructor(memory: WebAssembly.Memory, base: number) {
    if (!Number.isInteger(base) || base < 0) throw new RangeError(`Arena: bad base address ${base}`);
    this.memory = memory;
    this.base = alignUp(base);
    this.persistentTop = this.base;
    this.top = this.base;
  }

  /** Bytes in use, persistent and scratch together (from `base`). */
  get used(): number {
    return this.top - this.base;
  }

  /** Bytes in the persistent region. */
  get persistentBytes(): number {
    return this.persistentTop - this.base;
  }

  /** Allocates a persistent block; only allowed while the scratch region is empty. */
  allocatePersistent(bytes: number): number {
    if (this.top !== this.persistentTop) {
      throw new Error('Arena: a persistent block cannot be allocated while scratch blocks are live');
    }
    const address = this.bump(bytes);
    this.persistentTop = this.top;
    return address;
  }

  /** The current end of the persistent region, to hand back to `releasePersistent`. */
  persistentMark(): number {
    return this.persistentTop;
  }

  /** Frees every persistent block allocated after `mark` (and all scratch blocks). */
  releasePersistent(mark: number): void {
    if (mark < this.base || mark > this.persistentTop || mark % ALIGN !== 0) {
      throw new RangeError(`Arena: bad persistent mark ${mark}`);
    }
    this.persistentTop = mark;
    this.top = mark;
  }

  /** Allocates a scratch block (freed by the next `resetScratch` at or below it). */
  allocateScratch(bytes: number): number {
    return this.bump(bytes);
  }

  /** The current end of the scratch region. */
  scratchMark(): ScratchMark {
    return this.top as ScratchMark;
  }

  /** Frees the scratch blocks allocated after `mark` (all of them when no mark is given). */
  resetScratch(mark?: ScratchMark): void {
    const to = mark ?? this.persistentTop;
    if (to < this.persistentTop || to > this.top) throw new RangeError(`Arena: bad scratch mark ${to}`);
    this.top = to;
  }

  /**
   * The same blocks in another instance's memory (same module, so the same base): the persistent
   * region is copied, the scratch region must be empty. A WebAssembly.Memory never shrinks, so
   * this is how a session gives back what one large call grew (session.ts, `compact`).
   */
  movedTo(memory: WebAssembly.Memory, base: number): Arena {
    if (this.top !== this.persistentTop) throw new Error('Arena: cannot move while scratch blocks are live');
    const moved = new Arena(memory, base);
    if (moved.base !== this.base) throw new Error(`Arena: cannot move to a memory with another base (${moved.base}, not ${this.base})`);
    moved.ensure(this.persistentTop);
    new Uint8Array(memory.buffer, this.base, this.persistentTop - this.base).set(new Uint8Array(this.memory.buffer, this.base, this.persistentTop - this.base));
    moved.persistentTop = this.persistentTop;
    moved.top = this.persistentTop;
    return moved;
  }

  /** A fresh Float32Array view of `count` floats at `address`. */
  f32(address: number, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, count);
  }

  /** A fresh Uint32Array view of `count` integers at `address`. */
  u32(address: number, count: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, address, count);
  }

  private bump(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`Arena: bad block size ${bytes}`);
    const address = this.top;
    const end = alignUp(address + bytes);
    this.ensure(end);
    this.top = end;
    return address;
  }

  /** Grows the memory so that bytes [0, end) exist. */
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new RangeError(`Arena: cannot grow WebAssembly memory to ${end} bytes`, { cause });
    }
  }
}
