/** The route definition of /v1/audit: the audit trail. */
import { createRoute } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { AuditPageSchema, AuditQuerySchema } from '../keys/schemas.js';
import { accessErrors, inputErrors, security } from '../openapi.js';

export const auditRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'The audit trail: every write, newest first',
  description:
    'One entry per write request that was authenticated (train, retrain, import, delete, datasets, jobs, keys): when, which key, the route, the id it was about, the model, the status. Refused (403) writes of one key on one route within AUDIT_FOLD_SECONDS are one entry with a `count`. Fields are bounded (the path is the route with plain parameters filled in; target and model are ids), so an entry is at most ~2 KB. Kept for AUDIT_RETENTION_DAYS, at most AUDIT_MAX_ENTRIES. A key limited to some models reads only the entries of those models.',
  tags: ['keys'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { query: AuditQuerySchema },
  responses: {
    200: { description: 'One page of entries.', content: { 'application/json': { schema: AuditPageSchema } } },
    ...accessErrors.read,
    422: inputErrors[422],
  },
});
