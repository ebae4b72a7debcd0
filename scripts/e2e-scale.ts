/**
 * `npm run e2e:scale`: data larger than an isolate, end to end through a real `wrangler dev`
 * (issue 15). Too long for `npm test`; its figures go into bench/e2e-scale.json and the README.
 *
 *  1. A raw float32 file of ROWS × COLS (default 2,000,000 × 64: 128 M numbers, 512 MB) is
 *     generated from a seed, a block at a time (never whole in memory).
 *  2. `edge-sae upload` sends it as a dataset in parts.
 *  3. `edge-sae job` starts a 2-epoch job on it; once the job is part way through its first
 *     epoch, wrangler dev is killed (SIGKILL to its process group: workerd dies without warning),
 *     started again on the same state, and `edge-sae job --follow --wait` follows the job, which
 *     resumes from its last checkpoint, to its end.
 *  4. `edge-sae train` trains on the same file with the same options (streamed from disk).
 *  5. A batch encode of the whole dataset with the job's model, wrangler dev killed again a third
 *     of the way through, resumed; its codes, downloaded as raw float32, must equal the library's
 *     `model.encode` of every row bit for bit.
 *     Throughout the job (before the kill and after the restart) its status is read every second,
 *     each answer's latency recorded; every answer must come within STATUS_BOUND_MS
 *     (docs/JOBS.md, Answering while running), and the longest slice's wall time is taken from
 *     wrangler dev's `job.slice` log lines.
 *  6. The job's model must equal the CLI's bit for bit (weights, Adam state, normalisation, loss
 *     history, metrics); the resident memory of each CLI run and of workerd is sampled every
 *     250 ms from /proc (workerd's alone, without wrangler's own Node), and the CLI's peak must
 *     stay under 300 MB.
 *
 *   npm run e2e:scale                 # 2,000,000 × 64
 *   SCALE_ROWS=200000 npm run e2e:scale   # a quicker look (figures are not written)
 *   SCALE_OUT=bench/other.json npm run e2e:scale   # the figures written there instead
 *   SCALE_SKIP_ENCODE=1 npm run e2e:scale          # steps 1–4 and 6 only (no batch encode)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDataSource } from '../src/data/open-data-source.js';
import { shardRowCount } from '../src/data/shard-source.js';
import { loadModel } from '../src/index.js';
import { SeededRandom } from '../src/model/random.js';
import { DEV_ADMIN_TOKEN, killAllWranglerDev, sleep, startWranglerDev, type DevServer } from '../test/helpers/wrangler-dev.js';
import { REPO_ROOT } from '../test/helpers/cli.js';
import { treeRssMb } from '../test/helpers/process-rss.js';

const DEFAULT_ROWS = 2_000_000;
const ROWS = Number(process.env.SCALE_ROWS ?? DEFAULT_ROWS);
const COLS = 64;
const TRAINING = ['--hidden', '32', '--epochs', '2', '--batch-size', '1024', '--seed', '11', '--learning-rate', '0.001'];
const CLI_RSS_BOUND_MB = 300;
/** The bound docs/JOBS.md states on a status read while a job runs (JOB_SLICE_MS, 1 s). */
const STATUS_BOUND_MS = 1000;
export const RESULTS = join(REPO_ROOT, 'bench', 'e2e-scale.json');

/** Samples the peak resident memory of a process tree until stopped. */
function sampler(pid: () => number | undefined, only?: string): { stop(): number } {
  let peak = 0;
  const timer = setInterval(() => {
    const p = pid();
    if (p !== undefined) peak = Math.max(peak, treeRssMb(p, only));
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/**
 * Reads a job's status every second until stopped, recording each answer's latency (a read the
 * kill cut off is counted apart, not as a latency).
 */
function statusPoller(base: () => string, id: string): { stop(): Promise<{ latencies: number[]; cutOff: number }> } {
  const latencies: number[] = [];
  let cutOff = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const tick = performance.now();
      try {
        const res = await fetch(`${base()}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` }, signal: AbortSignal.timeout(120_000) });
        await res.arrayBuffer();
        if (res.ok) latencies.push(performance.now() - tick);
        else cutOff++;
      } catch {
        cutOff++;
      }
      await sleep(Math.max(0, 1000 - (performance.now() - tick)));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { latencies, cutOff };
    },
  };
}

/** A `job.slice` log line: its wall time, phase and what the time went on (src/api/jobs/slice-stats.ts). */
type SliceLine = { wallMs: number; phase?: string } & Record<string, unknown>;

/** The `job.slice` log lines of job `id` in a wrangler dev log. */
function sliceLines(log: string, id: string): SliceLine[] {
  return log
    .split('\n')
    .filter((line) => line.includes('"event":"job.slice"') && line.includes(id))
    .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as SliceLine);
}

/** The slice with the longest wall time, without the fields every slice has alike. */
function longestSlice(slices: SliceLine[]): Record<string, unknown> | null {
  const longest = slices.reduce<SliceLine | null>((a, b) => (a === null || b.wallMs > a.wallMs ? b : a), null);
  if (longest === null) return null;
  const { event: _event, job: _job, budgetMs: _budget, flops: _flops, ...rest } = longest;
  return rest;
}

/** Runs the CLI (the built bin when there is one), sampling its memory; returns stdout and the peak RSS. */
async function cli(args: string[]): Promise<{ stdout: string; seconds: number; peakRssMb: number }> {
  const bin = join(REPO_ROOT, 'bin', 'edge-sae.js');
  const command = existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'))
    ? [bin]
    : [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO_ROOT, 'src', 'cli', 'main.ts')];
  const started = performance.now();
  const child = spawn(process.execPath, [...command, ...args], { cwd: REPO_ROOT, env: { ...process.env, EDGE_SAE_TOKEN: DEV_ADMIN_TOKEN, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const memory = sampler(() => child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    process.stderr.write(chunk);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const peakRssMb = memory.stop();
  if (code !== 0) throw new Error(`edge-sae ${args[0]} exited ${code}: ${stderr.slice(-2000)}`);
  return { stdout, seconds: (performance.now() - started) / 1000, peakRssMb };
}

async function writeData(file: string): Promise<void> {
  const rng = new SeededRandom(20261203);
  const handle = await open(file, 'w');
  const blockRows = 65_536;
  try {
    for (let row = 0; row < ROWS; row += blockRows) {
      const block = new Float32Array(Math.min(blockRows, ROWS - row) * COLS);
      for (let k = 0; k < block.length; k++) block[k] = rng.nextFloat() * 2 - 1;
      await handle.write(new Uint8Array(block.buffer));
    }
  } finally {
    await handle.close();
  }
}

interface JobView {
  id: string;
  status: string;
  step: number;
  epoch: number;
  totalSteps: number;
  modelId: string | null;
}

async function getJob(base: string, id: string): Promise<JobView> {
  const res = await fetch(`${base}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`GET job: ${res.status} ${await res.text()}`);
  return (await res.json()) as JobView;
}

interface EncodeJobView {
  id: string;
  status: string;
  shardsDone: number;
  shardCount: number;
  outputDatasetId: string | null;
}

async function get<T>(base: string, route: string): Promise<T> {
  const res = await fetch(base + route, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`GET ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function post<T>(base: string, route: string, json: unknown): Promise<T> {
  const res = await fetch(base + route, { method: 'POST', headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(json) });
  if (!res.ok) throw new Error(`POST ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Streams a download into `file`; returns the bytes received (an error in the stream is thrown). */
async function downloadTo(url: string, file: string): Promise<number> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  const out = await open(file, 'w');
  let bytes = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await out.write(chunk);
      bytes += chunk.length;
    }
  } finally {
    await out.close();
  }
  return bytes;
}

/**
 * Whether the downloaded codes equal the library's encode of every row, bit for bit, shard by
 * shard; says where the first difference is when they do not.
 */
async function codesMatchEncode(modelFile: unknown, dataFile: string, codesFile: string): Promise<boolean> {
  const model = await loadModel(modelFile, { backend: 'assemblyscript' });
  const data = await openDataSource(dataFile, COLS);
  const codes = await open(codesFile, 'r');
  try {
    const { shards } = data;
    let offset = 0;
    for (let index = 0; index < shards.shardCount; index++) {
      const rows = shardRowCount(shards, index);
      const expected = model.encode({ rows, cols: COLS, data: await shards.readShard(index) }).data;
      const got = new Uint8Array(expected.byteLength);
      const { bytesRead } = await codes.read(got, 0, got.length, offset);
      offset += got.length;
      const want = new Uint8Array(expected.buffer, expected.byteOffset, expected.byteLength);
      if (bytesRead !== got.length || !Buffer.from(got).equals(want)) {
        const at = got.findIndex((byte, i) => byte !== want[i]);
        const hidden = expected.length / rows;
        console.error(`codes differ in input shard ${index}: read ${bytesRead} of ${got.length} bytes; first difference at row ${index * shards.shardRows + Math.floor(at / 4 / hidden)}, unit ${Math.floor(at / 4) % hidden}`);
        return false;
      }
    }
    return (await codes.stat()).size === offset;
  } finally {
    model.dispose();
    await data.close();
    await codes.close();
  }
}

/**
 * Step 5: a batch encode of the whole dataset with the job's model, wrangler dev killed a third of
 * the way through and started again (`setServer` takes the new one); its codes, downloaded, must
 * equal model.encode's of every row.
 */
async function batchEncode(
  dir: string,
  modelId: string,
  datasetId: string,
  file: string,
  fromJob: unknown,
  state: string,
  setServer: (server: DevServer) => void,
  server: () => DevServer,
): Promise<{ encodeShards: number; encodeKilledAtShard: number; encodeSeconds: number; encodeRowsPerSecond: number; codesEqualEncode: boolean }> {
  const encodeStarted = performance.now();
  let encodeJob = await post<EncodeJobView>(server().base, `/v1/models/${modelId}/encode-jobs`, { datasetId });
  for (;;) {
    encodeJob = await get<EncodeJobView>(server().base, `/v1/encode-jobs/${encodeJob.id}`);
    if (encodeJob.status !== 'queued' && encodeJob.status !== 'running') throw new Error(`the encode job ended before the kill: ${JSON.stringify(encodeJob)}`);
    if (encodeJob.shardsDone >= 0.3 * encodeJob.shardCount) break;
    await sleep(50);
  }
  await server().kill();
  const encodeKilledAt = encodeJob.shardsDone;
  console.error(`killed wrangler dev with ${encodeKilledAt} of ${encodeJob.shardCount} shards of codes written`);
  setServer(await startWranglerDev(state));
  while (encodeJob.status === 'queued' || encodeJob.status === 'running') {
    await sleep(200);
    encodeJob = await get<EncodeJobView>(server().base, `/v1/encode-jobs/${encodeJob.id}`);
  }
  if (encodeJob.status !== 'succeeded') throw new Error(`the encode job did not succeed: ${JSON.stringify(encodeJob)}`);
  const encodeSeconds = (performance.now() - encodeStarted) / 1000;
  const codesFile = join(dir, 'codes.f32');
  const expectedBytes = ROWS * 32 * 4;
  const downloaded = await downloadTo(`${server().base}/v1/datasets/${encodeJob.outputDatasetId}/download?format=f32`, codesFile);
  if (downloaded !== expectedBytes) {
    // Say so, with the server's side of it, rather than compare a short file.
    console.error(`the download ended at ${downloaded} of ${expectedBytes} bytes; wrangler dev's log:\n${server().log().slice(-4000)}`);
    throw new Error(`the codes download was short: ${downloaded} of ${expectedBytes} bytes`);
  }
  const codesEqual = await codesMatchEncode(fromJob, file, codesFile);
  return {
    encodeShards: encodeJob.shardCount,
    encodeKilledAtShard: encodeKilledAt,
    encodeSeconds: round(encodeSeconds),
    encodeRowsPerSecond: Math.round(ROWS / encodeSeconds),
    codesEqualEncode: codesEqual,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-sae-scale-'));
  const state = join(dir, 'wrangler-state');
  const file = join(dir, 'data.f32');
  let server: DevServer | undefined;
  const loadAtStart = loadavg();
  try {
    console.error(`generating ${ROWS} × ${COLS} (${(ROWS * COLS * 4) / 1e6} MB) …`);
    await writeData(file);

    server = await startWranglerDev(state);
    const workerd = () => sampler(() => server?.child.pid, 'workerd');

    let memory = workerd();
    const uploaded = await cli(['upload', '--data', file, '--cols', String(COLS), '--api', server.base, '--json']);
    const uploadWorkerdMb = memory.stop();
    const dataset = JSON.parse(uploaded.stdout) as { id: string; shardCount: number };
    console.error(`uploaded in ${uploaded.seconds.toFixed(1)} s: ${JSON.stringify(dataset)}`);

    const started = await cli(['job', '--api', server.base, '--dataset', dataset.id, ...TRAINING, '--json', '--quiet']);
    const job = JSON.parse(started.stdout) as JobView;
    const jobStarted = performance.now();
    const stepsPerEpoch = job.totalSteps / 2;
    memory = workerd();
    let base = server.base;
    const poller = statusPoller(() => base, job.id);
    let seen: JobView;
    for (;;) {
      seen = await getJob(server.base, job.id);
      if (seen.status !== 'queued' && seen.status !== 'running') throw new Error(`the job ended before the kill: ${JSON.stringify(seen)}`);
      if (seen.step >= 0.4 * stepsPerEpoch) break;
      await sleep(100);
    }
    await server.kill();
    const beforeKillWorkerdMb = memory.stop();
    const slices = sliceLines(server.log(), job.id);
    console.error(`killed wrangler dev at step ${seen.step} of ${job.totalSteps} (epoch 1 of 2)`);

    server = await startWranglerDev(state);
    base = server.base;
    memory = workerd();
    const followed = await cli(['job', '--api', server.base, '--follow', job.id, '--wait', '--json']);
    const afterKillWorkerdMb = memory.stop();
    const status = await poller.stop();
    slices.push(...sliceLines(server.log(), job.id));
    const sorted = [...status.latencies].sort((a, b) => a - b);
    const jobSeconds = (performance.now() - jobStarted) / 1000;
    const ended = JSON.parse(followed.stdout) as JobView;
    if (ended.status !== 'succeeded') throw new Error(`the job did not succeed: ${followed.stdout}`);

    const exported = await fetch(`${server.base}/v1/models/${ended.modelId}/export?format=json`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
    const fromJob = (await exported.json()) as Record<string, unknown>;

    // A batch encode of the whole dataset with that model, killed mid-run too.
    const encode = process.env.SCALE_SKIP_ENCODE ? null : await batchEncode(dir, ended.modelId!, dataset.id, file, fromJob, state, (next) => (server = next), () => server!);
    await server?.stop();
    server = undefined;

    const local = join(dir, 'local.json');
    const trained = await cli(['train', '--data', file, '--cols', String(COLS), '--out', local, ...TRAINING, '--json', '--quiet']);
    const fromCli = JSON.parse(readFileSync(local, 'utf8')) as Record<string, unknown>;
    const fields = ['normalization', 'encoder', 'decoder', 'optimizerState', 'lossHistory', 'metrics', 'config'];
    const differing = fields.filter((field) => JSON.stringify(fromJob[field]) !== JSON.stringify(fromCli[field]));

    const figures = {
      date: new Date().toISOString(),
      rows: ROWS,
      cols: COLS,
      fileMB: (ROWS * COLS * 4) / 1e6,
      shards: dataset.shardCount,
      training: TRAINING.join(' '),
      uploadSeconds: round(uploaded.seconds),
      uploadMBps: round((ROWS * COLS * 4) / 1e6 / uploaded.seconds),
      uploadCliPeakRssMb: round(uploaded.peakRssMb),
      uploadWorkerdPeakRssMb: round(uploadWorkerdMb),
      killedAtStep: seen.step,
      totalSteps: job.totalSteps,
      jobSeconds: round(jobSeconds),
      jobSlices: slices.length,
      jobMetricsSlices: slices.filter((slice) => slice.phase === 'metrics').length,
      longestSliceMs: Math.max(...slices.map((slice) => slice.wallMs)),
      longestStepsSliceMs: Math.max(...slices.filter((slice) => slice.phase === 'steps').map((slice) => slice.wallMs)),
      longestMetricsSliceMs: Math.max(...slices.filter((slice) => slice.phase === 'metrics').map((slice) => slice.wallMs)),
      slicesOverBudget: slices.filter((slice) => slice.wallMs > 1000).length,
      longestSlice: longestSlice(slices),
      overBudget: slices.filter((slice) => slice.wallMs > 1000).map((slice) => longestSlice([slice])),
      // The machine's load (1, 5, 15 minutes) when the run began and when it ended: the slices' wall times depend on it.
      loadAverageAtStart: loadAtStart.map((x) => round(x)),
      loadAverageAtEnd: loadavg().map((x) => round(x)),
      statusReads: sorted.length,
      statusReadsCutByKill: status.cutOff,
      statusMedianMs: round(sorted[sorted.length >> 1] ?? NaN),
      statusP99Ms: round(sorted[Math.floor(sorted.length * 0.99)] ?? NaN),
      statusMaxMs: round(sorted.at(-1) ?? NaN),
      workerdPeakRssMb: round(Math.max(beforeKillWorkerdMb, afterKillWorkerdMb)),
      cliTrainSeconds: round(trained.seconds),
      cliTrainRowsPerSecond: Math.round((ROWS * 2) / trained.seconds),
      cliTrainPeakRssMb: round(trained.peakRssMb),
      jobModelEqualsCli: differing.length === 0,
      differingFields: differing,
      ...(encode ?? {}),
    };
    console.log(JSON.stringify(figures, null, 2));
    if (ROWS === DEFAULT_ROWS) writeFileSync(process.env.SCALE_OUT ? join(REPO_ROOT, process.env.SCALE_OUT) : RESULTS, `${JSON.stringify(figures, null, 2)}\n`);
    if (differing.length > 0) throw new Error(`the job's model differs from the CLI's in ${differing.join(', ')}`);
    if (encode && !encode.codesEqualEncode) throw new Error("the batch encode's codes differ from model.encode's");
    if (figures.statusMaxMs > STATUS_BOUND_MS) throw new Error(`a status read took ${figures.statusMaxMs} ms while the job ran, over the ${STATUS_BOUND_MS} ms bound`);
    for (const [what, mb] of [['upload', uploaded.peakRssMb], ['train', trained.peakRssMb]] as const) {
      if (mb > CLI_RSS_BOUND_MB) throw new Error(`edge-sae ${what} peaked at ${mb.toFixed(0)} MB resident, over the ${CLI_RSS_BOUND_MB} MB bound`);
    }
  } finally {
    await server?.stop();
    killAllWranglerDev();
    if (process.env.SCALE_KEEP) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
