/**
 * One features job = one Durable Object, driven by its alarm as batch encodes are
 * (../encode-jobs/durable-object.ts): each alarm runs one step of FeatureStatsRun (a shard of the
 * dataset, or a block of decoder cosines), saves the whole run's state to R2, then the record,
 * then schedules the next alarm. The saved state is the truth: a slice killed before its state
 * was written is run again from the state before it, so the statistics of a job killed and
 * resumed are those of one run, bit for bit. The result is written last, then the working state
 * is deleted. The record's life, status, cancel and failure handling are every sliced job's
 * (../sliced-job.ts).
 */
import { labelsFromArray } from '../../data/row-labels.js';
import { FeatureStatsRun } from '../../features/feature-stats.js';
import { SparseAutoencoder } from '../../model/sparse-autoencoder.js';
import { loadWorkerBackend } from '../backends.js';
import { openDatasetSource, type StoredDatasetSource } from '../datasets/dataset-source.js';
import { modelJobError } from '../model-job-error.js';
import { ModelStore } from '../model-store.js';
import { JobFailure, SlicedJob, type JobError } from '../sliced-job.js';
import { featureJobView, type FeatureJobInit, type FeatureJobRecord, type FeatureJobView } from './record.js';
import { deleteJobObjects, readLabels, readState, writeFeatures, writeState } from './store.js';

export class FeatureJob extends SlicedJob<FeatureJobInit, FeatureJobRecord, FeatureJobView> {
  protected readonly kind = 'feature-job';
  private live: { model: SparseAutoencoder; run: FeatureStatsRun; source: StoredDatasetSource } | null = null;

  protected initialRecord(init: FeatureJobInit) {
    return { ...init, phase: 'scan' as const, step: 0, steps: 0 };
  }

  protected view(record: FeatureJobRecord): FeatureJobView {
    return featureJobView(record);
  }

  /** Forgets the loaded model and run (as an eviction would; tests call it): the next slice resumes from the state in R2. */
  drop(): void {
    this.live?.model.dispose();
    this.live = null;
  }

  protected async runSlice(record: FeatureJobRecord): Promise<void> {
    const started = this.beginSlice(record);
    const { run, source } = await this.ensureLive(record);
    if (record.status !== 'running') return; // cancelled while loading
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
    await this.endSlice(record, Date.now() - started);
  }

  /** The model (at the version the job started with), the dataset and the run, resumed from R2's state. */
  private async ensureLive(record: FeatureJobRecord) {
    if (this.live) return this.live;
    const stored = await new ModelStore(this.env.MODELS).get(record.modelId);
    if (!stored) throw new JobFailure('model-not-found', `The model ${record.modelId} was deleted during the features job.`);
    if (stored.summary.version !== record.modelVersion) {
      throw new JobFailure('conflict', `The model ${record.modelId} was retrained during the features job (version ${record.modelVersion} → ${stored.summary.version}); start a new one.`);
    }
    const source = await openDatasetSource(this.env.MODELS, record.datasetId);
    if (!source) throw new JobFailure('dataset-not-found', `The dataset ${record.datasetId} was deleted during the features job.`);
    const { backend } = await loadWorkerBackend('auto');
    const model = SparseAutoencoder.fromBytes(stored.bytes, backend, `model ${record.modelId}`);
    const saved = await readState(this.env.MODELS, record.id);
    const run = saved === null ? FeatureStatsRun.start(model, source, record.options) : FeatureStatsRun.resume(model, source, saved);
    this.live = { model, run, source };
    return this.live;
  }

  /** The run's state and labels: an unfinished job leaves nothing behind (the model's last statistics stay). */
  protected async cleanUp(record: FeatureJobRecord): Promise<void> {
    await deleteJobObjects(this.env.MODELS, record.id);
  }

  protected errorOf(error: unknown, record: FeatureJobRecord): JobError {
    return modelJobError(error, record.modelId);
  }
}
