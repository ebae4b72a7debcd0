import { describe, expect, it } from 'vitest';

import { loadNodeBackend } from '../../src/backends/node-providers.js';
import {
  BackendUnavailableError,
  memoisedProvider,
  resolveBackend,
  simdSupported,
  type BackendProvider,
} from '../../src/backends/select.js';
import type { BackendName, KernelBackend } from '../../src/backends/types.js';
import { ConfigError } from '../../src/errors.js';

/** A provider that counts its loads and either succeeds or throws `failure`. */
function fakeProvider(name: BackendName, failure?: unknown): BackendProvider & { loads: number } {
  const provider = {
    name,
    loads: 0,
    async load(): Promise<KernelBackend> {
      provider.loads++;
      if (failure !== undefined) throw failure;
      return {
        name,
        createSession() {
          throw new Error('fake backend');
        },
      };
    },
  };
  return provider;
}

const yes = () => true;
const no = () => false;

describe('simdSupported', () => {
  it('should detect SIMD in Node 20+ and cache the answer', () => {
    expect(simdSupported()).toBe(true);
    expect(simdSupported()).toBe(true);
  });
});

describe('resolveBackend', () => {
  it('should pick assemblyscript on auto when every provider loads', async () => {
    const providers = [fakeProvider('tfjs-cpu'), fakeProvider('tfjs-wasm'), fakeProvider('assemblyscript')];
    const { backend, report } = await resolveBackend('auto', providers, yes);
    expect(backend.name).toBe('assemblyscript');
    expect(report).toEqual({ requested: 'auto', chosen: 'assemblyscript', skipped: [] });
    // Only the chosen one was loaded.
    expect(providers.map((p) => p.loads)).toEqual([0, 0, 1]);
  });

  it('should skip assemblyscript with reason "no WebAssembly SIMD" when the probe fails', async () => {
    const as = fakeProvider('assemblyscript');
    const { report } = await resolveBackend('auto', [as, fakeProvider('tfjs-wasm'), fakeProvider('tfjs-cpu')], no);
    expect(report).toEqual({
      requested: 'auto',
      chosen: 'tfjs-wasm',
      skipped: [{ name: 'assemblyscript', reason: 'no WebAssembly SIMD' }],
    });
    expect(as.loads).toBe(0);
  });

  it('should skip a provider whose load throws, with its error message as the reason', async () => {
    const { report } = await resolveBackend(
      'auto',
      [
        fakeProvider('assemblyscript', new Error('ENOENT: build/kernels.wasm')),
        fakeProvider('tfjs-wasm', { message: 'failed to load wasm binary' }),
        fakeProvider('tfjs-cpu'),
      ],
      yes,
    );
    expect(report).toEqual({
      requested: 'auto',
      chosen: 'tfjs-cpu',
      skipped: [
        { name: 'assemblyscript', reason: 'ENOENT: build/kernels.wasm' },
        { name: 'tfjs-wasm', reason: 'failed to load wasm binary' },
      ],
    });
  });

  it('should throw a clear error listing every reason when nothing loads on auto', async () => {
    const attempt = resolveBackend('auto', [fakeProvider('assemblyscript'), fakeProvider('tfjs-cpu', new Error('boom'))], no);
    await expect(attempt).rejects.toThrow(
      'no kernel backend could be loaded (assemblyscript: no WebAssembly SIMD; tfjs-cpu: boom)',
    );
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('should load only the explicit choice', async () => {
    const providers = [fakeProvider('assemblyscript'), fakeProvider('tfjs-wasm'), fakeProvider('tfjs-cpu')];
    const { backend, report } = await resolveBackend('tfjs-cpu', providers, yes);
    expect(backend.name).toBe('tfjs-cpu');
    expect(report).toEqual({ requested: 'tfjs-cpu', chosen: 'tfjs-cpu', skipped: [] });
    expect(providers.map((p) => p.loads)).toEqual([0, 0, 1]);
  });

  it('should throw a clear error when the explicit choice fails, without falling back', async () => {
    const cpu = fakeProvider('tfjs-cpu');
    const providers = [fakeProvider('tfjs-wasm', new Error('CompileError: bad magic')), cpu];
    await expect(resolveBackend('tfjs-wasm', providers, yes)).rejects.toThrow(
      "backend 'tfjs-wasm' is not available: CompileError: bad magic",
    );
    await expect(resolveBackend('assemblyscript', [fakeProvider('assemblyscript')], no)).rejects.toThrow(
      "backend 'assemblyscript' is not available: no WebAssembly SIMD",
    );
    await expect(resolveBackend('tfjs-cpu', [fakeProvider('tfjs-wasm')], yes)).rejects.toThrow(
      "backend 'tfjs-cpu' is not available: it is not provided on this platform",
    );
    expect(cpu.loads).toBe(0);
  });

  it('should reject an unknown choice as a ConfigError', async () => {
    await expect(resolveBackend('gpu' as never, [], yes)).rejects.toBeInstanceOf(ConfigError);
  });

  it('should load a memoised provider once, and retry one that failed', async () => {
    const as = fakeProvider('assemblyscript');
    const memoised = memoisedProvider(as);
    const first = await resolveBackend('auto', [memoised], yes);
    const second = await resolveBackend('assemblyscript', [memoised], yes);
    expect(second.backend).toBe(first.backend);
    expect(as.loads).toBe(1);

    let fail = true;
    const flaky = memoisedProvider({
      name: 'tfjs-cpu',
      load: async () => {
        if (fail) throw new Error('not yet');
        return { name: 'tfjs-cpu', createSession: () => { throw new Error('fake'); } };
      },
    });
    await expect(resolveBackend('tfjs-cpu', [flaky], yes)).rejects.toThrow('not yet');
    fail = false;
    expect((await resolveBackend('tfjs-cpu', [flaky], yes)).report.chosen).toBe('tfjs-cpu');
  });

  it('should share one load among concurrent calls of a memoised provider, and cache nothing itself', async () => {
    const cpu = fakeProvider('tfjs-cpu');
    const memoised = memoisedProvider(cpu);
    const [a, b] = await Promise.all([resolveBackend('tfjs-cpu', [memoised], yes), resolveBackend('auto', [memoised], yes)]);
    expect(a.backend).toBe(b.backend);
    expect(cpu.loads).toBe(1);
    // an unmemoised provider is asked each time: resolveBackend keeps no cache of its own
    const plain = fakeProvider('tfjs-cpu');
    await resolveBackend('tfjs-cpu', [plain], yes);
    await resolveBackend('tfjs-cpu', [plain], yes);
    expect(plain.loads).toBe(2);
  });

  it('should probe SIMD only when assemblyscript is a candidate', async () => {
    let probes = 0;
    const probe = () => {
      probes++;
      return true;
    };
    await resolveBackend('auto', [fakeProvider('tfjs-cpu')], probe);
    await resolveBackend('tfjs-cpu', [fakeProvider('tfjs-cpu')], probe);
    expect(probes).toBe(0);
  });
});

describe('loadNodeBackend', () => {
  it('should load the real tfjs backends by name', async () => {
    for (const name of ['tfjs-wasm', 'tfjs-cpu'] as const) {
      const { backend, report } = await loadNodeBackend(name);
      expect(backend.name).toBe(name);
      expect(report).toEqual({ requested: name, chosen: name, skipped: [], threads: { requested: 'auto', used: 1, reason: `the ${name} backend runs on one thread` } });
      // Cached per provider: the same backend object the second time.
      expect((await loadNodeBackend(name)).backend).toBe(backend);
    }
  });

  it('should resolve auto to a working backend and explain any skips', async () => {
    const { backend, report } = await loadNodeBackend('auto');
    expect(report.chosen).toBe(backend.name);
    for (const skip of report.skipped) expect(skip.reason).not.toBe('');
    const session = backend.createSession(
      { inputSize: 2, hiddenSize: 3 },
      { W1: new Float32Array(6), b1: new Float32Array(3), W2: new Float32Array(6), b2: new Float32Array(2) },
    );
    expect(Array.from(session.forward(new Float32Array([0, 1]), 1).hidden)).toEqual([0.5, 0.5, 0.5]);
    session.dispose();
  });
});
