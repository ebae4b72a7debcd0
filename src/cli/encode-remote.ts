/**
 * `edge-sae encode --api URL --model ID --dataset ID --out codes.npy`: every row of a stored
 * dataset encoded by a stored model as a batch encode job of the API (POST
 * /v1/models/{id}/encode-jobs, followed until it ends), then the codes dataset downloaded
 * (GET /v1/datasets/{id}/download) into --out, streamed to disk and checked whole before the
 * file appears: the server ends a download early rather than send a shard that failed its check,
 * so a short body is refused here, never kept.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { npyPrelude } from '../data/npy.js';
import { apiClientFrom, type ApiClient } from './api-client.js';
import { UsageError, type ParsedOptions } from './args.js';
import { createCountProgress, formatBytes, type CountProgress } from './count-progress.js';
import { formatOf } from './output-format.js';
import { checkOutputPath, type CliIo } from './io.js';
import { progressStyle } from './progress.js';

/** The fields of the API's EncodeJob answer that the CLI reads. */
interface EncodeJobView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  rows: number;
  rowsDone: number;
  outputDatasetId: string | null;
  error: { type: string; detail: string } | null;
}

interface DatasetView {
  id: string;
  rows: number;
  cols: number;
}

/** How often the job is asked how far it got: batch encodes have no event stream. */
const POLL_MS = 500;

export async function encodeRemote(options: ParsedOptions, io: CliIo): Promise<void> {
  if (options.has('data')) throw new UsageError('--data: not with --api (the API encodes a stored dataset: give --dataset ID; edge-sae upload stores a file)');
  const datasetId = options.string('dataset');
  if (datasetId === undefined) throw new UsageError('--dataset: missing (with --api, encode a stored dataset: --dataset ID)');
  const outPath = options.string('out');
  if (outPath === undefined) throw new UsageError('--out: missing (with --api, the codes are downloaded into --out FILE.npy, .f32 or .csv)');
  checkOutputPath(outPath, '--out');
  const format = options.choice<'csv' | 'json' | 'npy' | 'f32'>('format') ?? formatOf(outPath);
  if (format === 'json') throw new UsageError('--format json: the API downloads codes as csv, npy or f32');
  const client = apiClientFrom(options);
  const modelId = options.required('model');
  const style = progressStyle({ quiet: false, json: false, isTTY: io.stderrIsTTY });
  const columns = io.stderrColumns ? { columns: io.stderrColumns } : {};

  const started = await client.call<EncodeJobView>('POST', `/v1/models/${encodeURIComponent(modelId)}/encode-jobs`, { json: { datasetId } });
  const encoding = createCountProgress(style, { write: io.stderr, label: 'encode', format: (rows) => `${rows}`, ...columns });
  let ended: EncodeJobView;
  try {
    ended = await pollUntilEnded(client, started, encoding);
  } finally {
    encoding.done();
  }
  if (ended.status !== 'succeeded' || ended.outputDatasetId === null) {
    throw new Error(`encode job ${ended.id} ${ended.status}${ended.error ? `: ${ended.error.type}: ${ended.error.detail}` : ''}`);
  }

  const codes = await client.call<DatasetView>('GET', `/v1/datasets/${ended.outputDatasetId}`, { retry: true });
  const downloading = createCountProgress(style, { write: io.stderr, label: 'download', format: formatBytes, ...columns });
  try {
    await download(client, codes, format, outPath, downloading);
  } finally {
    downloading.done();
  }
  // stdout stays empty, as encode --out leaves it; what was made goes with the progress, on stderr.
  io.stderr(`codes of ${codes.rows} rows × ${codes.cols} units written to ${outPath} (dataset ${codes.id}, encode job ${ended.id})\n`);
}

async function pollUntilEnded(client: ApiClient, job: EncodeJobView, progress: CountProgress): Promise<EncodeJobView> {
  for (;;) {
    progress.update(job.rowsDone, job.rows);
    if (job.status !== 'queued' && job.status !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await client.call<EncodeJobView>('GET', `/v1/encode-jobs/${job.id}`, { retry: true });
  }
}

/** Streams the download into a temporary file beside `outPath`, checks its size, then renames it into place. */
async function download(client: ApiClient, codes: DatasetView, format: 'csv' | 'npy' | 'f32', outPath: string, progress: CountProgress): Promise<void> {
  const response = await client.send('GET', `/v1/datasets/${codes.id}/download?format=${format}`, { retry: true });
  const valueBytes = codes.rows * codes.cols * 4;
  const expectedBytes = format === 'npy' ? npyPrelude(codes.rows, codes.cols).length + valueBytes : format === 'f32' ? valueBytes : null;
  const temporary = path.join(path.dirname(outPath), `.${path.basename(outPath)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = createWriteStream(temporary);
  let bytes = 0;
  let newlines = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (format === 'csv') for (const byte of chunk) if (byte === 10) newlines++;
      if (!file.write(chunk)) await new Promise<void>((resolve) => file.once('drain', () => resolve()));
      progress.update(bytes, expectedBytes ?? Math.max(bytes, valueBytes));
    }
    await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const whole = expectedBytes === null ? newlines === codes.rows : bytes === expectedBytes;
    if (!whole) {
      const got = expectedBytes === null ? `${newlines} of ${codes.rows} rows` : `${bytes} of ${expectedBytes} bytes`;
      throw new Error(`GET /v1/datasets/${codes.id}/download: the body ended early (${got}); a shard failed its check on the server, or the connection dropped; nothing was written to ${outPath}`);
    }
    await rename(temporary, outPath);
  } catch (error) {
    file.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}
