/**
 * `npx tsx scripts/workerd-memory.ts`: workerd's resident memory under repeated load, then at
 * idle (issue 24: "99 → 314 MB over the run, never came down: high-water mark or leak?").
 *
 * A real `wrangler dev` on a fresh state runs ROUNDS identical rounds; each uploads a dataset
 * (20,000 × 64 float32, 5 MB), trains a job on it (hidden 32, 2 epochs), sends 200 encodes of 64
 * rows (8 at a time) and 200 status reads, downloads the dataset, and deletes the model and the
 * dataset. workerd's RSS (its processes only, from /proc) is sampled every 250 ms; after each round
 * the RSS and the round's peak are recorded, then IDLE_SECONDS of idle are sampled every 5 s.
 * A leak grows by about the same amount every identical round; a high-water mark rises in the
 * first rounds and then stays flat (the V8 heap and allocator keep pages they had once, and
 * reuse them).
 *
 *   npx tsx scripts/workerd-memory.ts              # 12 rounds, 60 s idle → bench/workerd-memory.json
 *   MEMORY_ROUNDS=4 MEMORY_IDLE_SECONDS=10 npx tsx scripts/workerd-memory.ts   # a quick look (not written)
 *   MEMORY_ROUNDS=30 MEMORY_OUT=bench/workerd-memory-30.json npx tsx scripts/workerd-memory.ts   # written there
 *   MEMORY_LOAD=jobs …       # each round only the dataset, the job, the download and the deletes
 *   MEMORY_LOAD=requests …   # each round only the 200 encodes and 200 status reads, on one model and job made once
 *   MEMORY_LOAD=requests MEMORY_REQUESTS=encodes|reads|health …   # only the encodes, only the reads, or 400 GET /healthz
 *   MEMORY_HEAP=1 …   # also the Worker isolate's V8 heap after each round and at the end of the idle,
 *                     # before and after a full collection, through the inspector (scripts/inspector.ts),
 *                     # with the heap snapshot's largest kinds of object
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SeededRandom } from '../src/model/random.js';
import { REPO_ROOT } from '../test/helpers/cli.js';
import { treeRssMb } from '../test/helpers/process-rss.js';
import { DEV_ADMIN_TOKEN, freePort, killAllWranglerDev, sleep, startWranglerDev } from '../test/helpers/wrangler-dev.js';
import { connectInspector, summariseSnapshot, type Inspector } from './inspector.js';

const DEFAULT_ROUNDS = 12;
const ROUNDS = Number(process.env.MEMORY_ROUNDS ?? DEFAULT_ROUNDS);
const IDLE_SECONDS = Number(process.env.MEMORY_IDLE_SECONDS ?? 60);
const ROWS = 20_000;
const COLS = 64;
const RESULTS = join(REPO_ROOT, 'bench', 'workerd-memory.json');
/** Which part of a round runs: all of it, the jobs part, or the requests part (see the file comment). */
const LOAD = (process.env.MEMORY_LOAD ?? 'all') as 'all' | 'jobs' | 'requests';
/** Which requests the requests part sends: both kinds, only the encodes, only the status reads, or 400 GET /healthz (no work of ours). */
const REQUESTS = (process.env.MEMORY_REQUESTS ?? 'both') as 'both' | 'encodes' | 'reads' | 'health';

/** Read the isolate's heap through the inspector after each round (file comment). */
const HEAP = process.env.MEMORY_HEAP === '1';

interface HeapFigures {
  /** V8's heap of the Worker's isolate (Runtime.getHeapUsage), used and allocated, and ArrayBuffer backing stores, MB. */
  usedMb: number;
  totalMb: number;
  backingMb: number;
  /** The same after a full collection (a heap snapshot collects first), and workerd's RSS then. */
  usedAfterGcMb: number;
  totalAfterGcMb: number;
  backingAfterGcMb: number;
  rssAfterGcMb: number;
  /** The snapshot's live objects: their self sizes summed, and the largest kinds. */
  snapshot: ReturnType<typeof summariseSnapshot>;
}

const mb = (bytes: number) => round2(bytes / 2 ** 20);

interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize?: number;
}

/**
 * The heap before and after a full collection, and the RSS after it. workerd's inspector does not
 * answer HeapProfiler.collectGarbage, but a heap snapshot collects before it counts.
 */
async function heapFigures(inspector: Inspector, rss: () => number): Promise<HeapFigures> {
  const before = await inspector.send<HeapUsage>('Runtime.getHeapUsage');
  const snapshot = summariseSnapshot(await inspector.snapshot(), 8);
  const after = await inspector.send<HeapUsage>('Runtime.getHeapUsage');
  return {
    usedMb: mb(before.usedSize),
    totalMb: mb(before.totalSize),
    backingMb: mb(before.backingStorageSize ?? NaN),
    usedAfterGcMb: mb(after.usedSize),
    totalAfterGcMb: mb(after.totalSize),
    backingAfterGcMb: mb(after.backingStorageSize ?? NaN),
    rssAfterGcMb: round2(rss()),
    snapshot,
  };
}

const auth = { authorization: `Bearer ${DEV_ADMIN_TOKEN}` };

async function request(base: string, path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(base + path, { ...init, headers: { ...auth, ...(init.headers ?? {}) }, signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

/** Runs `count` calls of `call`, `width` at a time. */
async function concurrently(count: number, width: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await call(next++);
  }));
}

/** A dataset and a finished job on it (its model); the data too. */
async function datasetAndJob(base: string, seed: number): Promise<{ data: Float32Array; datasetId: string; jobId: string; modelId: string }> {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(ROWS * COLS);
  for (let k = 0; k < data.length; k++) data[k] = rng.nextFloat() * 2 - 1;
  const dataset = (await (await request(base, `/v1/datasets?rows=${ROWS}&cols=${COLS}`, { method: 'POST', body: new Uint8Array(data.buffer), headers: { 'content-type': 'application/octet-stream' } })).json()) as { id: string };
  let job = (await (await request(base, '/v1/jobs', json({ datasetId: dataset.id, config: { hiddenSize: 32 }, training: { epochs: 2, batchSize: 256, seed } }))).json()) as { id: string; status: string; modelId: string | null };
  while (job.status === 'queued' || job.status === 'running') {
    await sleep(200);
    job = (await (await request(base, `/v1/jobs/${job.id}`)).json()) as typeof job;
  }
  if (job.status !== 'succeeded' || !job.modelId) throw new Error(`job ${job.id} ended ${job.status}`);
  return { data, datasetId: dataset.id, jobId: job.id, modelId: job.modelId };
}

/** The requests part of a round: 200 encodes of 64 rows and 200 status reads, 8 at a time. */
async function requests(base: string, { data, jobId, modelId }: { data: Float32Array; jobId: string; modelId: string }): Promise<void> {
  const inputs = Array.from({ length: 64 }, (_, r) => Array.from(data.subarray(r * COLS, (r + 1) * COLS)));
  if (REQUESTS === 'both' || REQUESTS === 'encodes') await concurrently(200, 8, async () => (await request(base, `/v1/models/${modelId}/encode`, json({ inputs }))).arrayBuffer());
  if (REQUESTS === 'both' || REQUESTS === 'reads') await concurrently(200, 8, async () => (await request(base, `/v1/jobs/${jobId}`)).arrayBuffer());
  if (REQUESTS === 'health') await concurrently(400, 8, async () => (await request(base, '/healthz')).arrayBuffer());
}

let kept: Awaited<ReturnType<typeof datasetAndJob>> | undefined;

async function round(base: string, seed: number): Promise<void> {
  if (LOAD === 'requests') {
    kept ??= await datasetAndJob(base, 0);
    await requests(base, kept);
    return;
  }
  const made = await datasetAndJob(base, seed);
  if (LOAD === 'all') await requests(base, made);
  await (await request(base, `/v1/datasets/${made.datasetId}/download?format=f32`)).arrayBuffer();
  await request(base, `/v1/models/${made.modelId}`, { method: 'DELETE' });
  await request(base, `/v1/datasets/${made.datasetId}`, { method: 'DELETE' });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-sae-memory-'));
  const inspectorPort = HEAP ? await freePort() : undefined;
  const server = await startWranglerDev(dir, {}, { inspectorPort });
  const rss = () => treeRssMb(server.child.pid!, 'workerd');
  const inspector = inspectorPort === undefined ? null : await connectInspector(inspectorPort);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 250);
  try {
    const startMb = rss();
    console.error(`workerd at start: ${startMb.toFixed(1)} MB`);
    const rounds: { round: number; seconds: number; rssMb: number; peakMb: number; heap?: HeapFigures }[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      peak = 0;
      const started = performance.now();
      await round(server.base, r);
      const entry = { round: r, seconds: round2((performance.now() - started) / 1000), rssMb: round2(rss()), peakMb: round2(peak), ...(inspector ? { heap: await heapFigures(inspector, rss) } : {}) };
      rounds.push(entry);
      console.error(JSON.stringify(entry));
    }
    const idle: { seconds: number; rssMb: number; heap?: HeapFigures }[] = [];
    for (let s = 0; s <= IDLE_SECONDS; s += 5) {
      idle.push({ seconds: s, rssMb: round2(rss()), ...(inspector && s === IDLE_SECONDS ? { heap: await heapFigures(inspector, rss) } : {}) });
      if (s < IDLE_SECONDS) await sleep(5000);
    }
    console.error(`idle: ${JSON.stringify(idle)}`);
    const growth = rounds.slice(1).map((entry, i) => round2(entry.rssMb - rounds[i]!.rssMb));
    const half = Math.floor(rounds.length / 2);
    const figures = {
      date: new Date().toISOString(),
      part: LOAD === 'requests' ? `requests (${REQUESTS})` : LOAD,
      load: `${ROUNDS} rounds of: a ${ROWS} × ${COLS} dataset uploaded, a job on it (hidden 32, 2 epochs), 200 encodes of 64 rows, 200 status reads, a download, the model and dataset deleted`,
      startMb: round2(startMb),
      rounds,
      growthPerRoundMb: growth,
      /** Mean growth a round over the first half of the rounds and over the second. */
      meanGrowthFirstHalfMb: round2(mean(growth.slice(0, half))),
      meanGrowthSecondHalfMb: round2(mean(growth.slice(half))),
      idle,
    };
    console.log(JSON.stringify(figures, null, 2));
    const out = process.env.MEMORY_OUT ? join(REPO_ROOT, process.env.MEMORY_OUT) : ROUNDS === DEFAULT_ROUNDS ? RESULTS : null;
    if (out) writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
  } catch (error) {
    console.error(`wrangler dev's log, last lines:\n${server.log().slice(-3000)}`);
    throw error;
  } finally {
    inspector?.close();
    clearInterval(sampler);
    await server.stop();
    killAllWranglerDev();
    rmSync(dir, { recursive: true, force: true });
  }
}

function mean(values: number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
