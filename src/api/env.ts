/**
 * The Worker's bindings and the Hono environment that carries them through the app, so
 * `c.env.MODELS` and `c.var.role` are typed everywhere. Secrets (API_TOKEN, ENCODE_TOKENS) are
 * never in wrangler.toml: `wrangler secret put` in production, `--var` in the dev script.
 */
import type { Role } from './auth.js';

/** What wrangler.toml, secrets and `--var` give the Worker. Every limit var is optional. */
export interface Bindings {
  /** R2 bucket holding models/{id}.json. */
  MODELS: R2Bucket;
  /** Admin token: may do everything. Unset → every write is refused. */
  API_TOKEN?: string;
  /** Comma-separated tokens that may only read models and encode/reconstruct/evaluate. */
  ENCODE_TOKENS?: string;
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
