/**
 * What is the AssemblyScript backend's own: how it is made from a compiled module. Everything a
 * session computes or refuses is the same for every backend, and is checked on this one (both
 * kernel builds, in Node and in workerd) by the conformance suite (test/conformance/suite.ts),
 * its tighter tolerances included; its arena has its own test (assemblyscript-arena.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createAssemblyScriptBackend } from '../../src/backends/assemblyscript/loader.js';
import { loadKernelModule } from '../../src/backends/assemblyscript/module-node.js';
import type { KernelBackend } from '../../src/backends/types.js';

let backend: KernelBackend;
beforeAll(async () => {
  backend = createAssemblyScriptBackend(await loadKernelModule());
});

describe('AssemblyScript backend', () => {
  it('should report its name and refuse something that is not a module', () => {
    expect(backend.name).toBe('assemblyscript');
    expect(() => createAssemblyScriptBackend({} as WebAssembly.Module)).toThrow(TypeError);
  });

  it('should give each session its own instance, so sessions do not share memory', () => {
    const shape = { inputSize: 2, hiddenSize: 3 };
    const zeros = { W1: new Float32Array(6), b1: new Float32Array(3), W2: new Float32Array(6), b2: new Float32Array(2) };
    const ones = { W1: new Float32Array(6).fill(1), b1: new Float32Array(3).fill(1), W2: new Float32Array(6).fill(1), b2: new Float32Array(2).fill(1) };
    const a = backend.createSession(shape, zeros);
    const b = backend.createSession(shape, ones);
    expect(a.getParameters()).toEqual(zeros);
    b.dispose();
    expect(Array.from(a.forward(new Float32Array([1, 1]), 1).hidden)).toEqual([0.5, 0.5, 0.5]);
    a.dispose();
  });
});
