/**
 * `edge-sae sweep --api URL --dataset ID --grid …`: the same sweep on the API (POST /v1/sweeps),
 * every trial its own job started at once, followed through GET /v1/sweeps/{id}/events with one
 * progress bar for all trials (the stream reopened if it drops), then the trials ranked as a
 * local sweep ranks them: the same table, or with --json the sweep as the API answers it.
 */
import { ConfigError } from '../errors.js';
import type { Metrics } from '../model/metrics.js';
import { parseGrid, splitTrial } from '../sweep/grid.js';
import type { RankedTrial, SweepMetric } from '../sweep/ranking.js';
import { apiClientFrom, type ApiClient } from './api-client.js';
import { UsageError, type ParsedOptions } from './args.js';
import { createCountProgress, type CountProgress } from './count-progress.js';
import { followEvents } from './follow-events.js';
import type { CliIo } from './io.js';
import { readTrainingFlags } from './option-flags.js';
import { progressStyle } from './progress.js';
import { rankedTable } from './sweep-table.js';

/** The fields of the API's Sweep answer that the CLI reads (all of it is printed with --json). */
interface SweepView {
  id: string;
  status: 'running' | 'finished' | 'cancelled';
  metric: SweepMetric;
  best: string | null;
  trials: {
    name: string;
    options: Record<string, number | string>;
    status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
    epoch: number;
    totalEpochs: number;
    metrics: Metrics | null;
    modelId: string | null;
    error: { type: string; detail: string } | null;
    rank: number | null;
    best: boolean;
    value: number | null;
  }[];
}

/** Flags of a local sweep that mean nothing on the API. */
const LOCAL_ONLY = ['data', 'cols', 'validation-data', 'jobs', 'out-dir', 'format'];

export async function sweepRemote(options: ParsedOptions, io: CliIo): Promise<void> {
  for (const flag of LOCAL_ONLY) if (options.has(flag)) throw new UsageError(`--${flag}: not with --api (the API sweeps a stored dataset, each trial a job; its models stay stored)`);
  const datasetId = options.string('dataset');
  if (datasetId === undefined) throw new UsageError('--dataset: missing (with --api, a sweep trains on a stored dataset: --dataset ID)');
  let grid;
  try {
    grid = parseGrid(options.required('grid'));
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--grid: ${error.message}`);
    throw error;
  }
  const { config, training } = readTrainingFlags(options);
  const shared = splitTrial({ ...config, ...training } as Record<string, number | string>);
  const client = apiClientFrom(options);
  const metric = options.choice<SweepMetric>('metric') ?? 'fvu';
  const name = options.string('name');
  const validationDatasetId = options.string('validation-dataset');
  const started = await client.call<SweepView>('POST', '/v1/sweeps', {
    json: {
      datasetId,
      ...(validationDatasetId === undefined ? {} : { validationDatasetId }),
      grid,
      metric,
      ...(name === undefined ? {} : { name }),
      ...(Object.keys(shared.config).length ? { config: shared.config } : {}),
      ...(Object.keys(shared.training).length ? { training: shared.training } : {}),
    },
  });

  const json = options.flag('json');
  const quiet = options.flag('quiet');
  const progress = createCountProgress(progressStyle({ quiet, json, isTTY: io.stderrIsTTY }), {
    write: io.stderr,
    label: 'sweep',
    format: (epochs) => `${epochs}`,
    ...(io.stderrColumns ? { columns: io.stderrColumns } : {}),
  });
  let ended: SweepView;
  try {
    ended = await followSweep(client, started, progress);
  } finally {
    progress.done();
  }
  const ranked = ended.trials.map(toRankedTrial);
  if (json) io.stdout(`${JSON.stringify(ended)}\n`);
  else if (!quiet) io.stdout(rankedTable(ranked, ended.metric));
  if (ranked.every((trial) => trial.status === 'failed')) throw new Error(`every trial of sweep ${ended.id} failed; the first: ${ranked[0]?.name}: ${ranked[0]?.error}`);
}

async function followSweep(client: ApiClient, start: SweepView, progress: CountProgress): Promise<SweepView> {
  show(start, progress);
  if (start.status !== 'running') return start;
  return followEvents<SweepView>(client, `/v1/sweeps/${start.id}/events`, (sweep) => show(sweep, progress));
}

/** Progress of all trials as epochs done of epochs in all (a failed or cancelled trial counts as done). */
function show(sweep: SweepView, progress: CountProgress): void {
  let done = 0;
  let total = 0;
  let finished = 0;
  for (const trial of sweep.trials) {
    const ended = trial.status === 'succeeded' || trial.status === 'failed' || trial.status === 'cancelled';
    total += trial.totalEpochs;
    done += ended ? trial.totalEpochs : trial.epoch;
    if (ended) finished++;
  }
  progress.update(done, total, `${finished}/${sweep.trials.length} trials ended`);
}

function toRankedTrial(trial: SweepView['trials'][number]): RankedTrial {
  const status = trial.status === 'succeeded' ? 'done' : trial.status === 'failed' || trial.status === 'cancelled' ? 'failed' : 'running';
  return {
    name: trial.name,
    options: trial.options,
    status,
    ...(trial.metrics ? { metrics: trial.metrics } : {}),
    epochs: trial.totalEpochs,
    ...(trial.modelId ? { out: `model ${trial.modelId}` } : {}),
    ...(trial.error ? { error: `${trial.error.type}: ${trial.error.detail}` } : trial.status === 'cancelled' ? { error: 'cancelled' } : {}),
    rank: trial.rank,
    best: trial.best,
    value: trial.value,
  };
}
