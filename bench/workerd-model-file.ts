/**
 * A cold encode inside workerd: a model not yet in the isolate's cache, so the encode route reads
 * it from R2, decodes it, builds its backend session and runs the first forward pass; for 16→48
 * and 784→196 (both with Adam's state, as training stores them), stored binary (as the Worker
 * stores models now) and stored as JSON (as it did before, and as models stored then still are).
 *
 * It starts the bench-only Worker bench/workerd-model-file/worker.ts (the app, plus a timing
 * route) under `wrangler dev`, imports each model through the app, and times `repeats` cold
 * encodes of one row inside the Worker (bench/workerd-model-file/worker.ts says how). Figures are
 * medians, in ms of wall time inside the isolate (no CPU clock there): the whole route, and its
 * steps by hand. On a shared machine wall time ≥ CPU time, so a figure can only err on the slow side.
 * Beside them, the CPU time of the workerd process itself (/proc, Linux only) over batches of cold
 * and of warm encode requests, per request.
 *
 * Run alone with `npx tsx bench/workerd-model-file.ts`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { DEV_ADMIN_TOKEN, startWranglerDev } from '../test/helpers/wrangler-dev.js';
import { loadNodeBackend } from '../src/backends/node-providers.js';
import { SparseAutoencoder } from '../src/model/sparse-autoencoder.js';
import { median, randomArray, type BenchRecord } from './harness.js';

const CONFIG = 'bench/workerd-model-file/wrangler.toml';
const SHAPES = [
  { inputSize: 16, hiddenSize: 48, rows: 256 },
  { inputSize: 784, hiddenSize: 196, rows: 256 },
];
const WARMUP = 5;
const REPEATS = 15;
/** Requests per CPU-time batch: workerd's CPU time is read from /proc in clock ticks (10 ms). */
const CPU_BATCH = 40;
const CLOCK_TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** The workerd processes of a wrangler dev (its process group), by /proc. */
function workerdPids(group: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      if (name.startsWith('workerd') && Number(fields[2]) === group) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** User + system CPU ms of these processes so far. */
function cpuMsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
  }
  return ticks * CLOCK_TICK_MS;
}

interface ColdSample {
  ms: number;
  status: number;
  steps: { r2Read: number; decode: number; session: number; firstForward: number };
}

export async function benchWorkerdModelFile(): Promise<BenchRecord[]> {
  const { backend } = await loadNodeBackend('assemblyscript');
  const state = await mkdtemp(join(tmpdir(), 'edge-sae-bench-model-file-'));
  const server = await startWranglerDev(state, { MODEL_CACHE_REVALIDATE_MS: '1' }, { config: CONFIG });
  const records: BenchRecord[] = [];
  try {
    for (const s of SHAPES) {
      const model = SparseAutoencoder.create(s.inputSize, { hiddenSize: s.hiddenSize }, backend, { seed: 1 });
      model.fit({ rows: s.rows, cols: s.inputSize, data: randomArray(s.rows * s.inputSize, 5, 0, 1) }, { epochs: 1 });
      const forms = { binary: model.toBinaryFile(), json: new TextEncoder().encode(JSON.stringify(model.toFile())) };
      const row = Array.from(randomArray(s.inputSize, 9, 0, 1));
      model.dispose();
      for (const [form, bytes] of Object.entries(forms)) {
        const imported = await fetch(`${server.base}/v1/models/import`, {
          method: 'POST',
          headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
          body: bytes,
        });
        if (imported.status !== 201) throw new Error(`import: ${imported.status} ${await imported.text()}`);
        const { id } = (await imported.json()) as { id: string };
        if (form === 'json') {
          // Stored as the Worker stored models before: the JSON file under the same key.
          const put = await fetch(`${server.base}/bench/store-json?id=${id}`, { method: 'POST', body: bytes });
          if (!put.ok) throw new Error(`store-json: ${put.status} ${await put.text()}`);
        }
        const samples: ColdSample[] = [];
        for (let r = 0; r < WARMUP + REPEATS; r++) {
          const res = await fetch(`${server.base}/cold-encode?id=${id}`, { method: 'POST', body: JSON.stringify({ inputs: [row] }) });
          const sample = (await res.json()) as ColdSample;
          if (sample.status !== 200) throw new Error(`cold encode of ${id}: ${sample.status}`);
          if (r >= WARMUP) samples.push(sample);
        }
        // workerd's own CPU time over a batch of cold encodes and a batch of warm ones: the
        // difference a request is what a cold encode costs beyond a warm one (R2 read, decode,
        // session), measured by the kernel's clock; the cold figure alone also holds the request's
        // HTTP handling and miniflare's R2 (an upper bound of the Worker's own).
        const pids = workerdPids(server.child.pid!);
        const batch = async (cold: boolean) => {
          const before = cpuMsOf(pids);
          for (let r = 0; r < CPU_BATCH; r++) {
            const res = await fetch(`${server.base}/encode-only?id=${id}&cold=${cold ? 1 : 0}`, { method: 'POST', body: JSON.stringify({ inputs: [row] }) });
            if (((await res.json()) as { status: number }).status !== 200) throw new Error(`encode of ${id} failed`);
          }
          return (cpuMsOf(pids) - before) / CPU_BATCH;
        };
        const cpu = { cold: [] as number[], warm: [] as number[] };
        for (let r = 0; r < 3; r++) {
          cpu.cold.push(await batch(true));
          cpu.warm.push(await batch(false));
        }
        const shape = `${s.inputSize}→${s.hiddenSize} with Adam state, stored ${form}`;
        const rec = (name: string, figure: number): BenchRecord => ({ name, backend: 'workerd (wrangler dev)', shape, figure, unit: 'ms wall' });
        const med = (f: (x: ColdSample) => number) => median(samples.map(f));
        records.push(
          rec('cold encode', med((x) => x.ms)),
          rec('cold encode: R2 read', med((x) => x.steps.r2Read)),
          rec('cold encode: decode', med((x) => x.steps.decode)),
          rec('cold encode: session', med((x) => x.steps.session)),
          rec('cold encode: first forward', med((x) => x.steps.firstForward)),
          { name: 'stored size', backend: 'workerd (wrangler dev)', shape, figure: bytes.length / 1e6, unit: 'MB' },
          { name: 'cold encode, workerd CPU', backend: 'workerd (wrangler dev)', shape, figure: median(cpu.cold), unit: 'ms CPU' },
          { name: 'warm encode, workerd CPU', backend: 'workerd (wrangler dev)', shape, figure: median(cpu.warm), unit: 'ms CPU' },
        );
      }
      console.error(`[bench] workerd model file ${s.inputSize}→${s.hiddenSize}: done`);
    }
    return records;
  } finally {
    await server.stop();
    await rm(state, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchWorkerdModelFile().then(
    (records) => console.table(records),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
