/**
 * `npx tsx --expose-gc scripts/wasm-memory-probe.ts`: what the AssemblyScript backend's wasm memories do
 * over many encodes and many sessions (issue 24 item 12: workerd's memory rising and not coming back).
 * Prints the process's RSS and ArrayBuffer bytes (wasm memories count there) after each phase.
 */
import { loadKernelModule } from '../src/backends/assemblyscript/module-node.js';
import { createAssemblyScriptBackend } from '../src/backends/assemblyscript/loader.js';
import { initialParameters } from '../src/model/initialization.js';

const backend = createAssemblyScriptBackend(await loadKernelModule());
const mb = (n: number): string => (n / 1048576).toFixed(0);
const INPUT = 64;
const HIDDEN = Number(process.env.PROBE_HIDDEN ?? 512);
const data = (rows: number): Float32Array => new Float32Array(rows * INPUT).map(() => Math.random());
const shape = { inputSize: INPUT, hiddenSize: HIDDEN };
const params = initialParameters(shape, 1);
const open = (): { session: unknown; encode: (x: Float32Array) => unknown; dispose: () => void } => {
  const session = backend.createSession(shape, params);
  return { session, encode: (x) => session.forward(x, x.length / INPUT), dispose: () => session.dispose() };
};
const gc = (globalThis as { gc?: () => void }).gc;
function report(label: string): void {
  gc?.();
  const m = process.memoryUsage();
  console.log(`${label.padEnd(48)} rss ${mb(m.rss)} MB, array buffers ${mb(m.arrayBuffers)} MB`);
}

report('start');
const cached = open();
report('one model');
for (const rows of [64, 1000, 10_000]) {
  cached.encode(data(rows));
  report(`after an encode of ${rows} rows (same model)`);
}
for (let i = 0; i < 200; i++) cached.encode(data(64));
report('after 200 encodes of 64 rows (same model)');
const small = data(64);
// Counts disposed sessions the collector has freed (their wasm memory with them).
let freed = 0;
const registry = new FinalizationRegistry(() => freed++);
for (let i = 0; i < 200; i++) {
  const model = open();
  registry.register(model, i);
  model.encode(i % 20 === 0 ? data(10_000) : small);
  model.dispose();
}
report('after 200 models created, used, disposed');
for (let i = 0; i < 5; i++) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc?.();
}
console.log(`disposed sessions freed by the collector: ${freed} of 200`);
cached.dispose();
report('after disposing the first');
