/**
 * The `threads` option: how many threads a Node session computes on, and why it may get fewer.
 *
 * Default: the machine's cores (os.availableParallelism), at most MAX_DEFAULT_THREADS; the
 * EDGE_SAE_THREADS environment variable sets another default. 1 is the single-threaded path every
 * platform has. More than one needs SharedArrayBuffer, a shared WebAssembly.Memory, worker_threads
 * and the shared-memory build (build/kernels-shared.wasm); without one of them the session runs on
 * one thread and the backend report says why (`threads.reason`).
 */
import { ConfigError } from '../../errors.js';

/** The default's cap: past about 8 threads these memory-bound kernels gain little (docs/BACKENDS.md). */
export const MAX_DEFAULT_THREADS = 8;
/** The most a session may ask for. */
export const MAX_THREADS = 64;

/** What the backend report says of threads. */
export interface ThreadsReport {
  /** What was asked for (a number, or "auto" for the default). */
  requested: number | 'auto';
  /** Threads sessions compute on. */
  used: number;
  /** Why `used` is 1 when more were asked for. */
  reason?: string;
}

/** Checks a `threads` option: a whole number from 1 to MAX_THREADS, or undefined for the default. */
export function checkThreads(value: unknown, field = 'threads'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_THREADS) {
    throw new ConfigError(field, `must be a whole number from 1 to ${MAX_THREADS}; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The default thread count here: EDGE_SAE_THREADS, else the cores up to MAX_DEFAULT_THREADS. */
export function defaultThreads(cores: number, env: string | undefined): number {
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new ConfigError('EDGE_SAE_THREADS', `must be a whole number from 1 to ${MAX_THREADS}; got ${JSON.stringify(env)}`);
    return n;
  }
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, cores));
}

/** Why this runtime cannot run kernels on threads, or null when it can. */
export function threadsUnavailableReason(): string | null {
  if (typeof SharedArrayBuffer !== 'function') return 'no SharedArrayBuffer (in a browser: the page is not cross-origin isolated)';
  if (typeof Atomics !== 'object' || typeof Atomics.wait !== 'function') return 'no Atomics.wait';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
  } catch {
    return 'no shared WebAssembly memory';
  }
  return null;
}
