/**
 * Backend choice. "auto" tries the backends fastest first — the AssemblyScript SIMD kernels,
 * then tfjs-backend-wasm, then tfjs-backend-cpu — skipping any that cannot run here and saying
 * why; an explicit choice loads only that backend and fails loudly.
 *
 * Providers say how to load a backend on a platform (see node-providers.ts for Node; the Worker
 * passes its own, built on bundled wasm modules). This module imports no backend itself.
 */
import { ConfigError } from '../errors.js';
import type { BackendChoice, BackendName, KernelBackend } from './types.js';

/**
 * How to load one backend on this platform. resolveBackend calls `load` each time it needs the
 * backend, so a provider that should load once wraps itself in `memoisedProvider` (the Node and
 * Worker providers do: the one place backend loading is cached).
 */
export interface BackendProvider {
  readonly name: BackendName;
  load(): Promise<KernelBackend>;
}

/**
 * The provider, loading once: later calls share the first load's promise; a failed load is
 * forgotten, so a later call tries again (e.g. after the kernels have been built).
 *
 * @example
 * const provider = memoisedProvider({ name: 'tfjs-cpu', load: () => createTfjsBackend('tfjs-cpu') });
 */
export function memoisedProvider(provider: BackendProvider): BackendProvider {
  let pending: Promise<KernelBackend> | undefined;
  return {
    name: provider.name,
    load() {
      if (pending === undefined) {
        const mine = Promise.resolve().then(() => provider.load());
        mine.catch(() => {
          if (pending === mine) pending = undefined;
        });
        pending = mine;
      }
      return pending;
    },
  };
}

/** What was asked for, what was used, and what was passed over on the way (and why). */
export interface BackendReport {
  requested: BackendChoice;
  chosen: BackendName;
  skipped: { name: BackendName; reason: string }[];
  /** Node: the threads sessions compute on, and why fewer than asked (src/backends/assemblyscript/threads.ts). */
  threads?: { requested: number | 'auto'; used: number; reason?: string };
}

/** The order "auto" tries backends in. */
export const AUTO_ORDER: readonly BackendName[] = ['assemblyscript', 'tfjs-wasm', 'tfjs-cpu'];

const CHOICES: readonly BackendChoice[] = ['auto', ...AUTO_ORDER];

/** The reason recorded when the AssemblyScript backend is skipped for want of SIMD. */
export const NO_SIMD_REASON = 'no WebAssembly SIMD';

/** No backend could be loaded for the choice; `skipped` lists each one tried and why it failed. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  readonly requested: BackendChoice;
  readonly skipped: { name: BackendName; reason: string }[];

  constructor(requested: BackendChoice, skipped: { name: BackendName; reason: string }[], message: string) {
    super(message);
    this.requested = requested;
    this.skipped = skipped;
  }
}

/**
 * The smallest module using a SIMD instruction: `(func (result v128) i32.const 0 i8x16.splat
 * i8x16.popcnt)` — popcnt only exists in the final SIMD proposal, so early prototypes fail too.
 * see: https://github.com/GoogleChromeLabs/wasm-feature-detect (src/detectors/simd)
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

let simdCache: boolean | undefined;

/** Whether this runtime's WebAssembly has fixed-width SIMD (probed once, then cached). */
export function simdSupported(): boolean {
  if (simdCache === undefined) {
    try {
      simdCache = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simdCache = false;
    }
  }
  return simdCache;
}

/** Loads through the provider, checking it gave the backend it is named for. */
async function loadFrom(provider: BackendProvider): Promise<KernelBackend> {
  const backend = await provider.load();
  if (backend.name !== provider.name) {
    throw new Error(`provider '${provider.name}' loaded a backend named '${backend.name}'`);
  }
  return backend;
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

/**
 * Loads the backend for `choice` from `providers`.
 *
 * - "auto": tries assemblyscript (skipped with reason "no WebAssembly SIMD" when `probe` says
 *   there is none), then tfjs-wasm, then tfjs-cpu, among the providers given; a provider whose
 *   `load` throws is skipped with its error message as the reason.
 * - a backend name: loads only that one; throws BackendUnavailableError naming the reason when
 *   it cannot (or when no provider for it exists on this platform).
 *
 * Nothing is cached here: a provider loads once when it is memoised (memoisedProvider).
 *
 * @example
 * const { backend, report } = await resolveBackend('auto', nodeBackendProviders());
 * // report: { requested: 'auto', chosen: 'assemblyscript', skipped: [] }
 */
export async function resolveBackend(
  choice: BackendChoice,
  providers: readonly BackendProvider[],
  probe: () => boolean = simdSupported,
): Promise<{ backend: KernelBackend; report: BackendReport }> {
  if (!CHOICES.includes(choice)) {
    throw new ConfigError('backend', `must be one of ${CHOICES.join(', ')}; got ${JSON.stringify(choice)}`);
  }
  const byName = new Map<BackendName, BackendProvider>();
  for (const provider of providers) if (!byName.has(provider.name)) byName.set(provider.name, provider);

  if (choice !== 'auto') {
    const provider = byName.get(choice);
    const fail = (reason: string): never => {
      throw new BackendUnavailableError(choice, [{ name: choice, reason }], `backend '${choice}' is not available: ${reason}`);
    };
    if (provider === undefined) return fail('it is not provided on this platform');
    if (choice === 'assemblyscript' && !probe()) return fail(NO_SIMD_REASON);
    try {
      const backend = await loadFrom(provider);
      return { backend, report: { requested: choice, chosen: choice, skipped: [] } };
    } catch (error) {
      return fail(reasonOf(error));
    }
  }

  const skipped: BackendReport['skipped'] = [];
  for (const name of AUTO_ORDER) {
    const provider = byName.get(name);
    if (provider === undefined) continue;
    if (name === 'assemblyscript' && !probe()) {
      skipped.push({ name, reason: NO_SIMD_REASON });
      continue;
    }
    try {
      const backend = await loadFrom(provider);
      return { backend, report: { requested: 'auto', chosen: name, skipped } };
    } catch (error) {
      skipped.push({ name, reason: reasonOf(error) });
    }
  }
  const tried = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new BackendUnavailableError(
    'auto',
    skipped,
    `no kernel backend could be loaded${tried === '' ? ' (none is provided on this platform)' : ` (${tried})`}`,
  );
}
