/**
 * One local sweep trial through the library: what `edge-sae train --data FILE --out MODEL` does
 * for a fresh model (the data streamed from the file, docs/SPEC.md §2.1; the same backend
 * choice, seed, fitStream and model file bytes), so a trial's model is the model `edge-sae train`
 * writes with the same options. Runs in a trial's worker thread (trial-worker.ts); the sweep's
 * tests check the two byte for byte.
 */
import { loadNodeBackend } from '../backends/node-providers.js';
import { isRawFloat32, openDataSource, type OpenedDataSource } from '../data/open-data-source.js';
import { withDataSourceAsync } from '../data/source-errors.js';
import { writeFileAtomic } from '../data/write-file.js';
import { DataError, InputError } from '../errors.js';
import type { ModelConfig, TrainingOptions } from '../model/config.js';
import { modelBytesFor } from '../model/model-bytes.js';
import type { TrainingProgress } from '../model/epoch-loop.js';
import { SparseAutoencoder } from '../model/sparse-autoencoder.js';
import type { TrialSpec, TrialSummary } from './trial-messages.js';

/** Trains one trial and writes its model to `spec.out`; throws what training throws (InputError: the trial's input). */
export async function runTrial(spec: TrialSpec, onProgress: (progress: TrainingProgress) => void): Promise<TrialSummary> {
  const data = await openDataSource(spec.data, spec.cols);
  let validation: OpenedDataSource | undefined;
  try {
    // A raw float32 validation file has the training data's width, as train reads it.
    validation = spec.validationData === undefined ? undefined : await openDataSource(spec.validationData, isRawFloat32(spec.validationData) ? data.shards.cols : undefined);
    if (validation && validation.shards.cols !== data.shards.cols) {
      throw new DataError(`rows have ${validation.shards.cols} columns, but the training data in ${data.source} has ${data.shards.cols}`, { source: validation.source, row: validation.firstRow, column: Math.min(validation.shards.cols, data.shards.cols) + 1 });
    }
    const training = spec.training as Partial<TrainingOptions>;
    const { backend } = await loadNodeBackend(training.backend ?? 'auto', { threads: 1 }); // one thread a trial: the trials already run side by side (--jobs), one a core
    const model = SparseAutoencoder.create(data.shards.cols, spec.config as Partial<ModelConfig>, backend, { seed: training.seed });
    try {
      const started = Date.now();
      const extras = { onProgress, ...(validation ? { validation: validation.shards } : {}) };
      const result = await withDataSourceAsync(data, () => withDataSourceAsync(validation ?? data, () => model.fitStream(data.shards, training, extras), 'validation'));
      writeFileAtomic(spec.out, modelBytesFor(spec.out, model));
      return {
        metrics: result.metrics,
        ...(result.validationMetrics ? { validationMetrics: result.validationMetrics } : {}),
        ...(result.bestEpoch !== null ? { bestEpoch: result.bestEpoch } : {}),
        epochs: result.lossHistory.length,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      model.dispose();
    }
  } finally {
    await data.close();
    await validation?.close();
  }
}

/** A trial's error as its exit: 2 for the caller's input (InputError, as the CLI exits), else 1, and its message. */
export function trialFailure(error: unknown): { code: number; error: string } {
  const message = error instanceof Error ? error.message : String(error);
  return { code: error instanceof InputError ? 2 : 1, error: message.replace(/\s*\n\s*/g, ' ') };
}
