/**
 * Node only: worker threads that run parts of kernel calls on a session's shared wasm memory.
 *
 * One pool a process (made on first use, grown when a session wants more threads), whose workers
 * each hold one instance of the shared-memory build (build/kernels-shared.wasm) per attached
 * session, all on that session's one WebAssembly.Memory. The hand-off is synchronous, because a
 * kernel call is: the main thread writes a part's export and arguments into a small control block
 * (a SharedArrayBuffer beside the wasm memory), bumps the worker's sequence number and notifies it
 * (Atomics), runs its own part, then waits (Atomics.wait) for each worker's done number. Messages
 * that carry objects (attach: the module and the memory) go through a MessagePort the worker reads
 * with receiveMessageOnPort when its control word tells it to, so they are synchronous too.
 *
 *   control, per worker (Int32):  seq │ done │ op │ export (an index into the session's names) │ session │ argc │ error
 *   arguments, per worker (Float64): up to MAX_ARGS numbers
 *
 * Only the main thread allocates (arena.ts): a worker never grows the memory or moves its top, it
 * runs the part it is given on addresses the main thread chose. Workers are unref'd, so an idle
 * pool never keeps a process alive; shutdownThreadPool() ends them explicitly (the CLI calls it).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

const SEQ = 0;
const DONE = 1;
const OP = 2;
const FN = 3;
const SESSION = 4;
const ARGC = 5;
const ERROR = 6;
const STRIDE = 8;
const MAX_ARGS = 16;

const OP_RUN = 1;
const OP_MESSAGE = 2;
const OP_QUIT = 3;

/** Polls of the control word before sleeping in Atomics.wait (short: the machine may be shared). */
const SPIN = 2000;

/**
 * The worker's program (CommonJS, run with eval: no file to find from src/ under vitest or tsx, or
 * from dist/ after tsc). It polls briefly, then sleeps on its sequence number.
 */
const WORKER_SOURCE = `
'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { control, args, port, index } = workerData;
const C = new Int32Array(control);
const A = new Float64Array(args);
const base = index * ${STRIDE};
const argBase = index * ${MAX_ARGS};
const sessions = new Map();
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(C, base + ${SEQ}) === seen) {
    if (++spins < ${SPIN}) continue;
    Atomics.wait(C, base + ${SEQ}, seen);
  }
  seen = Atomics.load(C, base + ${SEQ});
  const op = C[base + ${OP}];
  let error = 0;
  try {
    if (op === ${OP_RUN}) {
      const session = sessions.get(C[base + ${SESSION}]);
      const argc = C[base + ${ARGC}];
      const a = new Array(argc);
      for (let i = 0; i < argc; i++) a[i] = A[argBase + i];
      session.exports[session.names[C[base + ${FN}]]](...a);
    } else if (op === ${OP_MESSAGE}) {
      const received = receiveMessageOnPort(port);
      const message = received && received.message;
      if (message && message.type === 'attach') {
        const instance = new WebAssembly.Instance(message.module, {
          env: {
            memory: message.memory,
            abort() { throw new Error('AssemblyScript kernel aborted in a worker thread'); },
          },
        });
        instance.exports.set_scratch(message.scratch);
        sessions.set(message.session, { exports: instance.exports, names: message.names });
      } else if (message && message.type === 'detach') {
        sessions.delete(message.session);
      }
    } else if (op === ${OP_QUIT}) {
      Atomics.store(C, base + ${DONE}, seen);
      Atomics.notify(C, base + ${DONE});
      break;
    }
  } catch (e) {
    error = 1;
    port.postMessage({ type: 'error', message: e && e.message ? e.message : String(e) });
  }
  C[base + ${ERROR}] = error;
  Atomics.store(C, base + ${DONE}, seen);
  Atomics.notify(C, base + ${DONE});
}
port.close();
`;

interface PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  seq: number;
}

/** One part of a call: the export to run and its arguments. */
export interface KernelPart {
  readonly name: string;
  readonly args: readonly number[];
}

class ThreadPool {
  private readonly control: Int32Array;
  private readonly args: Float64Array;
  private readonly workers: PoolWorker[] = [];

  constructor(readonly capacity: number) {
    this.control = new Int32Array(new SharedArrayBuffer(capacity * STRIDE * 4));
    this.args = new Float64Array(new SharedArrayBuffer(capacity * MAX_ARGS * 8));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Starts workers until there are `count` (at most the capacity). */
  grow(count: number): void {
    while (this.workers.length < Math.min(count, this.capacity)) {
      const index = this.workers.length;
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { control: this.control.buffer, args: this.args.buffer, port: port2, index },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      this.workers.push({ worker, port: port1, seq: 0 });
    }
  }

  /** Sends a message to worker `w` and waits until it has handled it. */
  message(w: number, message: unknown): void {
    const worker = this.workers[w]!;
    worker.port.postMessage(message);
    this.signal(w, OP_MESSAGE);
    this.wait(w);
  }

  /**
   * Runs parts[0] on this thread (through `own`) and parts[i] on worker i − 1, on `session`'s
   * instances; returns when all are done. A worker's error is thrown here.
   */
  run(session: number, names: ReadonlyMap<string, number>, parts: readonly KernelPart[], own: (part: KernelPart) => void): void {
    if (parts.length - 1 > this.workers.length) throw new Error(`thread pool: ${parts.length} parts for ${this.workers.length} workers`);
    for (let i = 1; i < parts.length; i++) {
      const w = i - 1;
      const { name, args } = parts[i]!;
      const fn = names.get(name);
      if (fn === undefined) throw new Error(`thread pool: '${name}' is not a part export`);
      if (args.length > MAX_ARGS) throw new Error(`thread pool: '${name}' takes ${args.length} arguments, more than ${MAX_ARGS}`);
      const base = w * STRIDE;
      this.control[base + FN] = fn;
      this.control[base + SESSION] = session;
      this.control[base + ARGC] = args.length;
      this.args.set(args, w * MAX_ARGS);
      this.signal(w, OP_RUN);
    }
    let failure: unknown = null;
    try {
      own(parts[0]!);
    } catch (error) {
      failure = error;
    }
    // every worker is waited for, even after a failure here: none may still be writing memory
    for (let i = 1; i < parts.length; i++) {
      try {
        this.wait(i - 1);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== null) throw failure;
  }

  /** Ends every worker (they finish what they run first). */
  shutdown(): void {
    for (let w = 0; w < this.workers.length; w++) this.signal(w, OP_QUIT);
    for (const { port } of this.workers) port.close();
    this.workers.length = 0;
  }

  private signal(w: number, op: number): void {
    const worker = this.workers[w]!;
    const base = w * STRIDE;
    this.control[base + OP] = op;
    worker.seq = (worker.seq + 1) | 0;
    Atomics.store(this.control, base + SEQ, worker.seq);
    Atomics.notify(this.control, base + SEQ);
  }

  private wait(w: number): void {
    const worker = this.workers[w]!;
    const base = w * STRIDE;
    let spins = 0;
    for (;;) {
      const done = Atomics.load(this.control, base + DONE);
      if (done === worker.seq) break;
      if (++spins < SPIN) continue;
      Atomics.wait(this.control, base + DONE, done, 1000);
    }
    if (this.control[base + ERROR] !== 0) {
      const reply = receiveMessageOnPort(worker.port)?.message as { message?: string } | undefined;
      throw new Error(`edge-sae: a kernel failed in worker thread ${w + 1}: ${reply?.message ?? 'no message'}`);
    }
  }
}

let pool: ThreadPool | null = null;
/** Counts pools, so a session attached to one that was shut down attaches again. */
let generation = 0;
let nextSession = 1;

/** Workers a pool holds at most: the thread cap (threads.ts) less the main thread. */
const POOL_CAPACITY = 64;

/**
 * A session's view of the pool: attach its memory to `workers` workers, run parts, detach.
 * Creating one starts no thread; the first `attach` does.
 */
export class PoolSession {
  readonly id = nextSession++;
  private attachedTo: WebAssembly.Memory | null = null;
  private attachedGeneration = -1;
  private readonly nameIndex: ReadonlyMap<string, number>;

  constructor(
    /** Workers this session uses (its threads less the main thread). */
    readonly workers: number,
    /** The exports parts may call. */
    private readonly names: readonly string[],
  ) {
    this.nameIndex = new Map(names.map((name, i) => [name, i]));
  }

  /**
   * Gives each worker an instance of `module` on `memory`, worker w's gemm scratch at
   * scratch[w]. Blocks until all have instantiated (the first time, until the threads started).
   */
  attach(module: WebAssembly.Module, memory: WebAssembly.Memory, scratch: readonly number[]): void {
    if (this.attachedTo === memory && this.attachedGeneration === generation && pool !== null) return;
    if (pool === null) {
      pool = new ThreadPool(POOL_CAPACITY);
      generation++;
    }
    pool.grow(this.workers);
    for (let w = 0; w < this.workers; w++) {
      pool.message(w, { type: 'attach', session: this.id, module, memory, scratch: scratch[w], names: this.names });
    }
    this.attachedTo = memory;
    this.attachedGeneration = generation;
  }

  run(parts: readonly KernelPart[], own: (part: KernelPart) => void): void {
    splitCalls++;
    if (pool === null || this.attachedTo === null || this.attachedGeneration !== generation) throw new Error('thread pool: run before attach');
    pool.run(this.id, this.nameIndex, parts, own);
  }

  /** Drops the workers' instances (and with them their hold on the memory). */
  detach(): void {
    if (this.attachedTo === null || pool === null || this.attachedGeneration !== generation) {
      this.attachedTo = null;
      return;
    }
    for (let w = 0; w < Math.min(this.workers, pool.size); w++) pool.message(w, { type: 'detach', session: this.id });
    this.attachedTo = null;
  }
}

let splitCalls = 0;

/** Kernel calls run split across threads in this process so far (tests check that splits happened). */
export function threadSplitCalls(): number {
  return splitCalls;
}

/** Worker threads running now (0 before any threaded call, and after shutdownThreadPool). */
export function threadPoolSize(): number {
  return pool?.size ?? 0;
}

/**
 * Ends the pool's worker threads. Sessions attached to it must not compute afterwards (a later
 * threaded session starts a new pool). The process exits without it too (the workers are unref'd).
 */
export function shutdownThreadPool(): void {
  pool?.shutdown();
  pool = null;
}
