/**
 * A session gives back the wasm memory a large call grew (issue 24 item 12: workerd's memory rose
 * with load and stayed): a WebAssembly.Memory never shrinks, so without compaction a cached model
 * kept the scratch of its largest encode resident for as long as it stayed cached. Compaction moves
 * an inference-only session's persistent blocks (its parameters) to a fresh instance: what the
 * session computes afterwards must be exactly what it would have computed without it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateKernels } from '../../src/backends/assemblyscript/kernel-module.js';
import { loadKernelModule } from '../../src/backends/assemblyscript/module-node.js';
import { AssemblyScriptSession, SCRATCH_KEPT_BYTES } from '../../src/backends/assemblyscript/session.js';
import { SIGMOID_ARCHITECTURE } from '../../src/backends/types.js';
import { initialParameters } from '../../src/model/initialization.js';
import { mulberry32, randomArray } from '../helpers/random.js';
import { ADAM, SUM_LOSS } from '../helpers/training-settings.js';

let module: WebAssembly.Module;
beforeAll(async () => {
  module = await loadKernelModule();
});

const shape = { inputSize: 64, hiddenSize: 512 };
const params = initialParameters(shape, 7);
const session = (): AssemblyScriptSession =>
  new AssemblyScriptSession(instantiateKernels(module), shape, params, SIGMOID_ARCHITECTURE, () => instantiateKernels(module));

describe('AssemblyScript session memory', () => {
  it('should not keep the scratch of a large encode resident', () => {
    const s = session();
    const small = s.memoryBytes;
    // 10,000 rows × 512 hidden: ~25 MB of scratch during the call
    s.forward(randomArray(mulberry32(1), 10_000 * 64, 0, 1), 10_000);
    expect(s.memoryBytes).toBeLessThanOrEqual(small + SCRATCH_KEPT_BYTES + 65536);
    s.dispose();
  });

  it('should compute after compaction exactly what it computes without it, and train on from there', () => {
    const data = randomArray(mulberry32(2), 200 * 64, 0, 1);
    const probe = randomArray(mulberry32(3), 4 * 64, 0, 1);
    const big = randomArray(mulberry32(4), 10_000 * 64, 0, 1);
    const [a, b] = [session(), session()];
    const before = a.memoryBytes;
    a.forward(big, 10_000); // compacts a
    expect(a.memoryBytes).toBeLessThanOrEqual(before + SCRATCH_KEPT_BYTES + 65536);
    expect(Array.from(a.forward(probe, 4).output)).toEqual(Array.from(b.forward(probe, 4).output));
    for (const s of [a, b]) {
      s.setTrainingData(data, 200);
      for (let i = 0; i < 3; i++) s.trainStep(null, SUM_LOSS, ADAM);
    }
    expect(a.getParameters()).toEqual(b.getParameters());
    expect(a.getOptimizerState()).toEqual(b.getOptimizerState());
    expect(a.getStepsSinceFired()).toEqual(b.getStepsSinceFired());
    a.dispose();
    b.dispose();
  });
});
