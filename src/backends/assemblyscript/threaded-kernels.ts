/**
 * The kernel exports an AssemblyScript session hands its architecture when it runs on threads:
 * the same KernelExports, with every kernel declared in kernel-splits.ts replaced by a function
 * that cuts the call into parts by output tiles and runs them on the main thread and the pool's
 * workers (thread-pool.ts) at once. Kernels not declared there, and calls below the cut-off, run
 * whole on the main thread as before. An architecture module sees no difference.
 *
 * The workers are attached on the first call that splits, so a small model never starts a thread.
 */
import type { KernelExports } from '../../architectures/kernel-exports.js';
import type { Arena } from './arena.js';
import type { KernelThreads } from './kernel-threads.js';
import { KERNEL_SPLITS, PART_EXPORTS, type KernelSplit, type SplitContext } from './kernel-splits.js';
import { PoolSession, type KernelPart } from './thread-pool.js';

/**
 * The smallest call that is split, by kind: work in multiply-adds (products) or floats touched
 * (streams). Below it the hand-off (waking a worker, waiting for it) costs more than it saves.
 * Measured by bench/threads.bench.ts's cut-off part (gemm_nn at s³, add_scaled over 2^j floats,
 * split on 2 threads against whole), taking the smallest size from which the split won at every
 * larger size measured. On this 2-core machine, quiet (load average 0.5–1.5, 2026-12-08,
 * docs/BACKENDS.md), gemm_nn won from 64³ = 2^18 multiply-adds (×1.31, ×1.5–1.9 above): that is
 * the product cut-off. add_scaled alone won from 2^14 floats, but with streams split from there the
 * training steps ran slower (relu 768 → 6144: ×1.33 against ×1.76 with streams whole below 2^24;
 * a pass that follows a product finds its operands in the main thread's cache, not the worker's),
 * so streams keep the larger cut-off. They change only speed, never a result.
 */
export const SPLIT_CUTOFF: Readonly<Record<KernelSplit['kind'], number>> = {
  product: 1 << 18,
  stream: 1 << 24,
};

/** The exports of the shared build the session also needs (gemm.ts). */
interface SharedExports extends KernelExports {
  gemm_scratch_bytes(): number;
  set_scratch(block: number): void;
}

/**
 * Threads for one session: bind it to the session's instance and arena (again after the session
 * moves to a fresh instance), release it when the session is disposed.
 */
export class SessionThreads implements KernelThreads {
  private readonly pool: PoolSession;
  /** Each worker's gemm scratch (PANEL, EDGE) block, persistent in the session's memory. */
  private scratchBlocks: number[] | null = null;
  private readonly cutoff: Readonly<Record<KernelSplit['kind'], number>>;

  constructor(
    /** The shared-memory build (build/kernels-shared.wasm), which the workers instantiate. */
    private readonly module: WebAssembly.Module,
    readonly threads: number,
    cutoff?: Readonly<Record<KernelSplit['kind'], number>>,
  ) {
    if (!Number.isInteger(threads) || threads < 2) throw new RangeError(`SessionThreads: threads must be 2 or more, got ${threads}`);
    this.pool = new PoolSession(threads - 1, PART_EXPORTS);
    this.cutoff = cutoff ?? SPLIT_CUTOFF;
  }

  /**
   * The threaded exports over `raw` (an instance of the shared build). The first bind allocates
   * the workers' gemm scratch as persistent blocks, so it must come before any other persistent
   * block the session may later move (a moved arena keeps their addresses).
   */
  bind(raw: KernelExports, arenaOrLater: Arena | (() => Arena)): KernelExports {
    const shared = raw as SharedExports;
    if (typeof shared.set_scratch !== 'function' || typeof shared.gemm_scratch_bytes !== 'function') {
      throw new Error('edge-sae: the shared kernel build lacks set_scratch; rebuild it with npm run build:wasm');
    }
    const bytes = (shared.gemm_scratch_bytes() + 15) & ~15;
    // An arena not made yet (the encode session's is made from these exports): the workers' blocks
    // are reserved above the module's heap base instead, and heap_base() answers above them.
    let reserved = 0;
    if (typeof arenaOrLater === 'function') {
      const base = (raw.heap_base() + 15) & ~15;
      this.scratchBlocks ??= Array.from({ length: this.threads - 1 }, (_, w) => base + w * bytes);
      reserved = (this.threads - 1) * bytes + (base - raw.heap_base());
    } else if (this.scratchBlocks === null) {
      this.scratchBlocks = Array.from({ length: this.threads - 1 }, () => arenaOrLater.allocatePersistent(bytes));
    }
    const arenaOf = typeof arenaOrLater === 'function' ? arenaOrLater : () => arenaOrLater;
    const blocks = this.scratchBlocks;
    this.pool.detach();
    const pool = this.pool;
    const module = this.module;
    const threads = this.threads;
    const cutoff = this.cutoff;
    const ctx: SplitContext = {
      threads,
      scratch: (size) => arenaOf().allocateScratch(size),
      u32: (address) => arenaOf().u32(address, 1)[0]!,
    };
    const callPart = (part: KernelPart): void => {
      (raw as unknown as Record<string, (...args: number[]) => unknown>)[part.name]!(...part.args);
    };
    const wrapped: Record<string, unknown> = { ...raw };
    if (reserved > 0) wrapped.heap_base = () => raw.heap_base() + reserved;
    for (const [name, split] of Object.entries(KERNEL_SPLITS)) {
      const whole = (raw as unknown as Record<string, (...args: number[]) => unknown>)[name];
      if (typeof whole !== 'function') continue;
      wrapped[name] = (...args: number[]): unknown => {
        if (split.work(args, ctx) < cutoff[split.kind]) return whole(...args);
        const parts = split.parts(args, ctx);
        if (parts.length < 2) return whole(...args);
        pool.attach(module, raw.memory, blocks);
        pool.run(parts, callPart);
        return undefined;
      };
    }
    return wrapped as unknown as KernelExports;
  }

  /** Drops the workers' instances of this session's memory. */
  release(): void {
    this.pool.detach();
  }
}
