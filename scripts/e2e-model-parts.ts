/**
 * `npm run e2e:model-parts`: a public-SAE-sized model uploaded in parts into a real `wrangler dev`
 * and encoded there (issue 27, item 4's "Must show"; not part of npm test: it builds a 75 MB model
 * and runs for minutes).
 *
 * Builds a relu SAE 768 → 24576 in Node (one epoch on 256 rows, so its scaling is fitted), stores
 * it as bf16 (a 75 MB file: W_enc 36 MiB, W_dec 36 MiB), uploads it through /v1/models/uploads in
 * parts of MAX_PART_BYTES, then
 *   - restarts wrangler dev on the same state, so the next encode is cold (the encoder's ranges read
 *     from R2 and its session built), times it, then times warm encodes (1 row and 64 rows),
 *   - compares 64 rows' `top: 32` features with the library's encode-only session on the same file
 *     (indices equal; values within 1e-5 relative),
 * sampling workerd's resident memory (its processes only) through every step. Written to
 * bench/workerd-model-parts.json; `npm run docs` makes docs/BENCHMARKS.md's table of it.
 *
 *   npm run e2e:model-parts
 *   PARTS_HIDDEN=4096 npx tsx scripts/e2e-model-parts.ts   # a smaller model, a quick look (not written)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LIMITS } from '../src/api/limits.js';
import { loadNodeBackend } from '../src/backends/node-providers.js';
import { convertWeightDtype } from '../src/model/convert-dtype.js';
import { encoderBytes, toBinaryModelFile } from '../src/model/model-file-binary.js';
import { EncodingSession } from '../src/model/encoding-session.js';
import { SeededRandom } from '../src/model/random.js';
import { SparseAutoencoder } from '../src/model/sparse-autoencoder.js';
import { selectSparse, toFeatureLists } from '../src/model/sparse-codes.js';
import { REPO_ROOT } from '../test/helpers/cli.js';
import { treeRssMb } from '../test/helpers/process-rss.js';
import { sleep, startWranglerDev, type DevServer } from '../test/helpers/wrangler-dev.js';
import { call, post } from './dev-api.js';

const N = 768;
const ROWS = 64;
const TOP = 32;
const WARM_REPEATS = 20;
const RESULTS = join(REPO_ROOT, 'bench', 'workerd-model-parts.json');
const round1 = (x: number) => Math.round(x * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const hidden = Number(process.env.PARTS_HIDDEN ?? 24_576);
  const rng = new SeededRandom(3);
  const train = Array.from({ length: 256 }, () => Array.from({ length: N }, () => rng.nextFloat() * 2 - 1));
  const rows = train.slice(0, ROWS);
  const { backend } = await loadNodeBackend('auto');
  let started = performance.now();
  const model = SparseAutoencoder.create(N, { architecture: 'relu', hiddenSize: hidden, normalize: 'standardize' }, backend, { seed: 1 });
  model.fit(train, { epochs: 1, batchSize: 256, seed: 1 });
  const file = toBinaryModelFile(convertWeightDtype({ ...model.toState(), optimizerState: null }, 'bf16'));
  model.dispose();
  const library = EncodingSession.fromBytes(file, backend);
  const expected = toFeatureLists(selectSparse(library.encode(rows), { top: TOP }));
  library.dispose();
  console.error(`model 768 → ${hidden} bf16: ${file.length} bytes (encoder ${encoderBytes(file)}), built in ${round1((performance.now() - started) / 1000)} s`);

  const dir = mkdtempSync(join(tmpdir(), 'edge-sae-parts-'));
  let server: DevServer = await startWranglerDev(dir, {});
  const rss = () => round1(treeRssMb(server.child.pid!, 'workerd'));
  let peak = 0;
  let sampler = setInterval(() => (peak = Math.max(peak, rss())), 100);
  const memory: Record<string, number> = {};
  try {
    await sleep(1000);
    memory.startMb = rss();
    peak = 0;
    started = performance.now();
    const upload = (await (await call(server.base, '/v1/models/uploads', post({ bytes: file.length, name: 'e2e-768x24576-bf16' }))).json()) as { id: string; partCount: number; partBytes: number };
    for (let n = 0; n < upload.partCount; n++) {
      const part = file.subarray(n * upload.partBytes, Math.min(file.length, (n + 1) * upload.partBytes));
      await call(server.base, `/v1/models/uploads/${upload.id}/parts/${n}`, { method: 'PUT', body: part, headers: { 'content-type': 'application/octet-stream' } });
    }
    await call(server.base, `/v1/models/uploads/${upload.id}/complete`, { method: 'POST' });
    const uploadSeconds = (performance.now() - started) / 1000;
    memory.afterUploadMb = rss();
    memory.uploadPeakMb = peak;
    console.error(`uploaded in ${upload.partCount} parts of ${upload.partBytes} bytes in ${round1(uploadSeconds)} s`);

    // A cold isolate: restart wrangler dev on the same state (R2 persists).
    clearInterval(sampler);
    await server.stop();
    server = await startWranglerDev(dir, {});
    sampler = setInterval(() => (peak = Math.max(peak, rss())), 100);
    await sleep(1000);
    memory.restartedMb = rss();
    const encodeTop = async (count: number) => (await (await call(server.base, `/v1/models/${upload.id}/encode`, post({ inputs: rows.slice(0, count), top: TOP }))).json()) as { features: { indices: number[]; values: number[] }[] };
    peak = 0;
    started = performance.now();
    await encodeTop(1);
    const coldMs = performance.now() - started;
    memory.afterColdEncodeMb = rss();
    memory.coldEncodePeakMb = peak;

    const answer = await encodeTop(ROWS);
    let indexMismatches = 0;
    let worstRelative = 0;
    answer.features.forEach((row, i) => {
      if (JSON.stringify(row.indices) !== JSON.stringify(expected[i]!.indices)) indexMismatches++;
      row.values.forEach((v, e) => (worstRelative = Math.max(worstRelative, Math.abs(v - expected[i]!.values[e]!) / Math.max(1e-12, Math.abs(expected[i]!.values[e]!)))));
    });
    console.error(`top-${TOP} of ${ROWS} rows: ${indexMismatches} rows differ from the library; worst relative value difference ${worstRelative.toExponential(2)}`);

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
    const warm64Ms = await time(ROWS);
    memory.afterWarmEncodesMb = rss();
    memory.warmPeakMb = peak;

    const figures = {
      date: new Date().toISOString(),
      machine: { loadAverage1m: round1(loadavg()[0]!), cpus: (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length },
      model: { inputSize: N, hiddenSize: hidden, architecture: 'relu', weightDtype: 'bf16', fileBytes: file.length, encoderBytes: encoderBytes(file) },
      upload: { parts: upload.partCount, partBytes: upload.partBytes, seconds: round1(uploadSeconds) },
      sameAsLibrary: { rows: ROWS, top: TOP, rowsWithOtherIndices: indexMismatches, worstRelativeValueDifference: Number(worstRelative.toExponential(2)) },
      encodeTop32Ms: { cold1Row: round1(coldMs), warm1RowMedian: warm1Ms, warm64RowsMedian: warm64Ms, repeats: WARM_REPEATS },
      limits: { maxEncoderBytes: DEFAULT_LIMITS.maxEncoderBytes, modelCacheBytes: DEFAULT_LIMITS.modelCacheBytes, maxPartBytes: DEFAULT_LIMITS.maxPartBytes },
      workerdRssMb: { ...memory, growthFromRestartToPeak: round1(Math.max(memory.coldEncodePeakMb!, memory.warmPeakMb!) - memory.restartedMb!) },
    };
    console.log(JSON.stringify(figures, null, 2));
    if (process.env.PARTS_HIDDEN === undefined) writeFileSync(RESULTS, `${JSON.stringify(figures, null, 2)}\n`);
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
