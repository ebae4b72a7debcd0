/**
 * Where one training step's time goes, kernel by kernel, on one thread: `npx tsx bench/step-profile.ts
 * [architecture] [inputSize] [hiddenSize]` (default topk 768 6144, batch 256) times every kernel
 * export the session calls over 5 steps and prints each one's ms a step and, for the kernels that
 * can split across threads (src/backends/assemblyscript/kernel-splits.ts), its ns per unit of its
 * declared work: how the cost factors there that put row-wise kernels on the products' cut-off were
 * measured (a kernel's ns per unit over gemm_nn's ns per multiply-add).
 */
import { performance } from 'node:perf_hooks';

import { architectureModule } from '../src/architectures/registry.js';
import { KERNEL_SPLITS } from '../src/backends/assemblyscript/kernel-splits.js';
import { loadKernelModule, loadSharedKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { shutdownThreadPool } from '../src/backends/assemblyscript/thread-pool.js';
import { createThreadedAssemblyScriptBackend } from '../src/backends/assemblyscript/threaded-backend.js';
import { SessionThreads } from '../src/backends/assemblyscript/threaded-kernels.js';
import { architectureOf, type ArchitectureName, type LossConfig, type OptimizerConfig } from '../src/backends/types.js';
import { SeededRandom } from '../src/model/random.js';

const architecture = (process.argv[2] ?? 'topk') as ArchitectureName;
const n = Number(process.argv[3] ?? 768), h = Number(process.argv[4] ?? 6144), rows = 256, steps = 5;
const ms = new Map<string, number>();
const work = new Map<string, number>();

// Every export the session binds goes through a timer. The threaded backend with cut-offs no call
// reaches runs everything on this thread, through the same bind as a threaded session.
const bind = SessionThreads.prototype.bind;
SessionThreads.prototype.bind = function (raw, arena) {
  const exports = bind.call(this, raw, arena) as unknown as Record<string, unknown>;
  const timed: Record<string, unknown> = { ...exports };
  for (const [name, f] of Object.entries(exports)) {
    if (typeof f !== 'function') continue;
    const split = KERNEL_SPLITS[name];
    // (the sparse products' work reads their index from memory: left out)
    const countWork = split !== undefined && !/^(sparse|masked)_/.test(name);
    timed[name] = (...args: number[]) => {
      const t = performance.now();
      const result = (f as (...a: number[]) => unknown)(...args);
      ms.set(name, (ms.get(name) ?? 0) + performance.now() - t);
      if (countWork) work.set(name, (work.get(name) ?? 0) + split.work(args, null as never));
      return result;
    };
  }
  return timed as never;
};

const never = { product: Infinity, stream: Infinity };
const backend = createThreadedAssemblyScriptBackend(await loadKernelModule(), (await loadSharedKernelModule()).module!, 2, never);
const shape = { inputSize: n, hiddenSize: h };
const rng = new SeededRandom(7);
const x = Float32Array.from({ length: rows * n }, () => rng.nextFloat() * 2 - 1);
const loss = { architecture, k: 32, auxK: 256, auxCoefficient: 1 / 32, deadSteps: 1000, sparsityTarget: 0.05, sparsityWeight: 0.001, weightDecay: 0, reduction: 'mean' } as LossConfig;
const adam = { kind: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as OptimizerConfig;
const session = backend.createSession(shape, architectureModule(architecture).initialise(shape, 1), architectureOf(loss));
session.setTrainingData(x, rows);
session.trainStep(null, loss, adam);
ms.clear();
work.clear();
const start = performance.now();
for (let s = 0; s < steps; s++) session.trainStep(null, loss, adam);
console.log(`${architecture} ${n}→${h}, batch ${rows}: ${((performance.now() - start) / steps).toFixed(1)} ms a step, one thread`);
for (const [name, total] of [...ms].sort((a, b) => b[1] - a[1])) {
  if (total / steps < 0.5) continue;
  const w = work.get(name);
  console.log(`  ${name.padEnd(26)} ${(total / steps).toFixed(1).padStart(7)} ms${w ? `   ${((total * 1e6) / w).toFixed(3)} ns per unit of work (${KERNEL_SPLITS[name]!.kind})` : ''}`);
}
session.dispose();
shutdownThreadPool();
