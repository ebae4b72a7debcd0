/**
 * The seeded generator behind initialisation and mini-batch order. mulberry32: one 32-bit word
 * of state, so a training checkpoint can store it exactly and resume the same sequence.
 * see: https://gist.github.com/tommyettinger/46a874533244883189143505d203312c (mulberry32)
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator's whole state, to save in a checkpoint. */
  getState(): number {
    return this.state;
  }

  static fromState(state: number): SeededRandom {
    return new SeededRandom(state);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform number in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, bound), without modulo bias (rejection sampling). */
  nextBelow(bound: number): number {
    const limit = 4294967296 - (4294967296 % bound);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % bound;
    }
  }

  /** Shuffles `values` in place (Fisher–Yates). */
  shuffle(values: Uint32Array): void {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.nextBelow(i + 1);
      const t = values[i]!;
      values[i] = values[j]!;
      values[j] = t;
    }
  }
}

/** The shuffling stream is independent of the initialisation stream of the same seed. */
export function shuffleSeed(seed: number): number {
  return (seed ^ 0x9e3779b9) >>> 0;
}
