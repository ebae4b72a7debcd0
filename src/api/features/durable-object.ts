/**
 * One features job = one Durable Object, driven by its alarm as batch encodes are
 * (../encode-jobs/durable-object.ts): each alarm runs one step of FeatureStatsRun (a shard of the
 * dataset, or a block of decoder cosines), saves the whole run's state to R2, then the record,
 * then schedules the next alarm. The saved state is the truth: a slice killed before its state
 * was written is run again from the state before it, so the statistics of a job killed and
 * resumed are those of one run, bit for bit. The result is written last, then the working state
 * is deleted.
 */
import { DurableObject } from 'cloudflare:workers';
import { DataError, InputError, ModelOutputError } from '../../errors.js';
import { labelsFromArray } from '../../data/row-labels.js';
import { FeatureStatsRun } from '../../features/feature-stats.js';
import { SparseAutoencoder } from '../../model/sparse-autoencoder.js';
import { loadWorkerBackend } from '../backends.js';
import { openDatasetSource, type StoredDatasetSource } from '../datasets/dataset-source.js';
import type { Bindings } from '../env.js';
import { isTerminal } from '../jobs/record.js';
import { ModelStore } from '../model-store.js';
import { featureJobView, type FeatureJobInit, type FeatureJobRecord, type FeatureJobView } from './record.js';
import { deleteJobObjects, readLabels, readState, writeFeatures, writeState } from './store.js';

const RECORD_KEY = 'feature-job';
const MAX_FAILURES = 3;

class FeatureFailure extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class FeatureJob extends DurableObject<Bindings> {
  private record: FeatureJobRecord | null | undefined;
  private live: { model: SparseAutoencoder; run: FeatureStatsRun; source: StoredDatasetSource } | null = null;
  private sliceInProgress = false;

  async start(init: FeatureJobInit): Promise<FeatureJobView> {
    const existing = await this.load();
    if (existing) return featureJobView(existing);
    const now = new Date().toISOString();
    const record: FeatureJobRecord = {
      ...init,
      status: 'queued',
      phase: 'scan',
      step: 0,
      steps: 0,
      slices: 0,
      sliceMs: 0,
      failures: 0,
      error: null,
      createdAt: now,
      startedAt: null,
      updatedAt: now,
      finishedAt: null,
    };
    await this.save(record);
    await this.ctx.storage.setAlarm(Date.now());
    return featureJobView(record);
  }

  async status(): Promise<FeatureJobView | null> {
    const record = await this.load();
    if (!record) return null;
    // Never a hang: an unfinished job always has a slice scheduled or running.
    if (!isTerminal(record.status) && !this.sliceInProgress && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now());
    }
    return featureJobView(record);
  }

  async cancel(): Promise<FeatureJobView | null> {
    const record = await this.load();
    if (!record) return null;
    if (isTerminal(record.status)) return featureJobView(record);
    record.status = 'cancelled';
    record.finishedAt = new Date().toISOString();
    await this.save(record);
    await this.ctx.storage.deleteAlarm();
    this.drop();
    await deleteJobObjects(this.env.MODELS, record.id);
    return featureJobView(record);
  }

  /** For tests: forget the loaded model and run, as an eviction would; the next slice resumes from the state in R2. */
  drop(): void {
    this.live?.model.dispose();
    this.live = null;
  }

  override async alarm(): Promise<void> {
    const record = await this.load();
    if (!record || isTerminal(record.status)) return;
    this.sliceInProgress = true;
    try {
      await this.runSlice(record);
    } catch (error) {
      await this.handleError(record, error);
    } finally {
      this.sliceInProgress = false;
    }
  }

  private async runSlice(record: FeatureJobRecord): Promise<void> {
    const started = Date.now();
    if (record.status === 'queued') {
      record.status = 'running';
      record.startedAt = new Date(started).toISOString();
    }
    const { run, source } = await this.ensureLive(record);
    if (!run.done) {
      await run.step();
      await writeState(this.env.MODELS, record.id, run.state());
    }
    if ((await this.load())?.status !== 'running') return; // cancelled meanwhile: cancel() cleaned up
    Object.assign(record, run.progress);
    if (run.done) {
      // Labels sent with the job, else the dataset's own (read only for the rows the result shows).
      const sent = record.labelled ? await readLabels(this.env.MODELS, record.id) : null;
      const result = await run.result(sent !== null ? labelsFromArray(sent) : source.labels);
      if ((await this.load())?.status !== 'running') return; // cancelled meanwhile
      await writeFeatures(this.env.MODELS, record.modelId, { ...result, jobId: record.id, datasetId: record.datasetId, modelVersion: record.modelVersion, createdAt: new Date().toISOString() });
      await deleteJobObjects(this.env.MODELS, record.id);
      record.status = 'succeeded';
      record.finishedAt = new Date().toISOString();
      record.step = record.steps;
      this.drop();
    }
    record.slices += 1;
    record.sliceMs += Date.now() - started;
    record.failures = 0;
    await this.save(record);
    if (record.status === 'running') await this.ctx.storage.setAlarm(Date.now());
  }

  /** The model (at the version the job started with), the dataset and the run, resumed from R2's state. */
  private async ensureLive(record: FeatureJobRecord) {
    if (this.live) return this.live;
    const stored = await new ModelStore(this.env.MODELS).get(record.modelId);
    if (!stored) throw new FeatureFailure('model-not-found', `The model ${record.modelId} was deleted during the features job.`);
    if (stored.summary.version !== record.modelVersion) {
      throw new FeatureFailure('conflict', `The model ${record.modelId} was retrained during the features job (version ${record.modelVersion} → ${stored.summary.version}); start a new one.`);
    }
    const source = await openDatasetSource(this.env.MODELS, record.datasetId);
    if (!source) throw new FeatureFailure('dataset-not-found', `The dataset ${record.datasetId} was deleted during the features job.`);
    const { backend } = await loadWorkerBackend('auto');
    const model = SparseAutoencoder.fromBytes(stored.bytes, backend, `model ${record.modelId}`);
    const saved = await readState(this.env.MODELS, record.id);
    const run = saved === null ? FeatureStatsRun.start(model, source, record.options) : FeatureStatsRun.resume(model, source, saved);
    this.live = { model, run, source };
    return this.live;
  }

  private async handleError(record: FeatureJobRecord, error: unknown): Promise<void> {
    this.drop();
    const known = error instanceof FeatureFailure || error instanceof InputError;
    if (!known) {
      record.failures += 1;
      console.error(JSON.stringify({ event: 'feature-job.error', job: record.id, failures: record.failures, error: String(error) }));
      if (record.failures < MAX_FAILURES) {
        await this.save(record);
        await this.ctx.storage.setAlarm(Date.now() + 1000 * 2 ** record.failures);
        return;
      }
    }
    if (error instanceof ModelOutputError) error = error.forModel(record.modelId);
    const type = error instanceof FeatureFailure ? error.type : error instanceof ModelOutputError ? 'model-overflow' : error instanceof DataError ? (error.problem === 'missing' ? 'dataset-not-found' : 'invalid-data') : error instanceof InputError ? 'invalid-input' : 'storage-unavailable';
    record.status = 'failed';
    record.error = { type, detail: error instanceof Error ? error.message : String(error) };
    record.finishedAt = new Date().toISOString();
    await this.save(record);
    await deleteJobObjects(this.env.MODELS, record.id).catch(() => undefined);
  }

  private async load(): Promise<FeatureJobRecord | null> {
    if (this.record === undefined) this.record = (await this.ctx.storage.get<FeatureJobRecord>(RECORD_KEY)) ?? null;
    return this.record;
  }

  private async save(record: FeatureJobRecord): Promise<void> {
    record.updatedAt = new Date().toISOString();
    this.record = record;
    await this.ctx.storage.put(RECORD_KEY, record);
  }
}
