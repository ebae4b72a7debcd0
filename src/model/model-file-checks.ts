/**
 * Checks of a model file's fields that are not tensors (docs/MODEL-FORMAT.md "What a reader
 * refuses"): JSON text nested deeper than any model file needs (refused before it is parsed),
 * `metrics` against its schema, and the keys of `config` and `training`. A file that passes
 * holds nothing but what the format defines, so what is stored and served back is what the
 * schemas promise (issue 24, item 8).
 */
import { findDeepNesting, MAX_JSON_DEPTH } from '../util/json-depth.js';
import { describeValue } from '../util/describe-value.js';
import { ModelFileError } from '../errors.js';
import type { StoredMetrics } from './metrics.js';
import { MODEL_OPTIONS, TRAINING_OPTIONS } from './options.js';

export { MAX_JSON_DEPTH };

/** Refuses `text` (JSON of a model file, or of one of its parts) when it nests deeper than MAX_JSON_DEPTH. */
export function checkJsonDepth(text: string, fieldOf: (key: string | null) => string, source?: string): void {
  const deep = findDeepNesting(text, MAX_JSON_DEPTH);
  if (deep === null) return;
  throw new ModelFileError(
    fieldOf(deep.key),
    `nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep (at character ${deep.offset}); no field of a model file does, so the text is refused before it is parsed`,
    source,
  );
}

interface Reader {
  fail(field: string, problem: string): never;
  object(value: unknown, field: string): Record<string, unknown>;
  integer(value: unknown, field: string, min: number): number;
}

/** Each metric and what it must be; `optional` ones are absent in files written before them (metrics.ts AddedMetricKeys). */
const METRIC_FIELDS: Record<keyof StoredMetrics | 'explainedVariance' | 'l0' | 'denseUnits', { kind: 'number' | 'number-or-null' | 'count' | 'units'; optional?: true }> = {
  loss: { kind: 'number' },
  reconstruction: { kind: 'number' },
  weightDecay: { kind: 'number' },
  sparsity: { kind: 'number' },
  meanActivation: { kind: 'number' },
  fvu: { kind: 'number-or-null' },
  explainedVariance: { kind: 'number-or-null', optional: true },
  l0: { kind: 'number', optional: true },
  deadUnits: { kind: 'units' },
  denseUnits: { kind: 'units', optional: true },
  rows: { kind: 'count' },
};

/**
 * The file's `metrics`: absent, null or `{}` (none), or every metric of docs/SPEC.md section 2 with
 * its type (finite numbers, fvu and explainedVariance possibly null, unit counts whole and at most
 * `hiddenSize`, rows whole and positive) and no other key.
 */
export function readMetrics(read: Reader, value: unknown, hiddenSize: number): StoredMetrics | null {
  if (value === undefined || value === null) return null;
  const metrics = read.object(value, 'metrics');
  const keys = Object.keys(metrics);
  if (keys.length === 0) return null;
  refuseUnknownKeys(read, metrics, 'metrics', Object.keys(METRIC_FIELDS));
  const out: Record<string, number | null> = {};
  for (const [key, spec] of Object.entries(METRIC_FIELDS)) {
    const field = `metrics.${key}`;
    const v = metrics[key];
    if (v === undefined) {
      if (spec.optional) continue;
      read.fail(field, 'is missing (metrics hold every metric of docs/SPEC.md section 2, or none: {})');
    }
    if (spec.kind === 'number-or-null' && v === null) {
      out[key] = null;
    } else if (spec.kind === 'count' || spec.kind === 'units') {
      const count = read.integer(v, field, spec.kind === 'count' ? 1 : 0);
      if (spec.kind === 'units' && count > hiddenSize) read.fail(field, `counts hidden units: at most hiddenSize ${hiddenSize}, got ${count}`);
      out[key] = count;
    } else {
      if (typeof v !== 'number' || !Number.isFinite(v)) read.fail(field, `must be a finite number${spec.kind === 'number-or-null' ? ' or null' : ''}, got ${describeValue(v)}`);
      out[key] = v;
    }
  }
  return out as unknown as StoredMetrics;
}

/** The keys a file's `training` may hold: the training options, and what the writer adds (backend: the one that trained; epochsCompleted). */
const TRAINING_KEYS = [...Object.keys(TRAINING_OPTIONS), 'epochsCompleted'];

/** The longest backend name a file may give (the names are short words: "assemblyscript", "tfjs-wasm"). */
const MAX_BACKEND_NAME = 64;

/** Refuses keys of `training` that are no training option; checks the backend that trained, a short name. */
export function checkTrainingKeys(read: Reader, training: Record<string, unknown>): void {
  refuseUnknownKeys(read, training, 'training', TRAINING_KEYS);
  const backend = training.backend;
  if (backend !== undefined && (typeof backend !== 'string' || backend.length === 0 || backend.length > MAX_BACKEND_NAME)) {
    read.fail('training.backend', `must name the backend that trained the model (text of 1 to ${MAX_BACKEND_NAME} characters), got ${describeValue(backend)}`);
  }
}

/** Refuses keys of `config` that are no model option (a typo would otherwise be dropped unseen). */
export function checkConfigKeys(read: Reader, config: Record<string, unknown>): void {
  refuseUnknownKeys(read, config, 'config', Object.keys(MODEL_OPTIONS));
}

function refuseUnknownKeys(read: Reader, value: Record<string, unknown>, field: string, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) read.fail(`${field}.${shortKey(key)}`, `is not a field of ${field} (known: ${known.join(', ')})`);
  }
}

/** A key as a field name in an error: cut when long, so a 1 MB key is not echoed. */
function shortKey(key: string): string {
  return key.length <= 60 ? key : `${key.slice(0, 60)}…`;
}
