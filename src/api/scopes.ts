/**
 * The scopes of API keys, and which scope each route needs: the one list and the one mapping.
 * A route states only its access (`requireAccess('read' | 'encode' | 'download' | 'write')`); the family of
 * its path (/v1/models, /v1/datasets, /v1/jobs, /v1/sweeps, /v1/keys, /v1/audit) picks the scope, so a new
 * route in a family needs no edit here. The OpenAPI document lists each operation's scope in its
 * security requirement (app.ts), from this same mapping.
 */

/** Every scope a key may hold (docs/API.md, Keys). */
export const SCOPES = {
  'models:read': 'list models, read their summaries, export them, draw their pictures',
  'models:encode': 'encode, reconstruct and evaluate with a model',
  'models:write': 'train, retrain, import and delete models, and start a batch encode of one (its codes are stored as a new dataset)',
  'datasets:read': 'list datasets and read their shapes (not their rows)',
  'datasets:download': 'download a dataset\'s rows (GET /v1/datasets/{id}/download): the training data itself, so not an encode token\'s',
  'datasets:write': 'upload and delete datasets',
  'jobs:read': 'read and follow training jobs, sweeps, batch encodes and features jobs',
  'jobs:write': 'start and cancel training jobs and sweeps (a job stores the model it trains), cancel batch encodes',
  'keys:admin': 'create, list and revoke the keys within its own scopes and models, and read the audit trail (of its models, for a key limited to some)',
} as const satisfies Record<string, string>;

export type Scope = keyof typeof SCOPES;

export const SCOPE_NAMES = Object.keys(SCOPES) as [Scope, ...Scope[]];

/**
 * What a route does: reads (summaries, shapes, status), uses a model (encode, reconstruct,
 * evaluate), hands out stored rows (a dataset's download), or writes.
 */
export type Access = 'read' | 'encode' | 'download' | 'write';

/** The families of routes, by the segment after /v1/, and the scope each access needs there. */
const FAMILY_SCOPES: Record<string, Partial<Record<Access, Scope>>> = {
  models: { read: 'models:read', encode: 'models:encode', write: 'models:write' },
  datasets: { read: 'datasets:read', download: 'datasets:download', write: 'datasets:write' },
  jobs: { read: 'jobs:read', write: 'jobs:write' },
  // A sweep is jobs: starting one starts its trials' jobs.
  sweeps: { read: 'jobs:read', write: 'jobs:write' },
  'encode-jobs': { read: 'jobs:read', write: 'jobs:write' },
  'feature-jobs': { read: 'jobs:read', write: 'jobs:write' },
  keys: { read: 'keys:admin', write: 'keys:admin' },
  audit: { read: 'keys:admin' },
};

/**
 * The scope a route of `path` (e.g. `/v1/models/:id/encode`) needs for `access`. A path outside
 * the table needs `keys:admin`, so a route nobody mapped is closed to all but admins.
 */
export function scopeFor(path: string, access: Access): Scope {
  const family = /^\/v1\/([^/]+)/.exec(path)?.[1] ?? '';
  return FAMILY_SCOPES[family]?.[access] ?? 'keys:admin';
}

/** Whether `path` is a route on one model (`/v1/models/{id}…`), for keys limited to models. */
export function isModelFamily(path: string): boolean {
  return /^\/v1\/models(\/|$)/.test(path);
}

/** The bootstrap keys' scopes: API_TOKEN has every scope; ENCODE_TOKENS every read and encode. */
export const ADMIN_SCOPES: readonly Scope[] = SCOPE_NAMES;
export const ENCODE_SCOPES: readonly Scope[] = ['models:read', 'models:encode', 'datasets:read', 'jobs:read'];
