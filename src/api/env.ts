/**
 * The Worker's bindings and the Hono environment that carries them through the app, so
 * `c.env.MODELS` and `c.var.principal` are typed everywhere. What wrangler.toml declares (R2, the jobs'
 * Durable Object namespace, the rate limiter) is typed by `wrangler types` in
 * worker-configuration.d.ts (`npm run types`; test/config/wrangler-config.test.ts fails when it is
 * stale); what wrangler.toml does not declare is typed here.
 */
import type { LimitBindings } from './limits.js';
import type { Scope } from './scopes.js';

/**
 * Settings that are not in wrangler.toml, so `wrangler types` cannot see them. Secrets (API_TOKEN,
 * ENCODE_TOKENS) are never written there: `wrangler secret put` in production, `--var` in the dev
 * script. CORS_ORIGINS is an optional var whose default is "unset".
 */
export interface Settings {
  /** Admin token: may do everything. Unset → every write is refused. */
  API_TOKEN?: string;
  /** Comma-separated tokens that may only read models and encode/reconstruct/evaluate. */
  ENCODE_TOKENS?: string;
  /** Origins allowed to call the API from a browser (comma separated, or `*`); unset or "" → none. */
  CORS_ORIGINS?: string;
}

/** What wrangler.toml, secrets and `--var` give the Worker. Every limit var is optional (src/api/limits.ts). */
export type Bindings = Cloudflare.Env & Settings & LimitBindings;

declare global {
  /**
   * `Cloudflare.Env` is declared by worker-configuration.d.ts (`wrangler types`), which is not
   * shipped: this empty declaration merges with it here, and in the package's declarations
   * (dist/src/api/env.d.ts, which the typed client's types reach) it lets a project without
   * wrangler's types compile with `skipLibCheck` off, the bindings being nothing it uses.
   */
  namespace Cloudflare {
    interface Env {}
  }
}

/** Who sent a request, and what they may do (src/api/auth.ts). */
export interface Principal {
  /** A managed key's id, or `API_TOKEN` / `ENCODE_TOKENS` for the bootstrap keys. */
  keyId: string;
  name: string;
  scopes: readonly Scope[];
  /** The model ids the key is limited to; null = every model. */
  models: readonly string[] | null;
  /** When the key stops working (its own expiry or a creator's, the earlier); null = never. */
  expiresAt: string | null;
}

/** Per-request values set by middleware. */
export interface Variables {
  principal: Principal;
  /** The model a write was about when its path does not say (a batch encode's), for the audit trail (audit/record.ts). */
  auditModel?: string;
}

/** The Hono environment of every router in the app. */
export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
