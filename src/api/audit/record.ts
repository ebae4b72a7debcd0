/**
 * The audit trail's writer: every write request that got past authentication (train, retrain,
 * import, delete, datasets, jobs, keys) is recorded once it is answered, refused or not: when,
 * which key (id and name, never the secret), the route and path, the id it was about, the model
 * it concerned, and the status. Only bounded text is kept (./entry.ts): the path is the route's
 * template with well-formed parameters filled in, the target and model are ids or null, so a
 * request with a 60 KB path stores no more than any other. The record is written before the
 * answer leaves, so a client that saw its answer finds it in GET /v1/audit. If the trail fails,
 * the write has happened anyway: the loss is logged (error, with the entry), not turned into a
 * failure of a write that succeeded.
 */
import type { Context } from 'hono';
import type { AppEnv, Principal } from '../env.js';
import { readLimits } from '../limits.js';
import { isId } from '../storage-keys.js';
import { auditTrail } from './durable-object.js';
import type { AuditInput } from './entry.js';

/** Runs `run` (the authorization check and the route) and records its outcome. */
export async function auditWrite(c: Context<AppEnv>, principal: Principal, run: () => Promise<void>): Promise<void> {
  let status: number;
  try {
    await run();
    status = c.res.status;
  } catch (error) {
    status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    await record(c, principal, status, null);
    throw error;
  }
  await record(c, principal, status, status === 201 || status === 202 ? await createdId(c.res) : null);
}

/** A parameter kept in the recorded path: an id, a part number or another short plain token. */
const PLAIN_PARAMETER = /^[A-Za-z0-9_-]{1,64}$/;

/** The route's template with each parameter filled in when it is plain, left as `:name` when it is not. */
export function boundedPath(routePath: string, param: (name: string) => string | undefined): string {
  return routePath.replaceAll(/:([A-Za-z0-9_]+)/g, (placeholder, name: string) => {
    const value = param(name);
    return value !== undefined && PLAIN_PARAMETER.test(value) ? value : placeholder;
  });
}

async function record(c: Context<AppEnv>, principal: Principal, status: number, created: string | null): Promise<void> {
  const routePath = c.req.routePath;
  const pathId = c.req.param('id');
  const param = pathId !== undefined && isId(pathId) ? pathId : null;
  const onModel = /^\/v1\/models\/:id(\/|$)/.test(routePath);
  const entry: AuditInput = {
    at: new Date().toISOString(),
    keyId: principal.keyId,
    keyName: principal.name,
    action: `${c.req.method} ${routePath}`,
    path: boundedPath(routePath, (name) => c.req.param(name)),
    // What it created (a batch encode on a model creates a job) before what it was on.
    target: created ?? param,
    model: onModel ? param : routePath === '/v1/models' || routePath === '/v1/models/import' ? created : (c.var.auditModel ?? null),
    status,
  };
  if (!c.env.AUDIT) return;
  try {
    const { auditFoldSeconds, auditMaxEntries, auditRetentionDays } = readLimits(c.env);
    await auditTrail(c.env).record(entry, { auditFoldSeconds, auditMaxEntries, auditRetentionDays });
  } catch (error) {
    console.error('edge-sae: an audit record was lost', JSON.stringify(entry), error);
  }
}

/** The `id` of a created thing's JSON answer (a model, dataset, job or key), when it is an id. */
async function createdId(res: Response): Promise<string | null> {
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) return null;
  try {
    const body = (await res.clone().json()) as { id?: unknown };
    return typeof body.id === 'string' && isId(body.id) ? body.id : null;
  } catch {
    return null;
  }
}
