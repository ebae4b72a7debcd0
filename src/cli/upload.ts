/**
 * `edge-sae upload`: a data file (CSV, .npy or raw float32, read shard by shard as train reads
 * it) uploaded to the API as a dataset in parts (POST /v1/datasets/uploads, PUT …/parts/{n},
 * POST …/complete), a few parts in flight, with a progress bar. Part n is shard n of the file
 * (docs/SPEC.md §2.1), so the dataset is cut exactly as the CLI cuts the file, and a job on it
 * trains the model `edge-sae train` trains on the file. Run again after an interruption, it asks
 * the server which parts arrived and sends only the rest (src/cli/upload-state.ts). With
 * --labels FILE or --label-column NAME each part's labels go too (PUT …/labels/{n}, one line a row).
 */
import path from 'node:path';
import { float32LittleEndian } from '../data/float32-bytes.js';
import { openDataSource, type OpenedDataSource } from '../data/open-data-source.js';
import { ApiError, apiClientFrom, type ApiClient } from './api-client.js';
import { UsageError, type ParsedOptions } from './args.js';
import { createCountProgress, formatBytes, type CountProgress } from './count-progress.js';
import type { CliIo } from './io.js';
import { progressStyle } from './progress.js';
import { forgetUpload, readUploadRecord, uploadSlot, writeUploadRecord, type UploadSlot } from './upload-state.js';
import { readColsFlag } from './data-flags.js';
import { openLabelFile, type RowLabels } from '../data/labels.js';
import { InputError } from '../errors.js';

/** The fields of the API's Upload and Dataset answers that the CLI reads. */
interface UploadView {
  id: string;
  rows: number;
  cols: number;
  shardRows: number;
  partCount: number;
  received: number[];
  status: 'open' | 'completed';
  labelled?: boolean;
  labelsReceived?: number[];
}
interface DatasetView {
  id: string;
  name: string | null;
  rows: number;
  cols: number;
  bytes: number;
  shardCount: number;
}

/** Parts sent at once: enough to keep a connection busy while the next shard is read, 4 × 4 MiB held. */
const PARTS_IN_FLIGHT = 4;

export async function upload(options: ParsedOptions, io: CliIo): Promise<void> {
  const dataPath = options.required('data');
  if (dataPath === '-') throw new UsageError('--data: upload needs a file, not stdin (it reads the file twice, and resumes by the file\'s identity)');
  const cols = readColsFlag(options, dataPath);
  const labelsPath = options.string('labels');
  const labelColumn = options.string('label-column');
  if (labelsPath !== undefined && labelColumn !== undefined) throw new UsageError('--labels and --label-column both give the labels: give one');
  const client = apiClientFrom(options);
  const data = await openDataSource(dataPath, cols, labelColumn === undefined ? {} : { labelColumn });
  try {
    let labels: RowLabels | undefined = data.labels;
    if (labelsPath !== undefined) {
      labels = await openLabelFile(labelsPath);
      if (labels.rows !== data.shards.rows) throw new InputError(`--labels ${labelsPath}: has ${labels.rows} lines but the data has ${data.shards.rows} rows (one label a row)`);
    }
    const dataset = await uploadFile(client, data, labels, {
      slot: uploadSlot(client.base, dataPath),
      name: options.string('name') ?? path.basename(dataPath),
      progress: createCountProgress(progressStyle({ quiet: options.flag('quiet'), json: options.flag('json'), isTTY: io.stderrIsTTY }), {
        write: io.stderr,
        label: 'upload',
        format: formatBytes,
        ...(io.stderrColumns ? { columns: io.stderrColumns } : {}),
      }),
    });
    if (options.flag('json')) io.stdout(`${JSON.stringify(dataset)}\n`);
    else if (!options.flag('quiet')) io.stdout(`dataset ${dataset.id}: ${dataset.rows} rows × ${dataset.cols} columns, ${dataset.shardCount} shard${dataset.shardCount === 1 ? '' : 's'}, ${formatBytes(dataset.bytes)}${dataset.name ? ` ("${dataset.name}")` : ''}\n`);
  } finally {
    await data.close();
  }
}

/** Uploads the opened file, resuming the upload `slot` remembers; returns the dataset. */
async function uploadFile(client: ApiClient, data: OpenedDataSource, labels: RowLabels | undefined, { slot, name, progress }: { slot: UploadSlot; name: string; progress: CountProgress }): Promise<DatasetView> {
  const { rows, cols } = data.shards;
  let view = await resumable(client, slot, rows, cols);
  // An earlier run with labels and this one without (or the other way round): start afresh.
  if (view !== null && view.status === 'open' && (view.labelled === true) !== (labels !== undefined)) view = null;
  if (view?.status === 'completed') {
    forgetUpload(slot);
    return client.call<DatasetView>('GET', `/v1/datasets/${view.id}`, { retry: true });
  }
  if (view === null) {
    view = await client.call<UploadView>('POST', '/v1/datasets/uploads', { json: { name, rows, cols, type: 'float32', ...(labels === undefined ? {} : { labels: true }) } });
    writeUploadRecord(slot, { ...slot.identity, uploadId: view.id, rows, cols });
  }
  if (view.shardRows !== data.shards.shardRows || view.partCount !== data.shards.shardCount) {
    throw new Error(`the API cuts ${rows} × ${cols} into ${view.partCount} parts of ${view.shardRows} rows, this CLI into ${data.shards.shardCount} of ${data.shards.shardRows}: their versions disagree on docs/SPEC.md §2.1`);
  }

  const total = rows * cols * 4;
  const partBytes = (index: number) => Math.min(data.shards.shardRows, rows - index * data.shards.shardRows) * cols * 4;
  const arrived = new Set(view.received);
  const missing = Array.from({ length: view.partCount }, (_, index) => index).filter((index) => !arrived.has(index));
  let sent = view.received.reduce((sum, index) => sum + partBytes(index), 0);
  const uploadId = view.id;
  try {
    progress.update(sent, total);
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const index = missing[next++]!;
        const bytes = float32LittleEndian(await data.shards.readShard(index));
        await client.call<UploadView>('PUT', `/v1/datasets/uploads/${uploadId}/parts/${index}`, { bytes, retry: true });
        sent += bytes.length;
        progress.update(sent, total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, missing.length) }, worker));
    if (labels !== undefined) await sendLabels(client, uploadId, labels, data.shards.shardRows, rows, view.partCount, new Set(view.labelsReceived ?? []));
  } finally {
    progress.done();
  }
  const dataset = await client.call<DatasetView>('POST', `/v1/datasets/uploads/${uploadId}/complete`);
  forgetUpload(slot);
  return dataset;
}

/** Sends the labels parts that have not arrived: part n's rows' labels, one a line. */
async function sendLabels(client: ApiClient, uploadId: string, labels: RowLabels, shardRows: number, rows: number, partCount: number, arrived: Set<number>): Promise<void> {
  for (let index = 0; index < partCount; index++) {
    if (arrived.has(index)) continue;
    const wanted = Array.from({ length: Math.min(shardRows, rows - index * shardRows) }, (_, k) => index * shardRows + k);
    const found = await labels.labelsOf(wanted);
    const lines = wanted.map((row) => found.get(row) ?? '');
    const bytes = new TextEncoder().encode(`${lines.join('\n')}\n`);
    await client.call<UploadView>('PUT', `/v1/datasets/uploads/${uploadId}/labels/${index}`, { bytes, retry: true });
  }
}

/** The upload an earlier run started for this file, as the server sees it now, or null to start afresh. */
async function resumable(client: ApiClient, slot: UploadSlot, rows: number, cols: number): Promise<UploadView | null> {
  const record = readUploadRecord(slot);
  if (record === null || record.rows !== rows || record.cols !== cols) return null;
  try {
    return await client.call<UploadView>('GET', `/v1/datasets/uploads/${record.uploadId}`, { retry: true });
  } catch (error) {
    // Expired and cleaned up (or aborted): the parts are gone, so start again.
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}
