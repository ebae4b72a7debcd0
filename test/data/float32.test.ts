import { describe, expect, it } from 'vitest';
import { shortestFloat32, shortestFloat32Reference } from '../../src/data/float32.js';
import { mulberry32 } from '../helpers/random.js';

describe('shortestFloat32', () => {
  it('should give the reference (toPrecision) result on random float32 bit patterns and weight-sized values', () => {
    const rng = mulberry32(14);
    const bits = new Uint32Array(1);
    const value = new Float32Array(bits.buffer);
    let mismatches = 0;
    for (let k = 0; k < 300_000; k++) {
      bits[0] = Math.floor(rng() * 2 ** 32);
      const v = value[0]!;
      if (!Object.is(shortestFloat32(v), shortestFloat32Reference(v)) && !Number.isNaN(v)) mismatches++;
      // Values as weights and Adam's moments are: ±0.1 down to ±1e-15.
      const w = Math.fround((rng() - 0.5) * 0.2 * 10 ** -(k % 15));
      if (!Object.is(shortestFloat32(w), shortestFloat32Reference(w))) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('should read back as the same float32, in at most 9 significant digits', () => {
    const rng = mulberry32(15);
    for (let k = 0; k < 10_000; k++) {
      const w = Math.fround((rng() - 0.5) * 10 ** (8 - (k % 20)));
      const s = shortestFloat32(w);
      expect(Math.fround(s)).toBe(w);
      expect(w.toPrecision(9).replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
      expect(String(s).replace(/e.*$/, '').replace(/[-.]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(-0)).toBe(-0);
    expect(shortestFloat32(Number.NaN)).toBeNaN();
    expect(shortestFloat32(Math.fround(1e-40))).toBe(shortestFloat32Reference(Math.fround(1e-40)));
  });
});
