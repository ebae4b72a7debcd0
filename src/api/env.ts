/**
 * The Worker's bindings and the Hono environment that carries them through the app, so
 * `c.env.MODELS` and `c.var.role` are typed everywhere. Secrets (API_TOKEN, ENCODE_TOKENS) are
 * never in wrangler.toml: `wrangler secret put` in production, `--var` in the dev script.
 */
import type { Role } from './auth.js';

/** What wrangler.toml, secrets and `--var` give the Worker. Every limit var is optional. */
export interface Bindings {
  /** R2 bucket holding models/{id}.json, datasets/{id}.f32 and jobs/{id}/… (checkpoints, inline data). */
  MODELS: R2Bucket;
  /** Admin token: may do everything. Unset → every write is refused. */
  API_TOKEN?: string;
  /** Comma-separated tokens that may only read models and encode/reconstruct/evaluate. */
  ENCODE_TOKENS?: string;
  /** Per-token rate limit (wrangler.toml `[[ratelimits]]`); absent → no limit. */
  RATE_LIMITER?: RateLimit;
  /** Origins allowed to call the API from a browser (comma separated, or `*`); unset → none. */
  CORS_ORIGINS?: string;
  /** Limits (see src/api/limits.ts); strings as wrangler vars arrive, numbers also accepted. */
  MAX_BODY_BYTES?: string | number;
  MAX_MODEL_BYTES?: string | number;
  MAX_ROWS?: string | number;
  MAX_COLUMNS?: string | number;
  MAX_CELLS?: string | number;
  MAX_HIDDEN_SIZE?: string | number;
  MAX_PARAMETERS?: string | number;
  MAX_EPOCHS?: string | number;
  MAX_TRAIN_FLOPS?: string | number;
  MAX_LIST_LIMIT?: string | number;
  MODEL_CACHE_ENTRIES?: string | number;
  MODEL_CACHE_PARAMETERS?: string | number;
  MODEL_CACHE_REVALIDATE_MS?: string | number;
  /** Training jobs: one Durable Object per job (src/api/jobs/durable-object.ts, docs/JOBS.md). */
  JOBS: DurableObjectNamespace<import('./jobs/durable-object.js').TrainingJob>;
  MAX_DATASET_BYTES?: string | number;
  MAX_DATASET_ROWS?: string | number;
  MAX_DATASET_CELLS?: string | number;
  MAX_JOB_EPOCHS?: string | number;
  MAX_JOB_FLOPS?: string | number;
  JOB_SLICE_MS?: string | number;
  JOB_FLOPS_PER_MS?: string | number;
  JOB_EVENTS_INTERVAL_MS?: string | number;
}

/** Per-request values set by middleware. */
export interface Variables {
  role: Role;
}

/** The Hono environment of every router in the app. */
export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
