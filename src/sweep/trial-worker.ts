/**
 * One sweep trial in a worker thread: runs `edge-sae train` in-process with the trial's flags, so
 * a trial's model is, by construction, the model `edge-sae train` writes with the same options
 * and seed. Its JSON progress lines (train --json on a non-terminal) are passed on as messages;
 * the summary line and any error come back at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { main } from '../cli/main.js';
import type { TrialMessage, TrialWorkerData } from './trial-messages.js';

const port = parentPort;
if (port === null) throw new Error('trial-worker.ts runs in a worker thread (src/sweep/local-sweep.ts starts it)');

const { argv } = workerData as TrialWorkerData;
let stdout = '';
let stderr = '';
const code = await main(argv, {
  stdout: (text) => void (stdout += text),
  stderr: (text) => {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const progress = progressOf(line);
      if (progress) port.postMessage(progress satisfies TrialMessage);
      else stderr += `${line}\n`;
    }
  },
  stderrIsTTY: false,
});
port.postMessage({ type: 'exit', code, stdout, stderr } satisfies TrialMessage);

function progressOf(line: string): TrialMessage | null {
  if (!line.startsWith('{')) return null;
  try {
    const event = JSON.parse(line) as { event?: string; epoch?: number; epochs?: number; loss?: number };
    if (event.event !== 'progress' || typeof event.epoch !== 'number' || typeof event.epochs !== 'number') return null;
    return { type: 'progress', epoch: event.epoch, epochs: event.epochs, loss: event.loss ?? Number.NaN };
  } catch {
    return null;
  }
}
