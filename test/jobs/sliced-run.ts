/**
 * What the Node job-trainer tests share: their data, and a job run as the Durable Object runs it,
 * in slices of uneven sizes, each checkpointed through the binary format and resumed in a fresh
 * trainer (and model) after it.
 */
import type { KernelBackend } from '../../src/backends/types.js';
import type { Matrix } from '../../src/data/matrix.js';
import type { ShardSource } from '../../src/data/shard-source.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/jobs/checkpoint.js';
import { JobTrainer, type JobSpec } from '../../src/jobs/job-trainer.js';
import { SeededRandom } from '../../src/model/random.js';

/** rows × cols values in [−1, 3) from `seed`. */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = rng.nextFloat() * 4 - 1;
  return { rows, cols, data };
}

/** Runs the job to its end in slices of `sizes` steps (cycled), resuming from checkpoint bytes after each; the last trainer, not yet finished. */
export async function runResumingEverySlice(backend: KernelBackend, source: ShardSource, spec: JobSpec, sizes: readonly number[]): Promise<JobTrainer> {
  let trainer = JobTrainer.start(backend, source, spec);
  let slices = 0;
  while (!trainer.done) {
    await trainer.runSteps(sizes[slices++ % sizes.length]!);
    const bytes = encodeCheckpoint(trainer.checkpoint());
    trainer.dispose();
    trainer = JobTrainer.start(backend, source, spec, decodeCheckpoint(bytes));
  }
  return trainer;
}
