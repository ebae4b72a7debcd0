/**
 * tfjs's one global engine, shared by every tfjs session in the process.
 *
 * tfjs-core keeps a single engine with a single active backend, and `tf.setBackend` is async
 * whenever the backend has not been initialised yet. While such an initialisation is pending,
 * every op on *any* backend throws ("Backend … has not yet been initialized"), so letting the
 * engine initialise backends lazily would break a session of one kind that runs while a backend
 * of the other kind is being loaded. Instead:
 *
 * 1. `installTfjsBackend` runs the backend's registered factory itself (or the start function it
 *    is given, see register-worker.ts; so a failure surfaces as a real Error with its message,
 *    instead of being logged and turned into `false`), then re-registers the backend under the
 *    same name with a factory that returns that ready instance synchronously. Installations are
 *    serialised through one promise chain, and a backend the engine already holds is kept (its
 *    sessions' memory lives in it).
 * 2. `activateTfjsBackend` switches the engine before a session runs ops. For an installed
 *    backend `engine.setBackend` never reaches an `await`, so the switch has happened when the
 *    call returns (its promise is ignored); we check that it did.
 *
 * Kernels are registered per backend name (by the backend package's import), not per factory,
 * so replacing the factory keeps them.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The tfjs names of the backends we use. */
export type TfjsBackendName = 'wasm' | 'cpu';

let installing: Promise<unknown> = Promise.resolve();

/**
 * Initialises the tfjs backend `tfName` — with `start`, or else its registered factory — unless
 * the engine already holds one, and makes it switchable synchronously. Returns the backend
 * instance; throws with the backend's own error when it cannot start.
 */
export function installTfjsBackend(tfName: TfjsBackendName, start?: () => Promise<tf.KernelBackend>): Promise<tf.KernelBackend> {
  const next = installing.then(async () => {
    const ready = installedInstance(tfName);
    if (ready !== undefined) return ready;
    const factory = start ?? tf.findBackendFactory(tfName);
    if (factory == null) {
      throw new Error(`tfjs backend '${tfName}' is not registered (its package was not imported)`);
    }
    const instance = await factory();
    putInstance(tfName, instance);
    return instance;
  });
  // A failed installation must not block later ones.
  installing = next.catch(() => undefined);
  return next;
}

/**
 * Registers an already-initialised backend instance under `tfName`, replacing any factory
 * registered there (and disposing an instance the engine had initialised under that name).
 */
function putInstance(tfName: string, instance: tf.KernelBackend): void {
  const engine = tf.engine();
  const registration = engine.registryFactory[tfName];
  const priority = registration?.priority ?? 1;
  if (registration != null) {
    if (engine.registry[tfName] === instance) return;
    tf.removeBackend(tfName);
  }
  tf.registerBackend(tfName, () => instance, priority);
  // With a synchronous factory, findBackend puts the instance in the engine's registry now,
  // without switching the active backend.
  if (tf.findBackend(tfName) !== instance) {
    throw new Error(`could not install the tfjs '${tfName}' backend in the engine`);
  }
  quietCpuBackend(instance);
}

/** The instance the engine holds for `tfName`, if it was initialised. */
function installedInstance(tfName: string): tf.KernelBackend | undefined {
  return tf.engine().registry[tfName] ?? undefined;
}

/**
 * Makes `tfName` (holding `instance`) the engine's active backend, synchronously.
 * Throws if the engine does not end up on that instance (e.g. someone removed the backend).
 */
export function activateTfjsBackend(tfName: string, instance: tf.KernelBackend): void {
  const engine = tf.engine();
  if (engine.backendName === tfName && engine.registry[tfName] === instance) return;
  if (engine.registry[tfName] !== instance) {
    // The engine lost (or never had) our instance: give it back.
    putInstance(tfName, instance);
  }
  // Does not await for an installed backend: the switch is done when the call returns.
  void engine.setBackend(tfName);
  if (engine.backendName !== tfName || engine.backend !== instance) {
    throw new Error(`could not switch the tfjs engine to its '${tfName}' backend`);
  }
}

/**
 * tfjs-backend-cpu prints a "looks like you are running TensorFlow.js in Node.js, install
 * tfjs-node" banner on first use; this project's fast path is its own wasm backend, not
 * tfjs-node, so the advice is wrong here. The flag is a plain field of MathBackendCPU.
 */
function quietCpuBackend(instance: tf.KernelBackend): void {
  const cpu = instance as unknown as { firstUse?: boolean };
  if (typeof cpu.firstUse === 'boolean') cpu.firstUse = false;
}
