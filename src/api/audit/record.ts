/**
 * The audit trail's writer: every write request that got past authentication (train, retrain,
 * import, delete, datasets, jobs, keys) is recorded once it is answered, refused or not: when,
 * which key (id and name, never the secret), the route and path, the id it was about, and the
 * status. The record is written before the answer leaves, so a client that saw its answer finds
 * it in GET /v1/audit. If the store fails, the write has happened anyway: the loss is logged
 * (error, with the entry), not turned into a failure of a write that succeeded.
 */
import type { Context } from 'hono';
import type { AppEnv, Principal } from '../env.js';
import { keyStore } from '../keys/durable-object.js';
import type { AuditInput } from '../keys/record.js';

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

async function record(c: Context<AppEnv>, principal: Principal, status: number, created: string | null): Promise<void> {
  const entry: AuditInput = {
    at: new Date().toISOString(),
    keyId: principal.keyId,
    keyName: principal.name,
    action: `${c.req.method} ${c.req.routePath}`,
    path: c.req.path,
    target: c.req.param('id') ?? created,
    status,
  };
  if (!c.env.KEYS) return;
  try {
    await keyStore(c.env).audit(entry);
  } catch (error) {
    console.error('edge-sae: an audit record was lost', JSON.stringify(entry), error);
  }
}

/** The `id` of a created thing's JSON answer (a model, dataset, job or key). */
async function createdId(res: Response): Promise<string | null> {
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) return null;
  try {
    const body = (await res.clone().json()) as { id?: unknown };
    return typeof body.id === 'string' ? body.id : null;
  } catch {
    return null;
  }
}
