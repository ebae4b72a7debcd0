/**
 * What a session needs of its threads (threaded-kernels.ts's SessionThreads implements it): types
 * only, so the files the Worker and the browser bundle (session.ts, loader.ts, encode-session.ts)
 * reach no thread code, not even for type checking.
 */
import type { KernelExports } from '../../architectures/kernel-exports.js';
import type { Arena } from './arena.js';

export interface KernelThreads {
  /**
   * The exports over `raw` (an instance of the shared build) whose calls split across threads;
   * `arena` the session's, or a function giving it once made (then the workers' scratch is reserved
   * above the heap base, which the returned heap_base() answers above).
   */
  bind(raw: KernelExports, arena: Arena | (() => Arena)): KernelExports;
  /** Drops the workers' instances of the session's memory. */
  release(): void;
}
