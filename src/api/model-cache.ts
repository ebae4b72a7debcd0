/**
 * Decoded models kept in one isolate, so encode does not parse a model file on every request.
 * Keyed by id and version. A warm encode reads no storage at all while its entry was validated
 * (its version read from R2 metadata) within MODEL_CACHE_REVALIDATE_MS; after that the next
 * request re-reads the version (cheap, no body), so another isolate's retrain or delete is served
 * stale for at most that long. This isolate's own retrain and delete invalidate at once. Bounded by
 * entries and by bytes (MODEL_CACHE_BYTES: each entry weighs the kernel memory its model holds), least
 * recently used evicted first; evicted models are disposed (freeing their wasm memory or tensors).
 * `makeRoom` evicts before a cold load, so the cache and the model being loaded fit the bound
 * together rather than one after the other.
 *
 * Models are used synchronously between a `get` and the end of the use, so an eviction by a
 * concurrent request (which can only run at an await) never disposes a model in use.
 */

/** What the cache needs of a model. */
export interface CachedModel {
  dispose(): void;
}

interface Entry<M> {
  id: string;
  model: M;
  weight: number;
  /** When the entry's version was last confirmed against storage (ms since the epoch). */
  validatedAt: number;
}

export class ModelCache<M extends CachedModel> {
  private readonly entries = new Map<string, Entry<M>>();
  private totalWeight = 0;

  constructor(
    private maxEntries: number,
    private maxWeight: number,
  ) {}

  /** Applies new bounds (they are per-request config) and evicts to fit them. */
  resize(maxEntries: number, maxWeight: number): void {
    this.maxEntries = maxEntries;
    this.maxWeight = maxWeight;
    this.evict();
  }

  /** The model for this id and version, marked most recently used; undefined when absent. */
  get(id: string, version: number, now = Date.now()): M | undefined {
    const cacheKey = keyOf(id, version);
    const entry = this.entries.get(cacheKey);
    if (!entry) return undefined;
    // The caller has just read this version from storage: the entry is confirmed current.
    entry.validatedAt = now;
    this.entries.delete(cacheKey);
    this.entries.set(cacheKey, entry);
    return entry.model;
  }

  /**
   * The cached model of `id` if its version was confirmed within `maxAgeMs`, without asking
   * storage; undefined otherwise (the caller then reads the version and calls get).
   */
  getFresh(id: string, maxAgeMs: number, now = Date.now()): M | undefined {
    for (const [cacheKey, entry] of this.entries) {
      if (entry.id !== id) continue;
      if (now - entry.validatedAt >= maxAgeMs) return undefined;
      this.entries.delete(cacheKey);
      this.entries.set(cacheKey, entry);
      return entry.model;
    }
    return undefined;
  }

  /**
   * Stores a model (weight: the bytes it holds). Other versions of the id are dropped. A model
   * heavier than the whole cache is not kept; the return says whether the cache took ownership.
   */
  set(id: string, version: number, model: M, weight: number): boolean {
    this.invalidate(id);
    if (weight > this.maxWeight || this.maxEntries < 1) return false;
    this.entries.set(keyOf(id, version), { id, model, weight, validatedAt: Date.now() });
    this.totalWeight += weight;
    this.evict(model);
    return true;
  }

  /**
   * Evicts least recently used models until `weight` more fits the bound (called before loading a
   * model of that weight, so the load does not stack on a full cache). Models in use are safe: see the top.
   */
  makeRoom(weight: number): void {
    for (const [cacheKey, entry] of this.entries) {
      if (this.totalWeight + weight <= this.maxWeight) break;
      this.remove(cacheKey, entry);
    }
  }

  /** Drops (and disposes) every version of a model. */
  invalidate(id: string): void {
    for (const [cacheKey, entry] of this.entries) {
      if (entry.id === id) this.remove(cacheKey, entry);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get weight(): number {
    return this.totalWeight;
  }

  /** Drops everything (tests). */
  clear(): void {
    for (const [cacheKey, entry] of this.entries) this.remove(cacheKey, entry);
  }

  private evict(keep?: M): void {
    for (const [cacheKey, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.totalWeight <= this.maxWeight) break;
      if (entry.model === keep) continue;
      this.remove(cacheKey, entry);
    }
  }

  private remove(cacheKey: string, entry: Entry<M>): void {
    this.entries.delete(cacheKey);
    this.totalWeight -= entry.weight;
    try {
      entry.model.dispose();
    } catch (error) {
      console.warn('edge-sae: disposing a cached model failed', error);
    }
  }
}

function keyOf(id: string, version: number): string {
  return `${id}@${version}`;
}
