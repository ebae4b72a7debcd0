/**
 * Every limit of the HTTP API, in one place (LIMIT_VARS). Each has its default here, and only here,
 * and may be overridden by a wrangler var of the same name (`[vars]` in wrangler.toml, or
 * `--var NAME:VALUE` for one run).
 * A limit that is exceeded gives 413 with a problem+json body naming the limit and its value;
 * work that is too large for one request points to the asynchronous jobs API.
 */
import { parameterCount as countParameters } from '../backends/types.js';
import { ApiError } from './problem.js';

/** How one limit is declared: its wrangler var, its default, and what it bounds. */
interface LimitSpec {
  name: string;
  default: number;
  description: string;
  /** What a request over it gets, for docs/API.md's table (default: 413 limit-exceeded). */
  over?: string;
}

/** Every limit of the API and the jobs: the single source of its var name, default and meaning. */
export const LIMIT_VARS = {
  // The Worker's memory is one isolate's 128 MB, shared by the bundle, the model cache and the request
  // in flight; the byte limits below are chosen so their sum stays under it (docs/API.md, Storage).
  maxBodyBytes: { name: 'MAX_BODY_BYTES', default: 4 * 1024 * 1024, description: 'Largest request body on any route except import, in bytes (4 MiB: JSON rows parse to ≈ 3× their text in the isolate).' },
  // 24 MiB holds a binary model of MAX_INFERENCE_BYTES without Adam's state (imported SAEs have none),
  // or one of 8 MiB with it (12 bytes a parameter). Measured in workerd (bench/workerd-sparse.json):
  // importing a 16.7 MB file grew workerd by 84 MB (the body, the stored copy, the session).
  maxModelBytes: { name: 'MAX_MODEL_BYTES', default: 24 * 1024 * 1024, description: 'Largest model file accepted by POST /v1/models/import, in bytes, either form (24 MiB: the body is held whole while it is checked, beside the binary copy stored and the session built from it; a binary file is 4 bytes a parameter, 12 with Adam\'s state; JSON ≈ 12 bytes a parameter without it, ≈ 37 with it).' },
  maxInferenceBytes: { name: 'MAX_INFERENCE_BYTES', default: 16 * 1024 * 1024, description: 'Largest model the Worker imports and serves, in bytes of what inference reads: its weights, biases and scaling (16 MiB ≈ 4.2 million float32 parameters, 768 → 2,716). Measured in workerd (bench/workerd-sparse.json): the first encode of such a model grew it by 62 MB, one of 32 MiB by 120 MB, too near the isolate\'s 128 MB (docs/API.md, Storage).' },
  // An encode reads only the encoder (src/api/models/encoder-ranges.ts), so a model far above
  // MAX_INFERENCE_BYTES is served for encode when its encoder fits this: 40 MiB holds a 768 → 24576
  // bf16 encoder (36 MiB). Measured in workerd (npm run e2e:model-parts, bench/workerd-model-parts.json).
  maxEncoderBytes: { name: 'MAX_ENCODER_BYTES', default: 40 * 1024 * 1024, description: 'Largest encoder the Worker loads for encode, in bytes as stored (W_enc in its dtype, plus b_enc, the threshold, b_dec and the scaling): a cold encode reads only these ranges from R2, never the decoder, so a model above MAX_INFERENCE_BYTES is still encoded when its encoder fits (40 MiB: a 768 → 24576 bf16 encoder, 36 MiB, fits; while it loads, its bytes and their kernel layout are both held, ≈ 2× this). Measured in wrangler dev (docs/BENCHMARKS.md): workerd, with its local R2, grew by ≈ 150 MB for the first encode of that model.' },
  maxRows: { name: 'MAX_ROWS', default: 10_000, description: 'Most data rows in one request.' },
  maxColumns: { name: 'MAX_COLUMNS', default: 4_096, description: 'Most columns (input size n) of data and of a model (4,096: the residual streams of the public SAEs, 768 to 2,304, fit; MAX_CELLS bounds a request\'s numbers).' },
  maxCells: { name: 'MAX_CELLS', default: 500_000, description: 'Most numbers (rows × columns) in one request (2 MB as float32; ≈ 4 MiB of JSON text).' },
  maxHiddenSize: { name: 'MAX_HIDDEN_SIZE', default: 4_096, description: 'Largest hidden size h a request or job trains (imported models are bounded by MAX_INFERENCE_BYTES instead).' },
  maxParameters: { name: 'MAX_PARAMETERS', default: 1_000_000, description: 'Most learned parameters of a model trained in the Worker (synchronously, by a job, or a continued run of an imported model): 2·n·h + n + h (784→196 MNIST: 308,308). Training holds 16 bytes a parameter (weights, gradients, Adam\'s two moments) beside the 12-byte file it reads: 28 MB at 10⁶.' },
  maxEpochs: { name: 'MAX_EPOCHS', default: 10_000, description: 'Most epochs in one synchronous training request.' },
  maxTrainFlops: { name: 'MAX_TRAIN_FLOPS', default: 2e10, description: 'Synchronous work budget: estimated floating-point operations of one training request, ≈ 12·rows·n·h·epochs.' },
  maxListLimit: { name: 'MAX_LIST_LIMIT', default: 100, description: 'Largest page of a listing: GET /v1/models, /v1/datasets, /v1/keys, /v1/audit.', over: '422' },
  modelCacheEntries: { name: 'MODEL_CACHE_ENTRIES', default: 16, description: 'Models kept decoded in one isolate\'s cache.', over: '(evicts)' },
  modelCacheBytes: { name: 'MODEL_CACHE_BYTES', default: 48 * 1024 * 1024, description: 'Bytes of memory the isolate\'s model cache may hold, least recently used evicted first; room is made before a model is loaded (48 MiB: with one cold load of MAX_INFERENCE_BYTES beside it, ≈ 64 MiB of the 128 MB isolate). A model weighs its parameters (4 bytes each, or its inference bytes if more), its encoder laid out for encode (4·n·h at most) and 2 MiB of scratch; one just trained, its gradients and moments too (12 bytes a parameter). A model heavier than the whole cache is served but not kept.', over: '(evicts)' },
  modelCacheRevalidateMs: { name: 'MODEL_CACHE_REVALIDATE_MS', default: 5_000, description: 'How long a cached model serves encode without reading R2 at all, in ms; after it, one metadata read re-confirms its version. Another isolate\'s retrain or delete is seen within this window (this isolate\'s at once); 1 = check on every request.', over: '—' },
  decodeRangeReads: { name: 'DECODE_RANGE_READS', default: 16, description: 'Most R2 range reads one sparse decode makes for the decoder rows its features name: nearby rows are read together, and beyond this count the smallest gaps between them are read too (streamed, one row held at a time).', over: '(merges reads)' },
  // A shard holds its slice twice while it loads (the bytes read from R2, then the kernel's panels)
  // and once after: 32 MiB is ≈ 64 MiB at the peak, with the runtime, the request's rows and scratch
  // ≈ 90 MB of the 128 MB isolate. 2304 → 65536 bf16 (302 MB) is 10 shards (docs/ENCODING.md).
  encodeShardBytes: { name: 'ENCODE_SHARD_BYTES', default: 32 * 1024 * 1024, description: 'A model whose encoder (W_enc as stored, b_enc, the threshold) takes more bytes than this is encoded by shards: its feature columns split over Durable Objects of at most this many bytes each (32 MiB: a shard holds its slice twice while it loads, ≈ 64 MiB, under the 128 MB isolate with room for the runtime and a request; docs/ENCODING.md, Sharded encoders).', over: '(shards)' },
  encodeShardTimeoutMs: { name: 'ENCODE_SHARD_TIMEOUT_MS', default: 60_000, description: 'Longest wait for one shard of a sharded encode, in ms (a cold shard first reads its slice from R2); past it the encode is 503 shard-unavailable with Retry-After, never a partial answer.', over: '503' },
  maxDatasetBytes: { name: 'MAX_DATASET_BYTES', default: 32 * 1024 * 1024, description: 'Largest body of POST /v1/datasets (a dataset sent in one request), in bytes.' },
  maxDatasetRows: { name: 'MAX_DATASET_ROWS', default: 2 ** 31, description: 'Most rows of a stored dataset.' },
  maxDatasetCells: { name: 'MAX_DATASET_CELLS', default: 2 ** 31, description: 'Most numbers (rows × columns) of a stored dataset (8 GiB as float32, 2 GiB as uint8).' },
  maxPartBytes: { name: 'MAX_PART_BYTES', default: 8 * 1024 * 1024, description: 'Largest part of an upload in parts, in bytes (a part is one shard: at most 2²⁰ values, 4 MiB as float32, unless one row is wider).' },
  maxLabelBytes: { name: 'MAX_LABEL_BYTES', default: 1_024, description: 'Longest label or text of one dataset row (a CSV labelColumn, JSON labels, a line of a labels part), in bytes of UTF-8.', over: '422 invalid-data' },
  maxDatasetLabelBytes: { name: 'MAX_DATASET_LABEL_BYTES', default: 64 * 1024 * 1024, description: 'Most bytes of labels one dataset stores (as JSON strings, beside its shards).' },
  uploadExpirySeconds: { name: 'UPLOAD_EXPIRY_SECONDS', default: 86_400, description: 'How long an upload in parts stays open after it starts or after its last part arrived; then it and its parts are deleted, in s.', over: '(404 after)' },
  maxJobEpochs: { name: 'MAX_JOB_EPOCHS', default: 50_000, description: 'Most epochs of one job.' },
  maxJobFlops: { name: 'MAX_JOB_FLOPS', default: 1e14, description: 'Work budget of one job: estimated floating-point operations, ≈ 12·rows·n·h·epochs, plus 4·rows·n·h·epochs over the rows of a validation dataset (validationDatasetId).' },
  jobSliceMs: { name: 'JOB_SLICE_MS', default: 1_000, description: 'Target wall time of one job slice (one alarm), in ms; kept well under the CPU cap.', over: '(sizes slices)' },
  jobFlopsPerMs: { name: 'JOB_FLOPS_PER_MS', default: 1e6, description: 'Assumed kernel throughput (FLOP per ms) that sizes a job\'s first slice; later slices use measured time.', over: '(sizes slices)' },
  maxRunningJobs: { name: 'MAX_RUNNING_JOBS', default: 32, description: 'Most jobs running at once in the deployment (jobs and sweep trials alike); one more is refused with 429 too-many-jobs.', over: '429 too-many-jobs' },
  maxSweepTrials: { name: 'MAX_SWEEP_TRIALS', default: 16, description: 'Most trials of one sweep (the grid\'s product, or the trials listed).' },
  jobEventsIntervalMs: { name: 'JOB_EVENTS_INTERVAL_MS', default: 500, description: 'How often GET /v1/jobs/{id}/events and /v1/feature-jobs/{id}/events look for progress, in ms.', over: '—' },
  eventStreamMaxMs: { name: 'EVENT_STREAM_MAX_MS', default: 300_000, description: 'Longest life of one event stream (GET /v1/jobs/{id}/events, /v1/feature-jobs/{id}/events, /v1/sweeps/{id}/events), in ms; then it sends a `reconnect` event and closes, and the client reconnects with Last-Event-ID.', over: '(reconnect)' },
  maxKeys: { name: 'MAX_KEYS', default: 1_000, description: 'Most managed keys stored at once (expired ones count until revoked); one more is refused with 409 too-many-keys.', over: '409 too-many-keys' },
  auditMaxEntries: { name: 'AUDIT_MAX_ENTRIES', default: 100_000, description: 'Most entries the audit trail keeps; the oldest are pruned as new ones arrive.', over: '(prunes)' },
  auditRetentionDays: { name: 'AUDIT_RETENTION_DAYS', default: 90, description: 'Age after which an audit entry is pruned, in days.', over: '(prunes)' },
  auditFoldSeconds: { name: 'AUDIT_FOLD_SECONDS', default: 60, description: 'Window in which refused (403) writes of one key on one route are counted in one audit entry, not one entry each, in s.', over: '(counts)' },
} as const satisfies Record<string, LimitSpec>;

export type LimitKey = keyof typeof LIMIT_VARS;

/** The limits in force: one number per entry of LIMIT_VARS. */
export type Limits = Record<LimitKey, number>;

/** The wrangler var of each limit. */
export type LimitVarName = (typeof LIMIT_VARS)[LimitKey]['name'];

/** The limit vars as the Worker may receive them: strings as wrangler vars arrive, numbers also accepted. */
export type LimitBindings = { [Name in LimitVarName]?: string | number };

/**
 * The period of wrangler.toml's `[[ratelimits]]` RATE_LIMITER, in seconds: how long a refused
 * caller should wait (Retry-After). The binding's config is not readable at run time, so this is
 * its copy; test/config/wrangler-config.test.ts fails when the two disagree.
 */
export const RATE_LIMIT_PERIOD_SECONDS = 10;

/**
 * How long an isolate trusts a lookup of a managed key (keys/lookup.ts): the documented bound on
 * revocation (docs/API.md, Keys, is generated from it). Here, beside the other constants the docs
 * read, because this module loads in Node.
 */
export const KEY_CACHE_MS = 2_000;

const warned = new Set<string>();

/**
 * The limits in force for this request: defaults overridden by positive numeric vars. A var that
 * is not a positive number is ignored (with one warning per isolate) rather than failing requests.
 */
export function readLimits(env: LimitBindings | undefined): Limits {
  const limits = {} as Limits;
  for (const key of Object.keys(LIMIT_VARS) as LimitKey[]) {
    const spec = LIMIT_VARS[key];
    const raw = env?.[spec.name];
    let value: number = spec.default;
    if (raw !== undefined && raw !== '') {
      const parsed = typeof raw === 'number' ? raw : Number(raw);
      if (Number.isFinite(parsed) && parsed > 0) value = parsed;
      else if (!warned.has(spec.name)) {
        warned.add(spec.name);
        console.warn(`edge-sae: ignoring ${spec.name}=${JSON.stringify(raw)}; using ${spec.default}`);
      }
    }
    limits[key] = value;
  }
  return limits;
}

/** Learned parameters of a model with input n and hidden h: W1, W2, b1, b2. */
export function parameterCount(inputSize: number, hiddenSize: number): number {
  return countParameters({ inputSize, hiddenSize });
}

/**
 * Estimated floating-point operations of training: per epoch a forward pass (X·W1 and a·W2,
 * 2·m·n·h each) and a backward pass (about twice the forward), so ≈ 12·m·n·h per epoch.
 */
export function trainingFlops(rows: number, inputSize: number, hiddenSize: number, epochs: number): number {
  return 12 * rows * inputSize * hiddenSize * epochs;
}

/** The defaults alone (what a Worker with no limit vars uses). */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze(readLimits(undefined));

const JOBS_HINT = 'Train larger work asynchronously with POST /v1/jobs.';

/** 413 naming the limit, its var and its value. */
export function limitExceeded(key: LimitKey, limits: Limits, what: string, jobsHint = false): ApiError {
  const { name } = LIMIT_VARS[key];
  return new ApiError(413, {
    type: 'limit-exceeded',
    title: 'Limit exceeded',
    detail: `${what} exceeds the limit ${name} = ${limits[key]}.${jobsHint ? ` ${JOBS_HINT}` : ''}`,
    extra: { limit: name, value: limits[key] },
  });
}

/** Checks the size of a data set against rows, columns and cells; throws 413. */
export function checkDataSize(limits: Limits, rows: number, columns: number, jobsHint: boolean): void {
  if (rows > limits.maxRows) throw limitExceeded('maxRows', limits, `The data has ${rows} rows; it`, jobsHint);
  if (columns > limits.maxColumns) {
    throw limitExceeded('maxColumns', limits, `The data has ${columns} columns; it`, jobsHint);
  }
  if (rows * columns > limits.maxCells) {
    throw limitExceeded('maxCells', limits, `The data has ${rows} × ${columns} = ${rows * columns} numbers; it`, jobsHint);
  }
}

/** Checks the model's size against hidden size and parameter count; throws 413. */
export function checkModelSize(limits: Limits, inputSize: number, hiddenSize: number): void {
  if (hiddenSize > limits.maxHiddenSize) {
    throw limitExceeded('maxHiddenSize', limits, `config.hiddenSize = ${hiddenSize}`, true);
  }
  const params = parameterCount(inputSize, hiddenSize);
  if (params > limits.maxParameters) {
    throw limitExceeded('maxParameters', limits, `A model with ${inputSize} inputs and ${hiddenSize} hidden units has ${params} parameters; it`, true);
  }
}

/** Checks the bytes a model's inference reads against MAX_INFERENCE_BYTES and its input size against MAX_COLUMNS; throws 413. */
export function checkInferenceSize(limits: Limits, inputSize: number, bytes: number): void {
  if (inputSize > limits.maxColumns) throw limitExceeded('maxColumns', limits, `The model takes ${inputSize} inputs; it`);
  if (bytes > limits.maxInferenceBytes) {
    throw limitExceeded('maxInferenceBytes', limits, `The model's weights, biases and scaling take ${bytes} bytes as float32; it`);
  }
}

/** Checks the bytes an encode-only load reads (the encoder as stored) against MAX_ENCODER_BYTES and the input size against MAX_COLUMNS; throws 413. */
export function checkEncoderSize(limits: Limits, inputSize: number, bytes: number): void {
  if (inputSize > limits.maxColumns) throw limitExceeded('maxColumns', limits, `The model takes ${inputSize} inputs; it`);
  if (bytes > limits.maxEncoderBytes) throw limitExceeded('maxEncoderBytes', limits, `The model's encoder (W_enc as stored, its biases, threshold and scaling) takes ${bytes} bytes; it`);
}

/** Checks epochs and the estimated work of a training request; throws 413 pointing to jobs. */
export function checkTrainingWork(
  limits: Limits,
  rows: number,
  inputSize: number,
  hiddenSize: number,
  epochs: number,
): void {
  if (epochs > limits.maxEpochs) throw limitExceeded('maxEpochs', limits, `training.epochs = ${epochs}`, true);
  const flops = trainingFlops(rows, inputSize, hiddenSize, epochs);
  if (flops > limits.maxTrainFlops) {
    throw limitExceeded(
      'maxTrainFlops',
      limits,
      `Training ${rows} rows × ${inputSize} columns with ${hiddenSize} hidden units for ${epochs} epochs (≈ ${flops.toExponential(2)} floating-point operations)`,
      true,
    );
  }
}

/** Checks the shape of a dataset upload against MAX_DATASET_ROWS, MAX_COLUMNS and MAX_DATASET_CELLS; throws 413. */
export function checkDatasetSize(limits: Limits, rows: number, columns: number): void {
  if (rows > limits.maxDatasetRows) throw limitExceeded('maxDatasetRows', limits, `The dataset has ${rows} rows; it`);
  if (columns > limits.maxColumns) throw limitExceeded('maxColumns', limits, `The dataset has ${columns} columns; it`);
  if (rows * columns > limits.maxDatasetCells) {
    throw limitExceeded('maxDatasetCells', limits, `The dataset has ${rows} × ${columns} = ${rows * columns} numbers; it`);
  }
}

/**
 * Checks the epochs and estimated work of a job; throws 413. A validation dataset of
 * `validationRows` is measured after every epoch, a forward pass (≈ 4·m·n·h) each time, so it
 * counts too: a large one beside a small training set is work the training rows do not show.
 */
export function checkJobWork(limits: Limits, rows: number, inputSize: number, hiddenSize: number, epochs: number, validationRows = 0): void {
  if (epochs > limits.maxJobEpochs) throw limitExceeded('maxJobEpochs', limits, `training.epochs = ${epochs}`);
  const flops = trainingFlops(rows, inputSize, hiddenSize, epochs) + 4 * validationRows * inputSize * hiddenSize * epochs;
  if (flops > limits.maxJobFlops) {
    const validating = validationRows > 0 ? `, validated on ${validationRows} rows after each,` : '';
    throw limitExceeded(
      'maxJobFlops',
      limits,
      `Training ${rows} rows × ${inputSize} columns with ${hiddenSize} hidden units for ${epochs} epochs${validating} (≈ ${flops.toExponential(2)} floating-point operations)`,
    );
  }
}
