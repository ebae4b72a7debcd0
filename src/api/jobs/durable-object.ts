/**
 * One training job = one Durable Object (SQLite-backed), driven by its alarm. Each alarm runs one
 * slice: a bounded number of optimizer steps sized to JOB_SLICE_MS, then a checkpoint to R2
 * (parameters, Adam state, position incl. the shuffle RNG state, loss history; with early
 * stopping its counters and best epoch's weights), then the record
 * in the object's storage, then the next alarm. If the process dies, the alarm fires again after
 * a restart and the run resumes from the last checkpoint; the math is the same either way (see
 * src/jobs/job-trainer.ts). Why Durable Objects and not Workflows: docs/JOBS.md.
 *
 * Once every step is taken, the final metrics pass (over every shard, and the validation rows)
 * runs in slices too, a shard at a time until 70 % of the budget is spent, its running sums kept in
 * the checkpoint; the slice that finishes it saves the model. A slice never holds the object for
 * long: its compute runs in pieces of about YIELD_MS (./slice-runner.ts), with a yield between pieces, where the
 * requests that arrived meanwhile (status, cancel, an event stream's poll) are answered.
 *
 * Time: inside workerd, Date.now() only advances across I/O, so a slice's time is measured from
 * its start to the end of its checkpoint write (which includes the compute before it), and logged
 * as one JSON line: { event: "job.slice", wallMs, computeMs, … } (computeMs may read 0 where the
 * clock is frozen during compute).
 *
 * The record's life, status, cancel and failure handling are every sliced job's (../sliced-job.ts).
 */
import { DataError, InputError, TrainingDivergedError } from '../../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../jobs/checkpoint.js';
import { JobTrainer, effectiveBatchRows, stepFlops } from '../../jobs/job-trainer.js';
import { toBinaryModelFile } from '../../model/model-file-binary.js';
import { loadWorkerBackend } from '../backends.js';
import { openDatasetSource } from '../datasets/dataset-source.js';
import { readMatrixObject } from '../datasets/store.js';
import { matrixShardSource } from '../../data/matrix-shard-source.js';
import type { ShardSource } from '../../data/shard-source.js';
import { readLimits, type Limits } from '../limits.js';
import { ModelStore } from '../model-store.js';
import { JobFailure, SlicedJob, type JobError } from '../sliced-job.js';
import { checkpointKey, inlineDataKey, newId } from '../storage-keys.js';
import { viewOf, type JobInit, type JobRecord, type JobView } from './record.js';
import { emptySliceStats, timedShardSource, type SliceStats } from './slice-stats.js';
import { measureWithin, PieceTimes, runStepsWithin, type SliceClock, type SliceOutcome } from './slice-runner.js';

interface LiveRun {
  trainer: JobTrainer;
}

export class TrainingJob extends SlicedJob<JobInit, JobRecord, JobView> {
  protected readonly kind = 'job';
  private run: LiveRun | null = null;
  /** What the current slice spends its time on (its log line); the run's shard sources count into it. */
  private stats: SliceStats = emptySliceStats();
  /** Recent pieces' wall times, to begin no piece a slice has no time left for. */
  private readonly pieceTimes = new PieceTimes();

  protected initialRecord(init: JobInit) {
    return {
      ...init,
      backend: null,
      epoch: 0,
      step: 0,
      loss: null,
      lossHistory: [],
      stepsPerSlice: initialStepsPerSlice(init, readLimits(this.env)),
      modelId: null,
      resultModelId: newId(),
    };
  }

  protected view(record: JobRecord): JobView {
    return viewOf(record);
  }

  /** The job's view (`withHistory` false: without its loss history, as progress events send it), or null when no job has this id. */
  override async status(withHistory = true): Promise<JobView | null> {
    const record = await this.current();
    return record && viewOf(record, withHistory);
  }

  /** Forgets the in-memory run (as an eviction would; tests call it): the next slice resumes from the checkpoint. */
  drop(): void {
    this.run?.trainer.dispose();
    this.run = null;
  }

  protected async runSlice(record: JobRecord): Promise<void> {
    const limits = readLimits(this.env);
    const bucket = this.env.MODELS;
    const sliceStart = this.beginSlice(record);
    const stats = (this.stats = emptySliceStats());
    const run = await this.ensureRun(record);
    if (!run || record.status !== 'running') return; // cancelled while loading

    const { trainer } = run;
    const budgetMs = limits.jobSliceMs;
    // A slice either takes optimizer steps or, once they are all taken, runs part of the final
    // metrics pass: both in pieces, with a yield between pieces (file comment).
    const training = !trainer.done;
    const computeStart = Date.now();
    const clock = this.clockFor(run, record);
    let steps = 0;
    let outcome: SliceOutcome;
    if (training) ({ outcome, steps } = await runStepsWithin(trainer, clock, this.pieceTimes, sliceStart, Math.max(1, record.stepsPerSlice), budgetMs));
    else outcome = await measureWithin(trainer, clock, this.pieceTimes, sliceStart, budgetMs);
    if (this.run !== run || record.status !== 'running') outcome = 'stopped';
    if (outcome === 'stopped') {
      // Cancelled meanwhile (cancel cleaned up), or the run dropped: the next slice resumes from the last checkpoint.
      if (record.status === 'running') await this.ctx.storage.setAlarm(Date.now());
      return;
    }
    const computeMs = Date.now() - computeStart;
    const progress = { epoch: trainer.epoch, step: trainer.step, lossHistory: [...trainer.lossHistory], validationHistory: [...trainer.validationLosses], bestEpoch: trainer.bestEpoch };

    if (outcome === 'measured') {
      const result = await trainer.finish();
      const modelId = record.resultModelId;
      const store = new ModelStore(bucket);
      const writeStart = Date.now();
      await store.create(modelId, { name: record.name, inputSize: record.cols, hiddenSize: record.config.hiddenSize }, toBinaryModelFile(result.state));
      stats.writeMs = Date.now() - writeStart;
      if (record.status !== 'running') {
        await store.delete(modelId); // cancelled while saving: no model for a cancelled job
        return;
      }
      Object.assign(record, progress, {
        status: 'succeeded',
        modelId,
        metrics: result.metrics,
        validationMetrics: result.validationMetrics,
        bestEpoch: result.bestEpoch,
        stoppedEarly: trainer.stoppedEarly,
        finishedAt: new Date().toISOString(),
      });
      this.drop();
    } else {
      const writeStart = Date.now();
      await bucket.put(checkpointKey(record.id), encodeCheckpoint(trainer.checkpoint()));
      stats.writeMs = Date.now() - writeStart;
      if (record.status !== 'running') return; // cancelled meanwhile: cancel() cleaned up
      Object.assign(record, progress);
    }
    const wallMs = Date.now() - sliceStart;
    record.loss = record.lossHistory.at(-1) ?? null;
    // Only a slice of steps measures the steps' speed (a metrics slice is sized by time).
    if (training) record.stepsPerSlice = nextStepsPerSlice(steps, wallMs, budgetMs);
    stats.recordMs = await this.endSlice(record, wallMs);
    if (record.status !== 'running') await this.cleanUp(record);
    const batchRows = effectiveBatchRows(record.rows, record.training.batchSize);
    console.log(
      JSON.stringify({
        event: 'job.slice',
        job: record.id,
        slice: record.slices,
        phase: training ? 'steps' : 'metrics',
        steps,
        step: record.step,
        totalSteps: record.totalSteps,
        epoch: record.epoch,
        loss: record.loss,
        wallMs,
        computeMs,
        budgetMs,
        overBudget: wallMs > budgetMs,
        flops: steps * stepFlops(batchRows, record.cols, record.config.hiddenSize),
        status: record.status,
        ...stats,
      }),
    );
  }

  /** The slice's clock for src/api/jobs/slice-runner.ts: yields let requests in, pieces are counted into the stats. */
  private clockFor(run: LiveRun, record: JobRecord): SliceClock {
    return {
      now: () => Date.now(),
      yield: () => this.yieldToRequests(run, record),
      piece: async (compute) => {
        const start = Date.now();
        try {
          return await compute();
        } finally {
          this.stats.pieces += 1;
          this.stats.longestPieceMs = Math.max(this.stats.longestPieceMs, Date.now() - start);
        }
      },
    };
  }

  /**
   * Lets the requests that arrived during the last piece run (status, cancel, an event stream's
   * poll: the object handles one event at a time, and a piece of compute holds it); false when
   * one of them cancelled the job or the run was dropped meanwhile.
   */
  private async yieldToRequests(run: LiveRun, record: JobRecord): Promise<boolean> {
    await new Promise<void>((resume) => setTimeout(resume, 0));
    return this.run === run && record.status === 'running';
  }

  /** The live run, or a new one from the data and the last checkpoint (after a restart or eviction); null when the job was cancelled meanwhile. */
  private async ensureRun(record: JobRecord): Promise<LiveRun | null> {
    const bucket = this.env.MODELS;
    const live = this.run;
    if (live) {
      // A dataset deleted mid-job ends the job, even while its cells are still in memory.
      if (!(await bucket.head(record.dataKey))) throw datasetGone(record);
      if (record.validationDataKey && !(await bucket.head(record.validationDataKey))) throw validationDatasetGone(record.validationDatasetId!);
      // Dropped while the head was in flight (an eviction, or a test's drop): rebuild it
      // from the checkpoint below rather than hand back null.
      if (this.run === live) return live;
    }
    const loadStart = Date.now();
    const stats = () => this.stats;
    const source = timedShardSource(await openJobSource(bucket, record), stats);
    const opened = await openValidationSource(bucket, record);
    const validation = opened && timedShardSource(opened, stats);
    const checkpointObject = await bucket.get(checkpointKey(record.id));
    const checkpoint = checkpointObject ? decodeCheckpoint(await checkpointObject.arrayBuffer()) : undefined;
    const { backend } = await loadWorkerBackend(record.training.backend);
    const trainer = JobTrainer.start(backend, source, { config: record.config, training: record.training }, checkpoint, validation);
    if (this.run) {
      // Another event built one while this one awaited; keep the first.
      trainer.dispose();
      return this.run;
    }
    if (record.status !== 'running') {
      // Cancelled while this one awaited: the cancel deleted the checkpoint, so this run may start
      // from nothing; it must not speak for the job (its step 0 in the cancelled record).
      trainer.dispose();
      return null;
    }
    this.run = { trainer };
    this.stats.loadMs = Date.now() - loadStart;
    // The checkpoint is the truth about where the run is.
    record.backend = trainer.model.backendName;
    record.epoch = trainer.epoch;
    record.step = trainer.step;
    record.lossHistory = [...trainer.lossHistory];
    record.validationHistory = [...trainer.validationLosses];
    record.bestEpoch = trainer.bestEpoch;
    record.loss = record.lossHistory.at(-1) ?? null;
    // With validationSplit the run trains on the kept rows: its own count of steps is the truth.
    record.totalSteps = trainer.totalSteps;
    return this.run;
  }

  protected errorOf(raw: unknown, record: JobRecord): JobError {
    const error = namingValidationDataset(raw, record);
    if (error instanceof JobFailure) return { type: error.type, detail: error.message };
    if (error instanceof TrainingDivergedError) return { type: 'training-diverged', detail: error.message };
    if (error instanceof DataError) return { type: 'invalid-data', detail: error.message };
    if (error instanceof InputError) return { type: 'invalid-input', detail: error.message };
    return { type: 'internal-error', detail: `the job failed ${record.failures} times in a row (${String(error).slice(0, 200)})` };
  }

  /** Removes the checkpoint and the job's inline data once it has ended. */
  protected async cleanUp(record: JobRecord): Promise<void> {
    const keys = [checkpointKey(record.id)];
    if (record.dataKey === inlineDataKey(record.id)) keys.push(record.dataKey);
    await this.env.MODELS.delete(keys);
  }
}

/**
 * The job's data as a ShardSource, read a window of shards at a time as the run needs them
 * (docs/SPEC.md §2.1): a dataset's shards, each checked against its manifest when read, or the
 * job's inline data (at most MAX_BODY_BYTES, so one window), cut into the same shards.
 */
async function openJobSource(bucket: R2Bucket, record: JobRecord): Promise<ShardSource> {
  if (record.datasetId !== null) {
    const source = await openDatasetSource(bucket, record.datasetId);
    if (!source) throw datasetGone(record);
    return source;
  }
  const stored = await readMatrixObject(bucket, record.dataKey);
  if (!stored) throw datasetGone(record);
  return matrixShardSource(stored.matrix);
}

/**
 * The job's validation dataset, read as its training dataset is (openDatasetSource: each shard's
 * length and SHA-256 checked, so a corrupt one fails the job with invalid-data naming it); none
 * without validationDatasetId.
 */
async function openValidationSource(bucket: R2Bucket, record: JobRecord): Promise<ShardSource | undefined> {
  const id = record.validationDatasetId;
  if (!id) return undefined;
  const source = await openDatasetSource(bucket, id);
  if (!source) throw validationDatasetGone(id);
  return source;
}

/**
 * The library names the rows of a validation set "validation" (a value normalize "none" refuses,
 * say); a job's failure names the dataset they came from instead, as the detail a caller can act on.
 */
function namingValidationDataset(error: unknown, record: JobRecord): unknown {
  if (!(error instanceof DataError) || error.location.source !== 'validation' || !record.validationDatasetId) return error;
  return new DataError(error.reason, { ...error.location, source: `validation dataset ${record.validationDatasetId}` }, error.problem);
}

function validationDatasetGone(id: string): JobFailure {
  return new JobFailure('dataset-not-found', `validation dataset ${id} was deleted while the job was running`);
}

function datasetGone(record: JobRecord): JobFailure {
  return new JobFailure(
    'dataset-not-found',
    record.datasetId ? `dataset ${record.datasetId} was deleted while the job was running` : 'the job\'s data is gone from storage',
  );
}

/** Steps of the first slice: the slice budget at the assumed throughput. */
function initialStepsPerSlice(init: JobInit, limits: Limits): number {
  const flops = stepFlops(effectiveBatchRows(init.rows, init.training.batchSize), init.cols, init.config.hiddenSize);
  return Math.max(1, Math.floor((limits.jobSliceMs * limits.jobFlopsPerMs) / flops));
}

/**
 * Steps of the next slice from the last one's measured wall time: aim at 70 % of the budget,
 * grow at most 4× at a time (a measurement that includes little compute must not explode it).
 */
function nextStepsPerSlice(steps: number, wallMs: number, budgetMs: number): number {
  if (wallMs <= 0) return steps * 2;
  const target = Math.floor((steps * budgetMs * 0.7) / wallMs);
  return Math.max(1, Math.min(target, steps * 4));
}
