/**
 * /v1/audit: the audit trail of writes (./record.ts writes it, ./durable-object.ts keeps it),
 * newest first, in pages. A key limited to some models reads only the entries about those models.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { pageLimit } from '../page-limit.js';
import { readLimits } from '../limits.js';
import { validationHook } from '../problem.js';
import { readAuditPage } from './durable-object.js';
import { auditRoute } from './routes.js';

const DEFAULT_PAGE_SIZE = 20;

export const audit = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(auditRoute, async (c) => {
  const { limit: asked, cursor } = c.req.valid('query');
  const limit = pageLimit(asked, DEFAULT_PAGE_SIZE, readLimits(c.env).maxListLimit);
  // One more than asked tells whether there is a next page.
  const before = cursor === undefined ? null : Number(cursor);
  const entries = await readAuditPage(c.env, limit + 1, before, c.var.principal.models);
  const page = entries.slice(0, limit);
  const next = entries.length > limit ? String(page[page.length - 1]!.seq) : null;
  return c.json({ entries: page, cursor: next }, 200);
});
