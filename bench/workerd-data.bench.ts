/**
 * Data through `wrangler dev` (issues 15 and 17): upload throughput of `edge-sae upload` (a raw
 * float32 file of 20,000 × 784, 62.7 MB, 15 parts), and batch encode throughput of a 784 → 196
 * model through an encode job (POST /v1/models/{id}/encode-jobs until it succeeds: every shard
 * read from R2, checked, encoded and written back, one a slice) against `model.encode` of the
 * same rows in Node, on the same machine, in one run. Wall time of the whole operation.
 *
 * Run alone with `npx tsx bench/workerd-data.bench.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadModel } from '../src/index.js';
import { isCliBuilt, runCli } from '../test/helpers/cli.js';
import { DEV_ADMIN_TOKEN, sleep, startWranglerDev } from '../test/helpers/wrangler-dev.js';
import { median, randomArray, type BenchRecord } from './harness.js';

const ROWS = 20_000;
const COLS = 784;
const HIDDEN = 196;
export const DATA_SHAPE = `${ROWS}×${COLS} float32 (${((ROWS * COLS * 4) / 1e6).toFixed(1)} MB)`;
export const ENCODE_SHAPE = `${ROWS} rows, ${COLS} → ${HIDDEN}`;

async function call<T>(base: string, route: string, json?: unknown): Promise<T> {
  const res = await fetch(base + route, {
    method: json === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function benchWorkerdData(): Promise<BenchRecord[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-bench-data-'));
  const server = await startWranglerDev(path.join(dir, 'state'));
  try {
    const values = randomArray(ROWS * COLS, 9, 0, 1);
    const file = path.join(dir, 'data.f32');
    writeFileSync(file, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));

    // Upload: the lower of two whole `edge-sae upload` runs.
    let uploadMs = Infinity;
    let datasetId = '';
    for (let run = 0; run < 2; run++) {
      const started = performance.now();
      const result = await runCli(['upload', '--data', file, '--cols', String(COLS), '--api', server.base, '--json'], {
        env: { EDGE_SAE_TOKEN: DEV_ADMIN_TOKEN, EDGE_SAE_STATE_DIR: path.join(dir, 'cli') },
        timeoutMs: 600_000,
        mode: isCliBuilt() ? 'bin' : 'tsx',
      });
      if (result.code !== 0) throw new Error(`edge-sae upload failed: ${result.stderr}`);
      uploadMs = Math.min(uploadMs, performance.now() - started);
      datasetId = (JSON.parse(result.stdout) as { id: string }).id;
    }

    // A 784 → 196 model (one epoch on a few rows: only its shape matters here).
    const trainRows = Array.from({ length: 64 }, (_, r) => Array.from(values.subarray(r * COLS, (r + 1) * COLS)));
    const model = await call<{ id: string }>(server.base, '/v1/models', { data: trainRows, config: { hiddenSize: HIDDEN }, training: { epochs: 1 } });

    const encodeMs: number[] = [];
    for (let run = 0; run < 2; run++) {
      const started = performance.now();
      let job = await call<{ id: string; status: string }>(server.base, `/v1/models/${model.id}/encode-jobs`, { datasetId });
      while (job.status === 'queued' || job.status === 'running') {
        await sleep(50);
        job = await call(server.base, `/v1/encode-jobs/${job.id}`);
      }
      if (job.status !== 'succeeded') throw new Error(`encode job ${job.status}: ${JSON.stringify(job)}`);
      encodeMs.push(performance.now() - started);
    }

    // The same rows through the library in Node, the model as stored.
    const exported = new Uint8Array(await (await fetch(`${server.base}/v1/models/${model.id}/export?format=safetensors`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } })).arrayBuffer());
    const local = await loadModel(exported, { backend: 'assemblyscript' });
    const nodeMs: number[] = [];
    for (let run = 0; run < 4; run++) {
      const started = performance.now();
      local.encode({ rows: ROWS, cols: COLS, data: values });
      nodeMs.push(performance.now() - started);
    }
    local.dispose();

    const perSecond = (ms: number) => ROWS / (ms / 1000);
    return [
      { name: 'upload through wrangler dev', backend: 'workerd', shape: DATA_SHAPE, figure: (ROWS * COLS * 4) / 1e6 / (uploadMs / 1000), unit: 'MB/s' },
      { name: 'batch encode job through wrangler dev', backend: 'workerd', shape: ENCODE_SHAPE, figure: perSecond(Math.min(...encodeMs)), unit: 'rows/s' },
      { name: 'model.encode in Node', backend: 'assemblyscript', shape: ENCODE_SHAPE, figure: perSecond(median(nodeMs.slice(1))), unit: 'rows/s' },
    ];
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const record of await benchWorkerdData()) console.log(`${record.name.padEnd(40)} ${record.figure.toFixed(1)} ${record.unit}`);
}
