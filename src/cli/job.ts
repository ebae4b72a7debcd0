/**
 * `edge-sae job`: start a training job on a stored dataset (POST /v1/jobs) with the same option
 * flags as train (and --validation-dataset, a stored dataset to validate on), and with --wait follow it (GET /v1/jobs/{id}/events, server-sent events) with
 * a progress bar until it ends, printing the trained model's id. --follow ID follows a job that
 * is already running. A dropped event stream (the server restarting, say) is reopened: the job
 * goes on without us, and its events say where it is.
 */
import { apiClientFrom, type ApiClient } from './api-client.js';
import { UsageError, type ParsedOptions } from './args.js';
import { createCountProgress, type CountProgress } from './count-progress.js';
import { followEvents } from './follow-events.js';
import type { CliIo } from './io.js';
import { readTrainingFlags } from './option-flags.js';
import { progressStyle } from './progress.js';

/** The fields of the API's Job answer that the CLI reads (the whole of it is printed with --json). */
interface JobView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  modelId: string | null;
  error: { type: string; detail: string } | null;
}

export async function job(options: ParsedOptions, io: CliIo): Promise<void> {
  const follow = options.string('follow');
  const datasetId = options.string('dataset');
  if ((follow === undefined) === (datasetId === undefined)) throw new UsageError('give --dataset ID to start a job, or --follow JOB to follow one (one of them)');
  const validationDatasetId = options.string('validation-dataset');
  if (follow !== undefined && validationDatasetId !== undefined) throw new UsageError('--validation-dataset: only when starting a job (with --dataset), not with --follow');
  const client = apiClientFrom(options);
  const json = options.flag('json');
  const quiet = options.flag('quiet');

  let view: JobView;
  if (datasetId !== undefined) {
    const { config, training } = readTrainingFlags(options);
    const name = options.string('name');
    view = await client.call<JobView>('POST', '/v1/jobs', {
      json: { datasetId, ...(validationDatasetId === undefined ? {} : { validationDatasetId }), ...(name === undefined ? {} : { name }), ...(Object.keys(config).length ? { config } : {}), ...(Object.keys(training).length ? { training } : {}) },
    });
    if (!options.flag('wait')) {
      if (json) io.stdout(`${JSON.stringify(view)}\n`);
      else if (!quiet) io.stdout(`job ${view.id} ${view.status}: ${view.totalEpochs} epochs, ${view.totalSteps} steps (follow it with edge-sae job --follow ${view.id})\n`);
      return;
    }
  } else {
    view = await client.call<JobView>('GET', `/v1/jobs/${follow}`, { retry: true });
  }

  const progress = createCountProgress(progressStyle({ quiet, json, isTTY: io.stderrIsTTY }), {
    write: io.stderr,
    label: 'job',
    format: (steps) => `${steps}`,
    ...(io.stderrColumns ? { columns: io.stderrColumns } : {}),
  });
  let end: JobView;
  try {
    end = await followJob(client, view, progress);
  } finally {
    progress.done();
  }
  if (json) io.stdout(`${JSON.stringify(end)}\n`);
  if (end.status !== 'succeeded') {
    throw new Error(`job ${end.id} ${end.status}${end.error ? `: ${end.error.type}: ${end.error.detail}` : ''}`);
  }
  if (!json && !quiet) io.stdout(`job ${end.id} succeeded: model ${end.modelId} (${end.totalEpochs} epochs, loss ${end.loss?.toPrecision(6) ?? 'n/a'})\n`);
}

/** Follows the job's events until its `end` event; returns the ended job. */
export async function followJob(client: ApiClient, start: JobView, progress: CountProgress): Promise<JobView> {
  if (isEnded(start)) return client.call<JobView>('GET', `/v1/jobs/${start.id}`, { retry: true });
  show(start, progress);
  return followEvents<JobView>(client, `/v1/jobs/${start.id}/events`, (job) => show(job, progress));
}

function show(job: JobView, progress: CountProgress): void {
  progress.update(job.step, job.totalSteps, `epoch ${job.epoch}/${job.totalEpochs}${job.loss === null ? '' : `  loss ${job.loss.toPrecision(6)}`}`);
}

function isEnded(job: JobView): boolean {
  return job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
}
