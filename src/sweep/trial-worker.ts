/**
 * One sweep trial in a worker thread (its own wasm instance): runs the trial through the library
 * (trial-run.ts), passing its progress on as messages and its summary or error at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TrialMessage, TrialSpec } from './trial-messages.js';
import { runTrial, trialFailure } from './trial-run.js';

const port = parentPort;
if (port === null) throw new Error('trial-worker.ts runs in a worker thread (src/sweep/local-sweep.ts starts it)');

try {
  const summary = await runTrial(workerData as TrialSpec, ({ epoch, epochs, loss }) => port.postMessage({ type: 'progress', epoch, epochs, loss } satisfies TrialMessage));
  port.postMessage({ type: 'done', summary } satisfies TrialMessage);
} catch (error) {
  port.postMessage({ type: 'failed', ...trialFailure(error) } satisfies TrialMessage);
}
