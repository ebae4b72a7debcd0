/**
 * "Train as a job": POST /v1/jobs with the rows and the form's options, then follow
 * /v1/jobs/{id}/events with the shared event-stream reader (src/util/event-stream.ts, through
 * ./follow-job.ts, which reopens a rotated stream with Last-Event-ID; EventSource cannot send the
 * bearer token), showing the progress and the loss so far, drawn by the same
 * renderer as the server's loss.svg (src/viz/loss-curve.ts); at the end the job's model is loaded
 * as a synchronous training's is.
 */
import { renderLossCurveSvg } from '../viz/loss-curve.js';
import { followStream } from './follow-job.js';
import { lossSoFar } from './live-loss.js';
import { ApiError, api, ok, type Api } from './api.js';
import { element, errorMessage, setStatus, showSvg } from './page.js';
import { loadPictures, showMetrics } from './model-view.js';
import type { JobView } from '../api/jobs/record.js';
import type { ConfigValues, TrainingValues } from './hyperparameters.js';

export interface JobRequest {
  data: number[][];
  name?: string;
  config: ConfigValues;
  training: TrainingValues;
}

/** Stream drops the page reconnects after before it gives up (the job carries on regardless). */
const ATTEMPTS = 5;

let current: string | null = null;

/** Follows a job's events until its end event, which it returns; progress events go to `onProgress` (./follow-job.ts). */
function followJob(client: Api, id: string, onProgress: (job: JobView) => void): Promise<JobView> {
  return followStream<JobView>({
    open: async (lastEventId) => {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...(lastEventId === '' ? {} : { 'last-event-id': lastEventId }) };
      const res = await ok(await client.v1.jobs[':id'].events.$get({ param: { id } }, { headers }));
      if (!res.body) throw new Error('the events answer has no body');
      return res.body;
    },
    onProgress,
    fatal: (error) => error instanceof ApiError, // an HTTP error (401, 404) will not mend itself
    attempts: ATTEMPTS,
    waitMs: 1000,
    lost: `Lost the events of job ${id}; GET /v1/jobs/${id} says where it is.`,
  });
}

function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '…';
  const s = Math.round(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Shows a job's state in the progress line and bar, and adds its latest loss to the live curve. */
function showJob(job: JobView, points: Array<[number, number]>): void {
  element('job-row', HTMLElement).hidden = false;
  const bar = element('job-progress', HTMLProgressElement);
  bar.max = Math.max(1, job.totalSteps);
  bar.value = job.step;
  let text = `Job ${job.status}: epoch ${job.epoch}/${job.totalEpochs}`;
  if (job.loss !== null) text += `, loss ${Number(job.loss.toPrecision(5))}`;
  if (job.status === 'queued' || job.status === 'running') text += `, ETA ${formatSeconds(job.etaSeconds)}`;
  element('job-line', HTMLElement).textContent = text;
  const last = points[points.length - 1];
  if (job.epoch > 0 && job.loss !== null && Number.isFinite(job.loss) && (!last || job.epoch > last[0])) {
    points.push([job.epoch, job.loss]);
    const svg = showSvg(element('loss-chart', HTMLElement), renderLossCurveSvg(lossSoFar(points), { title: `Training loss (live, ${points.length} progress report${points.length === 1 ? '' : 's'})` }));
    svg?.classList.add('live-loss');
  }
}

/** Runs a job on `request` to its end, keeping the page's controls in step. */
export async function trainJob(request: JobRequest): Promise<void> {
  const client = api();
  const button = element('train', HTMLButtonElement);
  const cancel = element('cancelJob', HTMLButtonElement);
  button.disabled = true;
  const started = Date.now();
  const points: Array<[number, number]> = [];
  setStatus('Submitting the job…');
  element('loss-chart', HTMLElement).textContent = '';
  try {
    const job = await (await ok(await client.v1.jobs.$post({ json: request }))).json();
    current = job.id;
    cancel.hidden = false;
    setStatus(`Job ${job.id} submitted; following its progress…`);
    showJob(job, points);
    const end = await followJob(client, job.id, (progress) => showJob(progress, points));
    current = null;
    cancel.hidden = true;
    showJob(end, points);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (end.status === 'succeeded' && end.modelId !== null) {
      setStatus(`Trained ${end.totalEpochs} epochs as job ${end.id} in ${seconds} s (${end.slices} slices).`);
      element('modelId', HTMLInputElement).value = end.modelId;
      const model = await (await ok(await client.v1.models[':id'].$get({ param: { id: end.modelId } }))).json();
      // The held-out rows' metrics and the kept epoch are the job's (a stored model keeps neither).
      showMetrics({ ...model, validationMetrics: end.validationMetrics, bestEpoch: end.bestEpoch });
      await loadPictures(client, end.modelId, request.data);
    } else if (end.status === 'failed') {
      setStatus(`Job failed${end.error ? ` (${end.error.type}): ${end.error.detail}` : '.'}`, true);
    } else {
      setStatus(`Job cancelled after ${end.epoch} of ${end.totalEpochs} epochs; no model was saved.`, true);
    }
  } catch (error) {
    setStatus(errorMessage(error), true);
  } finally {
    current = null;
    cancel.hidden = true;
    button.disabled = false;
  }
}

/** Cancels the running job; its events stream then ends with it. A job that finished meanwhile answers 409. */
export async function cancelJob(): Promise<void> {
  if (current === null) return;
  try {
    await ok(await api().v1.jobs[':id'].$delete({ param: { id: current } }));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) setStatus(errorMessage(error), true);
  }
}
