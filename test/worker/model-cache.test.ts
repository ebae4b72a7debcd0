import { describe, expect, it } from 'vitest';
import { ModelCache } from '../../src/api/model-cache.js';

class FakeModel {
  disposed = 0;
  constructor(readonly name: string) {}
  dispose(): void {
    this.disposed++;
  }
}

describe('ModelCache', () => {
  it('should keep the most recently used models within the entry bound and dispose the rest', () => {
    const cache = new ModelCache<FakeModel>(2, 1000);
    const [a, b, c] = [new FakeModel('a'), new FakeModel('b'), new FakeModel('c')];
    cache.set('a', 1, a, 10);
    cache.set('b', 1, b, 10);
    expect(cache.get('a', 1)).toBe(a); // a is now the most recent
    cache.set('c', 1, c, 10);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(b.disposed).toBe(1);
    expect(cache.get('a', 1)).toBe(a);
    expect(cache.get('c', 1)).toBe(c);
    expect(a.disposed + c.disposed).toBe(0);
  });

  it('should bound the total weight and refuse a model heavier than the cache', () => {
    const cache = new ModelCache<FakeModel>(10, 100);
    const [a, b, huge] = [new FakeModel('a'), new FakeModel('b'), new FakeModel('huge')];
    cache.set('a', 1, a, 60);
    cache.set('b', 1, b, 60);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(a.disposed).toBe(1);
    expect(cache.weight).toBe(60);
    expect(cache.set('huge', 1, huge, 101)).toBe(false);
    expect(huge.disposed).toBe(0); // not owned: the caller disposes it
    expect(cache.get('b', 1)).toBe(b);
  });

  it('should make room before a load: evict least recently used until the new weight fits', () => {
    const cache = new ModelCache<FakeModel>(10, 100);
    const [a, b, c] = [new FakeModel('a'), new FakeModel('b'), new FakeModel('c')];
    cache.set('a', 1, a, 40);
    cache.set('b', 1, b, 40);
    cache.get('a', 1); // b is now the least recently used
    cache.makeRoom(50);
    expect(b.disposed).toBe(1);
    expect(a.disposed).toBe(0);
    expect(cache.weight).toBe(40);
    cache.makeRoom(60); // fits already: nothing evicted
    expect(a.disposed).toBe(0);
    cache.set('c', 1, c, 60);
    expect(cache.weight).toBe(100);
  });

  it('should key by version and invalidate every version of an id', () => {
    const cache = new ModelCache<FakeModel>(10, 1000);
    const [v1, v2] = [new FakeModel('v1'), new FakeModel('v2')];
    cache.set('m', 1, v1, 1);
    expect(cache.get('m', 2)).toBeUndefined();
    cache.set('m', 2, v2, 1);
    expect(v1.disposed).toBe(1);
    expect(cache.get('m', 1)).toBeUndefined();
    expect(cache.get('m', 2)).toBe(v2);
    cache.invalidate('m');
    expect(cache.get('m', 2)).toBeUndefined();
    expect(v2.disposed).toBe(1);
    expect(cache.size).toBe(0);
    expect(cache.weight).toBe(0);
  });

  it('should evict when resized smaller', () => {
    const cache = new ModelCache<FakeModel>(3, 1000);
    const models = [1, 2, 3].map((i) => new FakeModel(String(i)));
    models.forEach((m, i) => cache.set(String(i), 1, m, 1));
    cache.resize(1, 1000);
    expect(cache.size).toBe(1);
    expect(cache.get('2', 1)).toBe(models[2]);
  });

  it('should serve a fresh entry without a version, and ask for one once the window has passed', () => {
    const cache = new ModelCache<FakeModel>(4, 1000);
    const m = new FakeModel('m');
    cache.set('m', 3, m, 1);
    const now = Date.now();
    expect(cache.getFresh('m', 5_000, now + 4_999)).toBe(m);
    expect(cache.getFresh('m', 5_000, now + 5_000)).toBeUndefined(); // stale: read the version
    expect(cache.get('m', 3, now + 6_000)).toBe(m); // confirmed by the caller's read …
    expect(cache.getFresh('m', 5_000, now + 10_000)).toBe(m); // … which restarts the window
    expect(cache.getFresh('other', 5_000, now)).toBeUndefined();
    cache.invalidate('m');
    expect(cache.getFresh('m', 5_000, now)).toBeUndefined();
  });
});
