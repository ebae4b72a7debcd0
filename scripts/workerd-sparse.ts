/**
 * `npx tsx scripts/workerd-sparse.ts`: the largest model the Worker serves by default, imported into
 * a real `wrangler dev` and encoded with `top: 32` (issue 27, items 3–4; not part of npm test).
 *
 * Builds a relu SAE 768 → h in Node with h the largest whose inference bytes fit MAX_INFERENCE_BYTES
 * (one epoch on 256 rows, so its scaling is fitted; Adam's state dropped, as an imported SAE has
 * none), imports it (one request: the body is under MAX_MODEL_BYTES), then
 *   - encodes 64 rows with `top: 32` and compares every row's features with the library's
 *     `encodeTop` on the same model (indices equal; values within 1e-5 relative),
 *   - restarts wrangler dev on the same state, so the next encode is cold (R2 read and session
 *     built), then times warm encodes (1 row and 64 rows),
 *   - decodes the sparse answer (ranged reads of 32·64 decoder rows at most) and reads a feature,
 * sampling workerd's resident memory (its processes only) before and after each step, and records
 * the machine's load average. Written to bench/workerd-sparse.json; docs/API.md quotes it.
 *
 *   npx tsx scripts/workerd-sparse.ts
 *   SPARSE_HIDDEN=1024 npx tsx scripts/workerd-sparse.ts   # a smaller model, a quick look (not written)
 *   SPARSE_BYTES=33554432 SPARSE_OUT=bench/workerd-sparse-32mib.json npx tsx scripts/workerd-sparse.ts
 *       # the largest model of another byte budget (given to the Worker as MAX_INFERENCE_BYTES); written only with SPARSE_OUT
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LIMITS } from '../src/api/limits.js';
import { loadNodeBackend } from '../src/backends/node-providers.js';
import { inferenceBytes, toBinaryModelFile } from '../src/model/model-file-binary.js';
import { SeededRandom } from '../src/model/random.js';
import { SparseAutoencoder } from '../src/model/sparse-autoencoder.js';
import { toFeatureLists } from '../src/model/sparse-codes.js';
import { REPO_ROOT } from '../test/helpers/cli.js';
import { treeRssMb } from '../test/helpers/process-rss.js';
import { sleep, startWranglerDev, type DevServer } from '../test/helpers/wrangler-dev.js';
import { call, post } from './dev-api.js';

const N = 768;
const ROWS = 64;
const TOP = 32;
const WARM_REPEATS = 20;
const RESULTS = join(REPO_ROOT, 'bench', 'workerd-sparse.json');

/** The largest hidden size whose model's inference bytes (header included) fit MAX_INFERENCE_BYTES. */
function largestHidden(bytes: number): number {
  // 4 bytes a parameter (2·n·h + n + h) plus the two scaling vectors; the header takes the rest.
  const budget = bytes - 64 * 1024;
  return Math.floor((budget / 4 - 3 * N) / (2 * N + 1));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const hidden = process.env.SPARSE_BYTES ? largestHidden(Number(process.env.SPARSE_BYTES)) : Number(process.env.SPARSE_HIDDEN ?? largestHidden(DEFAULT_LIMITS.maxInferenceBytes));
  const rng = new SeededRandom(3);
  const train = Array.from({ length: 256 }, () => Array.from({ length: N }, () => rng.nextFloat() * 2 - 1));
  const rows = train.slice(0, ROWS);
  const { backend } = await loadNodeBackend('auto');
  const built = performance.now();
  const model = SparseAutoencoder.create(N, { architecture: 'relu', hiddenSize: hidden, normalize: 'standardize' }, backend, { seed: 1 });
  model.fit(train, { epochs: 1, batchSize: 256, seed: 1 });
  const file = toBinaryModelFile({ ...model.toState(), optimizerState: null });
  const expected = toFeatureLists(model.encodeTop(rows, TOP));
  model.dispose();
  console.error(`model 768 → ${hidden}: ${file.length} bytes (inference ${inferenceBytes(file)}; budget ${process.env.SPARSE_BYTES ?? DEFAULT_LIMITS.maxInferenceBytes}), built in ${round1((performance.now() - built) / 1000)} s`);

  const dir = mkdtempSync(join(tmpdir(), 'edge-sae-sparse-'));
  // Another byte budget (SPARSE_BYTES) is given to the Worker too, so it imports the model.
  const vars: Record<string, string> = process.env.SPARSE_BYTES ? { MAX_INFERENCE_BYTES: process.env.SPARSE_BYTES, MAX_MODEL_BYTES: String(2 * Number(process.env.SPARSE_BYTES)) } : {};
  let server: DevServer = await startWranglerDev(dir, vars);
  const rss = () => round1(treeRssMb(server.child.pid!, 'workerd'));
  let peak = 0;
  let sampler = setInterval(() => (peak = Math.max(peak, rss())), 100);
  const memory: Record<string, number> = {};
  try {
    await sleep(1000);
    memory.startMb = rss();
    peak = 0;
    let started = performance.now();
    const imported = (await (await call(server.base, '/v1/models/import', { method: 'POST', body: file, headers: { 'content-type': 'application/octet-stream' } })).json()) as { id: string };
    const importSeconds = (performance.now() - started) / 1000;
    memory.afterImportMb = rss();
    memory.importPeakMb = peak;

    const encodeTop = async (count: number) => (await (await call(server.base, `/v1/models/${imported.id}/encode`, post({ inputs: rows.slice(0, count), top: TOP }))).json()) as { features: { indices: number[]; values: number[] }[] };
    const first = await encodeTop(ROWS);
    let indexMismatches = 0;
    let worstRelative = 0;
    first.features.forEach((row, i) => {
      if (JSON.stringify(row.indices) !== JSON.stringify(expected[i]!.indices)) indexMismatches++;
      row.values.forEach((v, e) => (worstRelative = Math.max(worstRelative, Math.abs(v - expected[i]!.values[e]!) / Math.max(1e-12, Math.abs(expected[i]!.values[e]!)))));
    });
    console.error(`top-${TOP} of ${ROWS} rows: ${indexMismatches} rows differ from the library; worst relative value difference ${worstRelative.toExponential(2)}`);

    // A cold isolate: restart wrangler dev on the same state (R2 persists), then the first encode reads and builds the model.
    clearInterval(sampler);
    await server.stop();
    server = await startWranglerDev(dir, vars);
    sampler = setInterval(() => (peak = Math.max(peak, rss())), 100);
    await sleep(1000);
    memory.restartedMb = rss();
    peak = 0;
    started = performance.now();
    await encodeTop(1);
    const coldMs = performance.now() - started;
    memory.afterColdEncodeMb = rss();
    memory.coldEncodePeakMb = peak;
    const time = async (count: number) => {
      const times: number[] = [];
      for (let r = 0; r < WARM_REPEATS; r++) {
        const t = performance.now();
        await encodeTop(count);
        times.push(performance.now() - t);
      }
      return round1(median(times));
    };
    peak = 0;
    const warm1Ms = await time(1);
    memory.afterWarm1RowEncodesMb = rss();
    memory.warm1RowPeakMb = peak;
    peak = 0;
    const warm64Ms = await time(ROWS);
    memory.afterWarm64RowEncodesMb = rss();
    memory.warm64RowPeakMb = peak;

    started = performance.now();
    const decoded = (await (await call(server.base, `/v1/models/${imported.id}/decode`, post({ features: first.features }))).json()) as { outputs: number[][] };
    const decodeMs = performance.now() - started;
    started = performance.now();
    await call(server.base, `/v1/models/${imported.id}/features/${first.features[0]!.indices[0]}`);
    const featureMs = performance.now() - started;
    memory.endMb = rss();

    const figures = {
      date: new Date().toISOString(),
      machine: { loadAverage1m: round1(loadavg()[0]!), cpus: (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length },
      model: { inputSize: N, hiddenSize: hidden, architecture: 'relu', fileBytes: file.length, inferenceBytes: inferenceBytes(file), maxInferenceBytes: Number(process.env.SPARSE_BYTES ?? DEFAULT_LIMITS.maxInferenceBytes) },
      importSeconds: round1(importSeconds),
      sameAsLibrary: { rows: ROWS, top: TOP, rowsWithOtherIndices: indexMismatches, worstRelativeValueDifference: Number(worstRelative.toExponential(2)) },
      encodeTop32Ms: { cold1Row: round1(coldMs), warm1RowMedian: warm1Ms, warm64RowsMedian: warm64Ms, repeats: WARM_REPEATS },
      sparseDecode64RowsMs: round1(decodeMs),
      decodedRows: decoded.outputs.length,
      featureMs: round1(featureMs),
      workerdRssMb: memory,
    };
    console.log(JSON.stringify(figures, null, 2));
    const out = process.env.SPARSE_OUT ? join(REPO_ROOT, process.env.SPARSE_OUT) : process.env.SPARSE_HIDDEN === undefined && process.env.SPARSE_BYTES === undefined ? RESULTS : null;
    if (out) writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
  } catch (error) {
    console.error(`wrangler dev's log, last lines:\n${server.log().slice(-3000)}`);
    throw error;
  } finally {
    clearInterval(sampler);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
