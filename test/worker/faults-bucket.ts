/**
 * An R2 bucket with injected faults, for driving the app with `app.request(path, init,
 * { ...env, MODELS: bucket })`: it forwards to the real (miniflare) bucket, except that each
 * operation may be made to fail before it reaches storage ("before": nothing happened) or after
 * the storage committed it ("after": the change is made but its answer is lost), and `get`/`head`
 * may be held at a barrier until a number of callers have read (to force two requests to read the
 * same version before either writes).
 */
export type FaultPoint = 'before' | 'after';
type Operation = 'put' | 'get' | 'head' | 'delete' | 'list';

export class FaultyBucket {
  /** Faults still to inject, per operation, consumed in order; `null` = run normally. */
  readonly faults: Record<Operation, (FaultPoint | null)[]> = { put: [], get: [], head: [], delete: [], list: [] };
  /** How many of each operation reached this wrapper. */
  readonly calls: Record<Operation, number> = { put: 0, get: 0, head: 0, delete: 0, list: 0 };
  /** Faults injected so far. */
  injected = 0;
  private barrier: { size: number; waiting: (() => void)[] } | null = null;

  constructor(private readonly real: R2Bucket) {}

  /** Fail the next `op` at `point` (after `skip` normal calls). */
  fail(op: Operation, point: FaultPoint, skip = 0): this {
    this.faults[op].push(...Array<null>(skip).fill(null), point);
    return this;
  }

  /** Hold every `get` until `size` of them are waiting, then release them together. */
  holdReads(size: number): this {
    this.barrier = { size, waiting: [] };
    return this;
  }

  /**
   * Holds the next `put` until `release()` is called; `reached` resolves when it arrives (so a
   * test can change the store between a request's read and its write).
   */
  pauseNextPut(): { reached: Promise<void>; release: () => void } {
    let arrive!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((done) => (arrive = done));
    const go = new Promise<void>((done) => (release = done));
    this.putGate = { arrive, go };
    return { reached, release };
  }

  private putGate: { arrive: () => void; go: Promise<void> } | null = null;

  /** The R2Bucket the app sees. */
  get binding(): R2Bucket {
    return this as unknown as R2Bucket;
  }

  head(key: string): Promise<R2Object | null> {
    return this.run('head', () => this.real.head(key));
  }

  async get(key: string, options?: R2GetOptions): Promise<R2ObjectBody | null> {
    await this.wait();
    return this.run('get', () => this.real.get(key, options) as Promise<R2ObjectBody | null>);
  }

  async put(key: string, value: string | ArrayBuffer | ArrayBufferView | ReadableStream | Blob | null, options?: R2PutOptions): Promise<R2Object | null> {
    const gate = this.putGate;
    if (gate) {
      this.putGate = null;
      gate.arrive();
      await gate.go;
    }
    return this.run('put', () => this.real.put(key, value, options) as Promise<R2Object | null>);
  }

  delete(keys: string | string[]): Promise<void> {
    return this.run('delete', () => this.real.delete(keys));
  }

  list(options?: R2ListOptions): Promise<R2Objects> {
    return this.run('list', () => this.real.list(options));
  }

  private async wait(): Promise<void> {
    const barrier = this.barrier;
    if (!barrier) return;
    await new Promise<void>((release) => {
      barrier.waiting.push(release);
      if (barrier.waiting.length >= barrier.size) {
        this.barrier = null;
        for (const go of barrier.waiting) go();
      }
    });
  }

  private async run<T>(op: Operation, operation: () => Promise<T>): Promise<T> {
    this.calls[op]++;
    const fault = this.faults[op].shift() ?? null;
    if (fault === 'before') {
      this.injected++;
      throw new Error(`injected ${op} failure (before storage)`);
    }
    const result = await operation();
    if (fault === 'after') {
      this.injected++;
      throw new Error(`injected ${op} failure (after storage committed)`);
    }
    return result;
  }
}
