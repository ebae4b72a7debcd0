/**
 * The CLI against the API, through a real `wrangler dev`: `edge-sae upload` sends a raw float32
 * file of 4.5 shards (73,728 × 64) as a dataset in parts, resumes an interrupted upload by
 * sending only the parts that had not arrived, starts afresh when the server forgot the upload;
 * `edge-sae job --wait` trains on the dataset and follows the job's events to the end, and its
 * model equals `edge-sae train` on the same file, with the same options, bit for bit (streamed
 * in two windows of shards on both sides); `edge-sae encode --api` encodes the dataset as a batch
 * encode job and downloads codes equal to the library's encode, bit for bit; `--validation-dataset`
 * validates a job (equal to `edge-sae train --validation-data`) and a sweep on a dataset of its own.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadSlot, writeUploadRecord } from '../../src/cli/upload-state.js';
import { shardRowsFor } from '../../src/data/shard-source.js';
import { SeededRandom } from '../../src/model/random.js';
import { readDataFile } from '../../src/data/read-file.js';
import { loadModel } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { DEV_ADMIN_TOKEN as ADMIN, DEV_ENCODE_TOKEN, killAllWranglerDev, startWranglerDev, type DevServer } from '../helpers/wrangler-dev.js';

const COLS = 64;
const SHARD_ROWS = shardRowsFor(COLS);
const ROWS = SHARD_ROWS * 4 + SHARD_ROWS / 2;
const PARTS = 5;
const TRAINING_FLAGS = ['--hidden', '16', '--epochs', '2', '--batch-size', '512', '--seed', '5', '--learning-rate', '0.003'];

const dir = mkdtempSync(join(tmpdir(), 'edge-sae-cli-api-'));
const stateDir = join(dir, 'cli-state');
const file = join(dir, 'data.f32');
const env = { EDGE_SAE_STATE_DIR: stateDir, EDGE_SAE_TOKEN: ADMIN };
let server: DevServer;
let values: Float32Array;

/** Bytes of part `n` of the file as the upload cuts it. */
function partBytes(n: number): Uint8Array {
  const rows = Math.min(SHARD_ROWS, ROWS - n * SHARD_ROWS);
  return new Uint8Array(values.buffer, n * SHARD_ROWS * COLS * 4, rows * COLS * 4);
}

async function call(path: string, init: { method?: string; json?: unknown; bytes?: Uint8Array } = {}): Promise<Response> {
  return fetch(server.base + path, {
    method: init.method ?? (init.json === undefined && init.bytes === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': init.bytes ? 'application/octet-stream' : 'application/json' },
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.bytes ? { body: init.bytes as Uint8Array<ArrayBuffer> } : {}),
  });
}

function upload(extra: string[] = []) {
  return runCli(['upload', '--data', file, '--cols', String(COLS), '--api', server.base, '--json', ...extra], { env, timeoutMs: 120_000 });
}

/** The JSON progress lines a command wrote on stderr. */
function progressLines(stderr: string): { event: string; done: number; total: number }[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event: string; done: number; total: number });
}

beforeAll(async () => {
  const rng = new SeededRandom(99);
  values = new Float32Array(ROWS * COLS);
  for (let k = 0; k < values.length; k++) values[k] = rng.nextFloat() * 4 - 2;
  writeFileSync(file, new Uint8Array(values.buffer));
  server = await startWranglerDev(join(dir, 'wrangler-state'));
}, 180_000);

afterAll(async () => {
  await server?.stop();
  killAllWranglerDev();
  rmSync(dir, { recursive: true, force: true });
});

describe('edge-sae upload and job against wrangler dev', () => {
  let datasetId: string;

  it('should upload a file of several shards as a dataset in parts, with progress', { timeout: 120_000 }, async () => {
    const result = await upload(['--name', 'e2e-upload']);
    expect(result.code, result.stderr).toBe(0);
    const dataset = JSON.parse(result.stdout) as { id: string; rows: number; cols: number; shardCount: number; name: string; bytes: number };
    expect(dataset).toMatchObject({ rows: ROWS, cols: COLS, shardCount: PARTS, name: 'e2e-upload', bytes: ROWS * COLS * 4 });
    const progress = progressLines(result.stderr);
    expect(progress.at(-1)).toMatchObject({ event: 'upload', done: ROWS * COLS * 4, total: ROWS * COLS * 4 });
    datasetId = dataset.id;
  });

  it('should resume an interrupted upload, sending only the parts that had not arrived', { timeout: 120_000 }, async () => {
    // An earlier run that got part 3 through and then died: the server's upload and the CLI's record of it.
    const started = await call('/v1/datasets/uploads', { json: { name: 'resumed', rows: ROWS, cols: COLS, type: 'float32' } });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    expect((await call(`/v1/datasets/uploads/${id}/parts/3`, { method: 'PUT', bytes: partBytes(3) })).status).toBe(200);
    const slot = uploadSlot(server.base, file, env);
    writeUploadRecord(slot, { ...slot.identity, uploadId: id, rows: ROWS, cols: COLS });

    const result = await upload();
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { id: string }).id).toBe(id);
    // The first progress line counts part 3 as already sent.
    expect(progressLines(result.stderr)[0]).toMatchObject({ done: partBytes(3).length });

    // Run again once completed: the record is gone, so it is a new upload of its own.
    const again = await upload();
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { id: string }).id).not.toBe(id);
  });

  it('should start afresh when the server no longer has the upload it remembers', { timeout: 120_000 }, async () => {
    const slot = uploadSlot(server.base, file, env);
    writeUploadRecord(slot, { ...slot.identity, uploadId: 'gone0000000000000000000000000000', rows: ROWS, cols: COLS });
    const result = await upload(['--quiet']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect((JSON.parse(result.stdout) as { rows: number }).rows).toBe(ROWS);
  });

  it('should train a job on the dataset, follow it to the end, and give the model edge-sae train gives', { timeout: 300_000 }, async () => {
    const job = await runCli(['job', '--api', server.base, '--dataset', datasetId, ...TRAINING_FLAGS, '--wait', '--json'], { env, timeoutMs: 240_000 });
    expect(job.code, job.stderr).toBe(0);
    const ended = JSON.parse(job.stdout) as { status: string; modelId: string; totalSteps: number };
    expect(ended.status).toBe('succeeded');
    const progress = progressLines(job.stderr).filter((line) => line.event === 'job');
    expect(progress.at(-1)).toMatchObject({ done: ended.totalSteps, total: ended.totalSteps });

    const local = join(dir, 'local.json');
    const trained = await runCli(['train', '--data', file, '--cols', String(COLS), '--out', local, ...TRAINING_FLAGS, '--quiet'], { timeoutMs: 240_000 });
    expect(trained.code, trained.stderr).toBe(0);
    const exported = await call(`/v1/models/${ended.modelId}/export?format=json`);
    expect(exported.status).toBe(200);
    const fromJob = (await exported.json()) as Record<string, unknown>;
    const fromCli = JSON.parse(readFileSync(local, 'utf8')) as Record<string, unknown>;
    for (const field of ['normalization', 'encoder', 'decoder', 'optimizerState', 'lossHistory', 'metrics', 'config']) {
      expect(fromJob[field], field).toEqual(fromCli[field]);
    }

    // The model's codes of every row of the dataset, as a batch encode job, downloaded as .npy:
    // equal to the library's encode of the same rows, bit for bit.
    const codesPath = join(dir, 'codes.npy');
    const encoded = await runCli(['encode', '--api', server.base, '--model', ended.modelId, '--dataset', datasetId, '--out', codesPath], { env, timeoutMs: 240_000 });
    expect(encoded.code, encoded.stderr).toBe(0);
    expect(encoded.stderr).toMatch(new RegExp(`codes of ${ROWS} rows × 16 units written to`));
    const model = await loadModel(fromJob, { backend: 'assemblyscript' });
    const expectedCodes = model.encode({ rows: ROWS, cols: COLS, data: values });
    model.dispose();
    const codes = readDataFile(codesPath).matrix;
    expect([codes.rows, codes.cols]).toEqual([ROWS, 16]);
    expect(Buffer.from(codes.data.buffer, codes.data.byteOffset, codes.data.byteLength).equals(Buffer.from(expectedCodes.data.buffer, expectedCodes.data.byteOffset, expectedCodes.data.byteLength))).toBe(true);

    // --follow of an ended job prints it at once.
    const followed = await runCli(['job', '--api', server.base, '--follow', JSON.parse(job.stdout).id, '--json'], { env });
    expect(followed.code, followed.stderr).toBe(0);
    expect(JSON.parse(followed.stdout)).toMatchObject({ status: 'succeeded', modelId: ended.modelId });
  });

  it('should run a sweep on the API and rank its trials as a local sweep does', { timeout: 300_000 }, async () => {
    const result = await runCli(['sweep', '--api', server.base, '--dataset', datasetId, '--grid', 'hidden=4,8', '--epochs', '1', '--batch-size', '4096', '--seed', '2', '--json'], { env, timeoutMs: 240_000 });
    expect(result.code, result.stderr).toBe(0);
    const sweep = JSON.parse(result.stdout) as { status: string; best: string; trials: { name: string; status: string; rank: number; modelId: string }[] };
    expect(sweep.status).toBe('finished');
    expect(sweep.trials.map((t) => t.status)).toEqual(['succeeded', 'succeeded']);
    expect(sweep.trials.map((t) => t.rank).sort()).toEqual([1, 2]);
    expect(sweep.best).toBe(sweep.trials.find((t) => t.rank === 1)!.name);
    expect(progressLines(result.stderr).at(-1)).toMatchObject({ event: 'sweep', done: 2, total: 2 });

    const local = await runCli(['sweep', '--api', server.base, '--dataset', datasetId, '--grid', 'hidden=4', '--epochs', '1', '--batch-size', '4096', '--out-dir', dir], { env });
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--out-dir: not with --api');
  });

  it('should validate a job and a sweep on --validation-dataset, as edge-sae train --validation-data does', { timeout: 300_000 }, async () => {
    // 500 other rows of the same width, uploaded as a dataset of their own.
    const heldFile = join(dir, 'held.f32');
    writeFileSync(heldFile, new Uint8Array(values.buffer, 0, 500 * COLS * 4).map((byte, i) => (i % 4 === 3 ? byte : byte ^ 1)));
    const uploaded = await runCli(['upload', '--data', heldFile, '--cols', String(COLS), '--api', server.base, '--json', '--quiet'], { env, timeoutMs: 120_000 });
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const validationDatasetId = (JSON.parse(uploaded.stdout) as { id: string }).id;
    const flags = ['--hidden', '8', '--epochs', '2', '--batch-size', '4096', '--seed', '3'];

    const job = await runCli(['job', '--api', server.base, '--dataset', datasetId, '--validation-dataset', validationDatasetId, ...flags, '--wait', '--json'], { env, timeoutMs: 240_000 });
    expect(job.code, job.stderr).toBe(0);
    const ended = JSON.parse(job.stdout) as { status: string; modelId: string; validationDatasetId: string; validationHistory: number[]; validationMetrics: { rows: number } };
    expect(ended).toMatchObject({ status: 'succeeded', validationDatasetId, validationMetrics: { rows: 500 } });
    expect(ended.validationHistory).toHaveLength(2);
    const local = join(dir, 'local-validated.json');
    const trained = await runCli(['train', '--data', file, '--cols', String(COLS), '--validation-data', heldFile, '--out', local, ...flags, '--quiet'], { timeoutMs: 240_000 });
    expect(trained.code, trained.stderr).toBe(0);
    const fromJob = (await (await call(`/v1/models/${ended.modelId}/export?format=json`)).json()) as Record<string, unknown>;
    const fromCli = JSON.parse(readFileSync(local, 'utf8')) as Record<string, unknown>;
    for (const field of ['encoder', 'decoder', 'lossHistory', 'validationHistory']) expect(fromJob[field], field).toEqual(fromCli[field]);

    const sweep = await runCli(['sweep', '--api', server.base, '--dataset', datasetId, '--validation-dataset', validationDatasetId, '--grid', 'hidden=4,8', '--metric', 'validationLoss', '--epochs', '1', '--batch-size', '4096', '--json', '--quiet'], { env, timeoutMs: 240_000 });
    expect(sweep.code, sweep.stderr).toBe(0);
    const ranked = JSON.parse(sweep.stdout) as { validationDatasetId: string; trials: { status: string; value: number; validationMetrics: { rows: number; loss: number } }[] };
    expect(ranked.validationDatasetId).toBe(validationDatasetId);
    expect(ranked.trials.map((t) => [t.status, t.validationMetrics.rows, t.value === t.validationMetrics.loss])).toEqual([['succeeded', 500, true], ['succeeded', 500, true]]);
  });

  it('should upload a CSV with a label column, and a file with a labels file, their labels stored beside the parts for a features job', { timeout: 180_000 }, async () => {
    // 1024 columns: 1024 rows a part, so 1030 rows are two parts; the label column sits in the middle.
    const cols = 1024;
    const rows = 1030;
    const rng = new SeededRandom(7);
    const cells = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rng.nextFloat() * 100) / 100));
    const labels = Array.from({ length: rows }, (_, r) => `row ${r}, class ${r % 3}`);
    const names = Array.from({ length: cols }, (_, c) => `p${c}`);
    const csv = [[...names.slice(0, 5), 'what', ...names.slice(5)].join(','), ...cells.map((row, r) => [...row.slice(0, 5), `"${labels[r]}"`, ...row.slice(5)].join(','))].join('\n');
    const csvFile = join(dir, 'labelled.csv');
    writeFileSync(csvFile, `${csv}\n`);
    const result = await runCli(['upload', '--data', csvFile, '--label-column', 'what', '--api', server.base, '--json'], { env, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    const dataset = JSON.parse(result.stdout) as { id: string; rows: number; cols: number; shardCount: number; labelled: boolean };
    expect(dataset).toMatchObject({ rows, cols, shardCount: 2, labelled: true });

    // A features job over it, with a model trained on its first rows: the top rows carry the labels of both parts.
    const trained = await call('/v1/models', { json: { data: cells.slice(0, 40), config: { hiddenSize: 4, architecture: 'relu' }, training: { epochs: 3 } } });
    expect(trained.status).toBe(201);
    const modelId = ((await trained.json()) as { id: string }).id;
    const started = await call(`/v1/models/${modelId}/features`, { json: { datasetId: dataset.id, top: 50 } });
    expect(started.status, await started.clone().text()).toBe(202);
    const jobId = ((await started.json()) as { id: string }).id;
    for (let k = 0; ; k++) {
      const job = (await (await call(`/v1/feature-jobs/${jobId}`)).json()) as { status: string; labels: string };
      if (job.status === 'succeeded') {
        expect(job.labels).toBe('dataset');
        break;
      }
      expect(['queued', 'running'], JSON.stringify(job)).toContain(job.status);
      expect(k).toBeLessThan(600);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const shown: { row: number; label?: string }[] = [];
    for (let j = 0; j < 4; j++) shown.push(...((await (await call(`/v1/models/${modelId}/features/${j}`)).json()) as { statistics: { top: { row: number; label?: string }[] } }).statistics.top);
    expect(shown.length).toBeGreaterThan(0);
    for (const { row, label } of shown) expect(label).toBe(labels[row]);
    expect(shown.some(({ row }) => row >= 1024)).toBe(true);

    // The raw float32 file with a labels file: the same labels parts; a file of the wrong length is refused before anything is sent.
    const labelsFile = join(dir, 'labels.txt');
    writeFileSync(labelsFile, `${Array.from({ length: ROWS }, (_, r) => `r${r}`).join('\n')}\n`);
    const withFile = await upload(['--labels', labelsFile, '--name', 'labelled-f32']);
    expect(withFile.code, withFile.stderr).toBe(0);
    expect(JSON.parse(withFile.stdout)).toMatchObject({ rows: ROWS, shardCount: PARTS, labelled: true, name: 'labelled-f32' });
    writeFileSync(labelsFile, 'a\nb\n');
    const short = await upload(['--labels', labelsFile]);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toMatch(/--labels .*labels\.txt: has 2 lines but the data has \d+ rows/);
  });

  it('should say what the API refused, with exit code 2', { timeout: 60_000 }, async () => {
    const missing = await runCli(['job', '--api', server.base, '--dataset', 'nope', '--epochs', '1'], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/POST \/v1\/jobs: 422 dataset-not-found: No dataset with id "nope"/);

    const encodeOnly = await runCli(['upload', '--data', file, '--cols', String(COLS), '--api', server.base, '--token', DEV_ENCODE_TOKEN], { env: { EDGE_SAE_STATE_DIR: stateDir } });
    expect(encodeOnly.code).toBe(2);
    expect(encodeOnly.stderr).toMatch(/403/);

    const noToken = await runCli(['job', '--api', server.base, '--dataset', datasetId], { env: { EDGE_SAE_TOKEN: '' } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/--token: missing/);
  });
});
